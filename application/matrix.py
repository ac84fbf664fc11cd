"""考核指标 as people compare them: townships (or departments) × indicators, each cell a rate
(or a count) coloured by its band, the units ranked by `RANKING_METHOD`, and each indicator's
month-by-month trend. The workbench's indicators page and the monthly and quarterly workbooks
show the same matrix, built here from one `IndicatorResult`.

The bands (`BANDS`) only make a gap visible at a glance; they are not a target of the notice and
do not score anything — the ranking does (domain.md §10), and its method is printed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.indicators import COUNTY, IndicatorResult
from domain.indicators import INDICATORS, Area, Figure, Indicator


@dataclass(frozen=True)
class Band:
    """A band of rates: from ``floor`` (inclusive) up to the next band's floor."""

    name: str
    floor: float
    css: str  # the page's class for the cell
    fill: str  # the workbook's cell colour (RGB)
    colour: str  # in words, for the legend


#: The bands a rate is coloured by, highest first: the one place they are defined.
BANDS: tuple[Band, ...] = (
    Band("良好", 0.95, "band-good", "C6EFCE", "绿"),
    Band("一般", 0.85, "band-fair", "FFEB9C", "黄"),
    Band("较差", 0.0, "band-poor", "FFC7CE", "红"),
)


def _band_reading() -> str:
    said = []
    for band, above in zip(BANDS, (None, *BANDS[:-1]), strict=True):
        low = f"不低于{band.floor:.0%}" if band.floor else ""
        high = f"低于{above.floor:.0%}" if above else ""
        said.append(f"{band.name}（{band.colour}）：比率{low}{'、' if low and high else ''}{high}")
    return ("颜色分档（只为一眼看出差距，不是考核标准，考核按排名方法计分）：" + "；".join(said)
            + "；没有分母的比率和人数、户数类指标不着色。")


#: How the bands read, for the page's legend and the workbooks' 口径说明.
BAND_READING = _band_reading()

#: How a ranking scores a unit (domain.md §10: no reward for tiny denominators), printed with it.
RANKING_METHOD = ("综合得分 = 该单位各项比率指标的分子之和 ÷ 分母之和（即按分母加权的平均比率）："
                  "分母大的指标权重大，1件中错1件与100件中错1件不再同样计分；没有分母的指标不计入，"
                  "全部指标都没有分母的单位不排名。得分相同按名称排序。")

LEVEL_NAMES = {"township": "乡镇", "department": "部门"}


def band_of(rate: float | None) -> Band | None:
    """The band of a rate; None for no rate (no denominator, or a count)."""
    if rate is None:
        return None
    return next(b for b in BANDS if rate >= b.floor)


#: A rate over fewer items than this moves by a third or more with each one (one case of two
#: late: 50%): it is shown apart — a hollow point on a chart, a pale cell in the trend — to be
#: read with its numerator and denominator, not compared as a rate.
FEW = 3


def is_few(figure: Figure | None) -> bool:
    """Whether ``figure`` is a rate over fewer than `FEW` items (but some: none is no rate)."""
    return figure is not None and figure.indicator.kind == "rate" and 0 < figure.denominator < FEW


#: How a few-item rate is shown, for the legends.
FEW_READING = f"分母不足{FEW}的比率（每多一件就变动三成以上）浅色或空心显示，请看分子分母，不宜与其他比率比较"


def hover(figure: Figure | None) -> str:
    """What a cell says on hover: the numerator and denominator in words."""
    if figure is None:
        return "本期没有可计入的事项"
    i = figure.indicator
    if i.kind != "rate":
        return f"{i.numerator_label} {figure.numerator}"
    return f"{i.numerator_label} {figure.numerator} / {i.denominator_label} {figure.denominator}"


@dataclass
class Row:
    """One unit's row: its figures by indicator code, and its place in the ranking."""

    area: Area
    figures: dict[str, Figure]
    denominator: int = 0
    score: float | None = None
    rank: int | None = None

    def cells(self, indicators: list[Indicator]) -> list[Figure | None]:
        return [self.figures.get(i.code) for i in indicators]


@dataclass
class Matrix:
    """Units of one level × the indicators kept at that level, ranked; the county's row apart."""

    level: str
    indicators: list[Indicator]
    rows: list[Row]
    county: Row | None = None

    @property
    def title(self) -> str:
        return f"指标矩阵（{LEVEL_NAMES[self.level]}）"


def indicator_matrix(result: IndicatorResult, level: str) -> Matrix:
    """The result's figures as units of ``level`` × its indicators, ranked by `RANKING_METHOD`
    (the county's row, where the result has it, apart and unranked)."""
    indicators = [i for i in INDICATORS if level in i.levels]
    by_area: dict[Area, dict[str, Figure]] = {}
    for f in result.figures:
        by_area.setdefault(f.area, {})[f.indicator.code] = f
    rows = [score(Row(area, figures), indicators) for area, figures in by_area.items()
            if area.level == level]
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), r.area.name))
    for n, row in enumerate(rows, start=1):
        row.rank = n if row.score is not None else None
    county = by_area.get(Area("county", COUNTY))  # a township's or department's result has none
    return Matrix(level, indicators, rows, Row(Area("county", COUNTY), county) if county else None)


def score(row: Row, indicators: list[Indicator]) -> Row:
    """A unit's denominator-weighted rate over its rate indicators (`RANKING_METHOD`)."""
    counted = [f for i in indicators if i.kind == "rate"
               for f in [row.figures.get(i.code)] if f is not None and f.denominator]
    row.denominator = sum(f.denominator for f in counted)
    row.score = (round(sum(f.numerator for f in counted) / row.denominator, 4)
                 if row.denominator else None)
    return row


def trend_of(result: IndicatorResult, area: Area) -> tuple[list[str], dict[str, list[Figure | None]]]:
    """Each indicator's figure for ``area`` month by month (the result's `trend` months, then the
    period itself when it is a month): (months, code → figures in month order)."""
    months = sorted(result.trend)
    columns = [result.trend[m] for m in months]
    if result.period.kind == "month" and result.period.label not in result.trend:
        months.append(result.period.label)
        columns.append(result.figures)
    found: dict[str, list[Figure | None]] = {}
    for i in INDICATORS:
        figures = [next((f for f in column if f.indicator.code == i.code and f.area == area), None)
                   for column in columns]
        if any(f is not None for f in figures):
            found[i.code] = figures
    return months, found
