"""Public notices (公示, domain.md §13): the village deliberation notice (村级评议公示) and the
risk-elimination notice, produced per village and notice period from the cases awaiting step 2.

`NoticeContent` is everything a notice shows, and nothing else: the county's header, the village,
the notice period, where to object, and per case the household head's name, the village group
(where one is recorded), the category or what is proposed, and the risk types or the reason for
elimination. It never holds an ID number, a phone, a bank account, a health detail or an income
figure: they are not read here. Every rendering (the printed page, the workbook) is made from it
alone. `Notice` adds what is not posted: which cases it lists, so that publishing records it on each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.errors import InvalidValue
from domain.household import Household
from domain.household.steps import NOTICE_STEP_NAMES, awaiting_notice, procedure_of
from domain.rules import require_notice_period
from domain.values import Case, PublishedNotice


class NoticeKind(StrEnum):
    """The two notices, named as the procedures whose step 2 they are."""

    IDENTIFICATION = "identification"
    ELIMINATION = "elimination"

    @property
    def title(self) -> str:
        return {NoticeKind.IDENTIFICATION: "监测对象识别村级评议公示",
                NoticeKind.ELIMINATION: "监测对象风险消除公示"}[self]

    @property
    def step_name(self) -> str:
        return NOTICE_STEP_NAMES[self.value]


@dataclass(frozen=True)
class NoticeTerms:
    """What the county sets for its notices: its name (the header) and where to object."""

    county: str
    objection: str


@dataclass(frozen=True)
class NoticeRow:
    """One case as the notice shows it."""

    head_name: str
    village_group: str | None
    category: str
    reason: str


@dataclass(frozen=True)
class NoticeContent:
    """Exactly what a notice shows (and nothing more): rendered as the printed page and as the
    workbook, the page's bytes being the ones whose SHA-256 publishing records."""

    kind: NoticeKind
    county: str
    township: str
    village: str
    notice_from: date
    notice_to: date
    objection: str
    rows: tuple[NoticeRow, ...]

    @property
    def title(self) -> str:
        return f"{self.county}{self.township}{self.village}{self.kind.title}"

    @property
    def days(self) -> int:
        return (self.notice_to - self.notice_from).days + 1

    @property
    def period_text(self) -> str:
        return (f"公示期：{_day(self.notice_from)}至{_day(self.notice_to)}（共{self.days}天）")

    @property
    def preamble(self) -> str:
        if self.kind is NoticeKind.IDENTIFICATION:
            return (f"经农户申请或预警、入户核查核实，以下{len(self.rows)}户存在返贫致贫风险，"
                    "经村级评议，拟纳入防止返贫监测对象，现予公示。")
        return (f"经入户核实，以下{len(self.rows)}户监测对象收入持续稳定、“两不愁三保障”及饮水安全"
                "有保障、返贫致贫风险已稳定消除，拟标注风险消除，现予公示。")

    @property
    def issuer(self) -> str:
        return f"{self.village}村民委员会"

    @property
    def columns(self) -> tuple[str, ...]:
        """The table's headers; the village group only where some row records one."""
        group = ("村民小组",) if self._with_group else ()
        if self.kind is NoticeKind.IDENTIFICATION:
            return ("序号", "户主姓名", *group, "公示事项", "返贫致贫风险类型")
        return ("序号", "户主姓名", *group, "监测对象类别", "风险消除方式及原风险类型")

    def table(self) -> list[list[str]]:
        """The rows under `columns`, as text."""
        return [[str(n), row.head_name, *((row.village_group or "",) if self._with_group else ()),
                 row.category, row.reason] for n, row in enumerate(self.rows, 1)]

    @property
    def _with_group(self) -> bool:
        return any(row.village_group for row in self.rows)


@dataclass(frozen=True)
class NoticeCase:
    """A case a notice lists (not posted): where publishing records it, and what it holds."""

    household_code: str
    case_number: int
    published: PublishedNotice | None


@dataclass(frozen=True)
class Notice:
    content: NoticeContent
    cases: tuple[NoticeCase, ...]

    @property
    def published(self) -> bool:
        """Every case it lists was published on it (a published notice, shown again)."""
        return bool(self.cases) and all(
            c.published is not None and (c.published.notice_from, c.published.notice_to)
            == (self.content.notice_from, self.content.notice_to) for c in self.cases)


def build_notice(
    kind: NoticeKind, terms: NoticeTerms, township: str, village: str, notice_from: date,
    notice_to: date, households: Iterable[Household],
) -> Notice:
    """The notice of ``village`` posted from ``notice_from`` to ``notice_to``.

    It lists the village's cases awaiting step 2 of the procedure. Once published, a notice
    keeps its cases: if any case awaiting step 2 was published for this very period, the
    notice is those cases (printing it again gives the same page); otherwise it is the cases not
    yet published on any notice — one posted on another notice is not listed twice.
    """
    if notice_to < notice_from:
        raise InvalidValue("DATE_ORDER", "公示结束日期不能早于开始日期", "notice_to")
    require_notice_period(notice_from, notice_to)
    awaiting: list[tuple[Household, Case]] = []
    for household in households:
        if (household.township, household.village) != (township, village):
            continue
        case = awaiting_notice(household, kind.value)
        if case is not None:
            awaiting.append((household, case))
    def notice_of(case: Case) -> PublishedNotice | None:
        return procedure_of(case, kind.value).notice

    here = [(h, c) for h, c in awaiting if (notice := notice_of(c)) is not None
            and (notice.notice_from, notice.notice_to) == (notice_from, notice_to)]
    chosen = here or [(h, c) for h, c in awaiting if notice_of(c) is None]
    chosen.sort(key=lambda pair: (pair[0].code, pair[1].number))
    content = NoticeContent(
        kind=kind, county=terms.county, township=township, village=village,
        notice_from=notice_from, notice_to=notice_to, objection=terms.objection,
        rows=tuple(_row(kind, household, case) for household, case in chosen),
    )
    cases = tuple(NoticeCase(h.code, c.number, notice_of(c)) for h, c in chosen)
    return Notice(content, cases)


def _row(kind: NoticeKind, household: Household, case: Case) -> NoticeRow:
    """A case as the notice may show it: head's name, category, risk types or elimination
    mode — never a member's ID number, health, income or contact."""
    risks = "、".join(case.risk_types)
    if kind is NoticeKind.IDENTIFICATION:
        return NoticeRow(household.head.name, None, "拟纳入监测对象", risks)
    mode = case.elimination_mode or ""
    return NoticeRow(household.head.name, None, str(case.category or ""),
                     f"{mode}（原风险：{risks}）" if risks else str(mode))


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
