"""The monthly consultation report, the quarterly dispatch report and the annual assessment
(domain.md §10).

A report is a title, a few lines of metadata (period, area, as of when, the log position and
the digest, so a report can be checked like any indicator result) and tables — plain rows with
Chinese headers — which the API sends as JSON and `interfaces.xlsx` writes one sheet per table.
Its lists come from the same pass over the households' facts as its indicator table, so every
number in a report is as recorded at the same moment.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from application.indicators import COUNTY, IndicatorResult, Indicators, Scope
from application.matrix import BAND_READING, LEVEL_NAMES, RANKING_METHOD, hover, indicator_matrix
from application.notices import load_notice_terms
from application.push_book import push_book
from application.results import result_json
from domain.codes import CaseStage, HouseholdType
from domain.deadlines import days_overdue
from domain.errors import InvalidValue
from domain.governance import (
    RECTIFICATION_READING,
    Governance,
    RectificationItem,
    RectificationStatus,
    count_by_unit,
    items_on,
)
from domain.indicators import INDICATORS, CaseFacts, HouseholdFacts
from domain.periods import Period, parse_period
from domain.rules import CHINA_TIME, local_date
from domain.unmatched import HELD_STAGE, UnmatchedAlerts

Cell = str | int | float | date | None


@dataclass
class Table:
    """One table of a report: a sheet of the workbook."""

    name: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    #: Rates coloured by band in a workbook (`application.matrix.BANDS`).
    banded: bool = False
    #: Per cell, what it says on hover (a workbook's comment), row by row; None: nothing.
    notes: list[list[str | None]] = field(default_factory=list)


@dataclass(frozen=True)
class Headline:
    """One figure of a report's summary: a rate (a float), a count, or a sentence, and how
    it was made (a rate's numerator/denominator)."""

    name: str
    value: Cell
    note: str | None = None


@dataclass
class Report:
    title: str
    meta: list[tuple[str, str]]
    tables: list[Table]
    #: The indicator result behind a published report, as `result_json` gives it: sent back to
    #: `Indicators.verify` (``fangpin verify``) it is recomputed from the log.
    result: dict[str, Any] | None = None
    #: The figures a leader reads first (the printable summary of a workbook).
    headline: list[Headline] = field(default_factory=list)
    #: The county's name (as its notices are headed), said on the summary.
    county: str = ""

    def as_json(self) -> dict[str, Any]:
        answer = {
            "title": self.title,
            "meta": [{"name": name, "value": value} for name, value in self.meta],
            "tables": [{"name": t.name, "columns": t.columns,
                        "rows": [[_json_cell(c) for c in row] for row in t.rows]} for t in self.tables],
        }
        if self.headline:
            answer["headline"] = [{"name": h.name, "value": _json_cell(h.value), "note": h.note}
                                  for h in self.headline]
        if self.result is not None:
            answer["result"] = self.result
        return answer


def _json_cell(cell: Cell) -> Any:
    return cell.isoformat() if isinstance(cell, date) else cell


# ---------------------------------------------------------------------- reading the facts


class _MonthLists:
    """What the monthly report lists, gathered household by household."""

    def __init__(self, period: Period, today: date, township: str | None) -> None:
        self.period = period
        self.cutoff = min(period.end, today)
        self.township = township
        self.alerts: Counter[tuple[str, str]] = Counter()
        self.duplicates: Counter[tuple[str, str]] = Counter()
        self.stages: Counter[str] = Counter()
        self.included: list[list[Cell]] = []
        self.closed: list[list[Cell]] = []
        self.eliminated: list[list[Cell]] = []
        self.re_entries: list[list[Cell]] = []
        self.overdue: list[list[Cell]] = []
        self.green_owed: list[list[Cell]] = []
        self.not_visited: list[list[Cell]] = []
        self.no_measure: list[list[Cell]] = []

    def __call__(self, h: HouseholdFacts) -> None:
        if self.township and h.township != self.township:
            return
        cutoff, period = self.cutoff, self.period
        where = [h.code, h.township, h.village]
        for a in h.alerts:
            if a.received_on in period and a.received_on <= cutoff:
                key = (a.channel, a.department or "—")
                (self.duplicates if a.duplicate_of else self.alerts)[key] += 1
        for c in h.cases:
            stage = c.stage_on(cutoff)
            if stage is not None:
                self.stages[stage] += 1
            self._case(h, c, where)
        self._visits(h, where)

    def _case(self, h: HouseholdFacts, c: CaseFacts, where: list[Cell]) -> None:
        cutoff, period = self.cutoff, self.period
        if c.included_on and c.included_on in period and c.included_on <= cutoff:
            days = (c.included_on - c.opened_on).days
            self.included.append([*where, c.category, c.opened_on, c.included_on, days,
                                  "否" if c.included_late else "是",
                                  "是" if c.re_entry else "否"])
            if c.re_entry:
                self.re_entries.append([*where, c.opened_on, c.included_on])
        if c.closed_on and c.closed_on in period and c.closed_on <= cutoff:
            self.closed.append([*where, c.opened_on, c.closed_on, c.closed_how])
        if c.eliminated_on and c.eliminated_on in period and c.eliminated_on <= cutoff:
            self.eliminated.append([*where, c.category, c.included_on, c.eliminated_on])
        if c.identification_overdue_on(cutoff):
            deadline = c.identification_deadline
            self.overdue.append([*where, c.stage_on(cutoff), c.opened_on, deadline,
                                 days_overdue(deadline, cutoff), None])
        if c.green_channel_on and c.owes_steps_on(cutoff):
            self.green_owed.append([*where, c.green_channel_on, (cutoff - c.green_channel_on).days])
        limit = c.measure_deadline
        if c.monitored_on(cutoff) and limit is not None:
            placed = c.needs_met_on and c.needs_met_on <= cutoff  # every analysed need answered
            if not placed and limit < cutoff:
                self.no_measure.append([*where, c.included_on, limit, days_overdue(limit, cutoff)])

    def held(self, unmatched: UnmatchedAlerts | None) -> None:
        """The alerts held unmatched past their deadline at the cutoff: overdue too, their clock
        running from discovery (a township's report: those routed to it). One attached since
        is left out: its case, opened on the discovery date, is on the list in its place."""
        for a in unmatched.overdue(self.cutoff) if unmatched else []:
            if a.pending and (self.township is None or a.township == self.township):
                self.overdue.append([None, a.township, a.village, HELD_STAGE, a.discovered_on,
                                     a.identification_deadline, a.days_overdue(self.cutoff),
                                     a.alert_id])

    def _visits(self, h: HouseholdFacts, where: list[Cell]) -> None:
        """Due this month (the month's start) and not visited in it by the cutoff."""
        start = self.period.end.replace(day=1)
        if h.registered_on > start or self.period.kind != "month":
            return
        due = h.household_type == HouseholdType.LIFTED_OUT or any(
            c.included_on and c.included_on <= start for c in h.cases)
        if not due:
            return
        visited = [v for v in h.visits if start <= v <= self.cutoff]
        if not visited:
            last = max((v for v in h.visits if v < start), default=None)
            self.not_visited.append([*where, h.household_type, last])


# ---------------------------------------------------------------------- the reports


def monthly_report(
    indicators: Indicators, month: str, *, township: str | None = None,
    as_of: datetime | None = None,
) -> Report:
    """月分析会商报告 for a month, for the county or one township."""
    period = parse_period(month, "month")
    if period.kind != "month":
        raise InvalidValue("PERIOD_INVALID", "月度会商报告的统计期须为月份，如 2025-03", "month")
    scope = Scope("township", township) if township else Scope()
    probe = indicators.app.clock() if as_of is None else as_of
    lists = _MonthLists(period, min(period.end, _day(probe)), township)
    result = indicators.compute(period, scope=scope, as_of=as_of, also=[lists])
    lists.held(indicators.unmatched_as_of(result.position, result.as_of))
    governance = indicators.governance_as_of(result.position, result.as_of)
    overdue_items = items_on(_rectifications(governance), lists.cutoff, township=township,
                             status=RectificationStatus.OVERDUE)
    area = township or COUNTY
    channel_rows = [[channel, department, n, lists.duplicates.get((channel, department), 0)]
                    for (channel, department), n in sorted(lists.alerts.items())]
    channel_rows += [[channel, department, 0, n] for (channel, department), n
                     in sorted(lists.duplicates.items()) if (channel, department) not in lists.alerts]
    stage_order = [s.value for s in CaseStage]
    tables = [
        _indicator_table(result),
        _matrix_table(result, "township"),
        Table("新增预警", ["监测方式", "推送部门", "新增预警", "重复推送"], channel_rows),
        Table("案件阶段", ["阶段", "案件数"],
              [[stage, lists.stages.get(stage, 0)] for stage in stage_order]),
        Table("本月纳入", ["户编号", "乡镇", "行政村", "监测对象类别", "发现日期", "纳入日期",
                        "用时（天）", "15日内", "消除后再次纳入"], sorted(lists.included, key=_by_code)),
        Table("本月未纳入", ["户编号", "乡镇", "行政村", "发现日期", "终结日期", "终结原因"],
              sorted(lists.closed, key=_by_code)),
        Table("本月风险消除", ["户编号", "乡镇", "行政村", "监测对象类别", "纳入日期", "消除日期"],
              sorted(lists.eliminated, key=_by_code)),
        Table("消除后再次纳入", ["户编号", "乡镇", "行政村", "发现日期", "纳入日期"],
              sorted(lists.re_entries, key=_by_code)),
        Table("超期未认定", ["户编号", "乡镇", "行政村", "阶段", "发现日期", "应认定日期", "超期（天）",
                        "未匹配预警"],
              sorted(lists.overdue, key=lambda r: (-int(r[6] or 0), str(r[0] or ""), str(r[7] or "")))),
        Table("绿色通道未补办", ["户编号", "乡镇", "行政村", "开通日期", "已开通（天）"],
              sorted(lists.green_owed, key=_by_code)),
        Table("本月未走访", ["户编号", "乡镇", "行政村", "户类型", "上次走访"],
              sorted(lists.not_visited, key=_by_code)),
        Table("措施未落实", ["户编号", "乡镇", "行政村", "纳入日期", "应落实日期", "超期（天）"],
              sorted(lists.no_measure, key=_by_code)),
        _rectification_table("逾期未整改", overdue_items, lists.cutoff),
        _readings_table(indicators),
    ]
    if township is None:
        tables.insert(2, _matrix_table(result, "department"))
        tables.insert(3, _push_table(result))
    return Report(f"{area}防止返贫监测 {period.label} 月分析会商报告", _meta(result, area), tables,
                  headline=headline(result, "township" if township else "county", area),
                  county=county_name(indicators))


def quarterly_report(indicators: Indicators, quarter: str, *, as_of: datetime | None = None) -> Report:
    """季督导调度报告: townships and departments ranked on the quarter's indicators."""
    period = parse_period(quarter, "quarter")
    if period.kind != "quarter":
        raise InvalidValue("PERIOD_INVALID", "季度调度报告的统计期须为季度，如 2025-Q1", "quarter")
    result = indicators.compute(period, as_of=as_of)
    cutoff = min(period.end, result.evaluated_on)
    # the quarter's items: ordered by its end, and not completed before it began
    items = [i for i in _rectifications(indicators.governance_as_of(result.position, result.as_of))
             if i.completed_on is None or i.completed_on >= period.start]
    tables = [
        _ranking(result, "township", "乡镇排名"),
        _ranking(result, "department", "部门排名"),
        _matrix_table(result, "township"),
        _matrix_table(result, "department"),
        _indicator_table(result),
        _push_table(result),
        Table("会商调度会议", ["类型", "编号", "日期", "参会部门", "议题", "决定事项"],
              [["月分析会商" if m.kind == "consultation" else "季督导调度", m.meeting_id, m.held_on,
                "、".join(m.departments_present), "；".join(m.topics), "；".join(m.decisions)]
               for m in result.meetings]),
        _rectification_table("限期整改", items_on(items, cutoff), cutoff),
        Table("整改逾期统计", ["责任单位", "类别", "事项", *(s.value for s in RectificationStatus)],
              [[c.unit, "乡镇" if c.level == "township" else "部门", c.items, c.done, c.done_late,
                c.overdue, c.pending] for c in count_by_unit(items, cutoff)]),
        _readings_table(indicators),
    ]
    return Report(f"{COUNTY}防止返贫监测 {period.label} 督导调度报告", _meta(result, COUNTY), tables,
                  headline=headline(result), county=county_name(indicators))


def annual_report(indicators: Indicators, year: str, *, as_of: datetime | None = None) -> Report:
    """年考核评估 (Q4): townships and departments scored on the year's prevention indicators and
    ranked (`RANKING_METHOD`), as recorded at the assessment time ``as_of`` (default now), with
    the result itself so that the published assessment can be verified against the log later."""
    period = parse_period(year, "year")
    if period.kind != "year":
        raise InvalidValue("PERIOD_INVALID", "年度考核评估的统计期须为年度，如 2025", "year")
    result = indicators.compute(period, as_of=as_of)
    tables = [
        _ranking(result, "township", "乡镇考核排名"),
        _ranking(result, "department", "部门考核排名"),
        _indicator_table(result),
        _push_table(result),
        _readings_table(indicators),
    ]
    return Report(f"{COUNTY}防止返贫监测帮扶 {period.label} 年度考核评估", _meta(result, COUNTY), tables,
                  result=result_json(result), headline=headline(result),
                  county=county_name(indicators))


def indicator_report(result: IndicatorResult, county: str = "") -> Report:
    """An indicator result as a report (its table, its drill-down, its readings); ``county``:
    the county's name for its summary."""
    tables = [_indicator_table(result)]
    if result.detail is not None:
        tables.append(Table("明细", ["案件/户/推送", "乡镇", "行政村", "部门", "分子", "分母", "说明"],
                            [[i.key, i.township, i.village, i.department, i.numerator,
                              i.denominator, i.note] for i in result.items]))
    if result.pushes:
        tables.append(_push_table(result))
    tables.append(Table("口径说明", ["项目", "口径"],
                        [[i.name, i.formula] for i in INDICATORS]))
    return Report(f"{result.scope.name}防止返贫考核指标 {result.period.label}",
                  _meta(result, result.scope.name), tables,
                  headline=headline(result, result.scope.level, result.scope.name), county=county)


def county_name(indicators: Indicators) -> str:
    """The county's name, as its notices are headed (`application.notices`)."""
    return load_notice_terms(indicators.app.settings.notices_path).county


def headline(result: IndicatorResult, level: str = "county", name: str = COUNTY) -> list[Headline]:
    """The figures of a report's summary: each indicator of the report's own area (a rate with
    its numerator and denominator, a count as a number), then the scheduled pushes by status."""
    said = [Headline(f.indicator.name, f.numerator, None) if f.indicator.kind != "rate"
            else Headline(f.indicator.name, f.rate, f"{f.numerator}/{f.denominator}")
            if f.rate is not None else Headline(f.indicator.name, "—", "本期无应统计的对象")
            for f in result.figures if (f.area.level, f.area.name) == (level, name)]
    if result.pushes and level == "county":
        statuses = Counter(push.status[:2] for push in result.pushes)
        said.append(Headline("部门定期推送", len(result.pushes), "、".join(
            f"{status} {statuses[status]}" for status in ("按时", "迟报", "漏报"))))
    return said


def _ranking(result: IndicatorResult, level: str, name: str) -> Table:
    """Areas ranked by their denominator-weighted rate (`RANKING_METHOD`): each rate a number
    (a percentage in the workbook, coloured by band as the matrix is) with its numerator and
    denominator in the cell's note."""
    matrix = indicator_matrix(result, level)
    rated = [i for i in matrix.indicators if i.kind == "rate"]
    table = Table(name, ["名次", "乡镇" if level == "township" else "部门",
                         *[i.name for i in rated], "分母合计", "综合得分（按分母加权）"], banded=True)
    for row in matrix.rows:
        cells = row.cells(rated)
        table.rows.append([row.rank, row.area.name, *[f.rate if f else None for f in cells],
                           row.denominator, row.score])
        table.notes.append([None, None, *[hover(f) if f else None for f in cells], None, None])
    return table


def _matrix_table(result: IndicatorResult, level: str) -> Table:
    """The matrix of the workbench's indicators page as a sheet: a unit per row (the county's
    first), an indicator per column, each rate coloured by its band (`BANDS`) with its
    numerator and denominator in the cell's comment; ranked where the county's units are."""
    matrix = indicator_matrix(result, level)
    rows = ([matrix.county] if matrix.county else []) + matrix.rows
    ranked = matrix.county is not None
    table = Table(matrix.title, [*(["名次"] if ranked else []), LEVEL_NAMES[level],
                                 *[i.name for i in matrix.indicators],
                                 *(["综合得分（按分母加权）"] if ranked else [])], banded=True)
    for row in rows:
        cells = row.cells(matrix.indicators)
        values = [f.rate if f and f.indicator.kind == "rate" else (f.numerator if f else None)
                  for f in cells]
        name = row.area.name if row.area.level != "county" else f"{row.area.name}（合计）"
        if ranked:
            table.rows.append([row.rank, name, *values, row.score if row.area.level != "county" else None])
            table.notes.append([None, None, *[hover(f) for f in cells], None])
        else:
            table.rows.append([name, *values])
            table.notes.append([None, *[hover(f) for f in cells]])
    return table


def _indicator_table(result: IndicatorResult) -> Table:
    level_names = {"county": "县", "township": "乡镇", "department": "部门"}
    return Table("考核指标", ["指标", "层级", "区域", "分子", "分母", "比率"], [
        [f.indicator.name, level_names[f.area.level], f.area.name, f.numerator,
         f.denominator if f.indicator.kind == "rate" else None, f.rate]
        for f in result.figures
    ])


def _push_table(result: IndicatorResult) -> Table:
    """推送台账 (`application.push_book`): per department and push period what was due and
    whether the county-tier push met it, then each batch that arrived for it — county and
    province apart — with its rows by outcome and the time its receipt was recorded."""
    rows: list[list[Cell]] = []
    for line in push_book(result):
        said = [line.department, line.period, line.duty, line.due_on, line.status]
        for batch in line.batches or [None]:
            rows.append([*said, *([batch.tier.value if batch.tier else None, batch.batch_id,
                                   _beijing(batch.received_at), batch.rows, batch.new_cases,
                                   batch.joined, batch.duplicates, batch.rejected]
                                  if batch else [None] * 8)])
    return Table("部门推送", ["部门", "期次", "推送要求", "应推送截止", "情况", "层级", "批次号",
                          "接收时间（北京时间）", "条数", "新案件", "并入案件", "重复", "拒收"], rows)


def _beijing(moment: datetime) -> str:
    return moment.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _rectifications(governance: Governance | None) -> list[RectificationItem]:
    return list(governance.rectifications.values()) if governance else []


def _rectification_table(name: str, items: list[RectificationItem], day: date) -> Table:
    """Rectification items with their status on ``day`` (限期整改, domain.md §10)."""
    return Table(name, ["编号", "来源", "问题", "责任单位", "下达日期", "整改时限", "完成日期", "整改情况",
                        "状态", "逾期（天）", "延期"], [
        [i.item_id, i.source, i.problem, i.unit, i.ordered_on, i.deadline_on(day),
         i.completed_on if done else None, i.what_was_done if done else None,
         i.status_on(day).value, i.days_overdue(day) or None,
         "；".join(f"{e.extended_on} 由 {e.previous_deadline} 延至 {e.deadline}（{e.reason}）"
                  for e in i.extensions if e.extended_on <= day) or None]
        for i in items for done in [i.completed_on is not None and i.completed_on <= day]
    ])


def _readings_table(indicators: Indicators) -> Table:
    rows: list[list[Cell]] = [[i.name, i.formula] for i in INDICATORS]
    rows.append(["排名方法", RANKING_METHOD])
    rows.append(["颜色分档", BAND_READING])
    rows.append(["限期整改", RECTIFICATION_READING])
    seen = set()
    for duty in indicators.cadences.duties:
        if (duty.number, duty.rule) not in seen and duty.reading:
            seen.add((duty.number, duty.rule))
            rows.append([f"推送频次{duty.number} {duty.what}", duty.reading])
    return Table("口径说明", ["项目", "口径"], rows)


def _meta(result: IndicatorResult, area: str) -> list[tuple[str, str]]:
    return [
        ("统计期", result.period.label),
        ("区域", area),
        ("数据截至（登记时间，北京时间）", f"{result.as_of.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}"),
        ("评价日", result.evaluated_on.isoformat()),
        ("日志位置", str(result.position)),
        ("输入摘要", result.digest),
        ("指标口径版本", str(result.version)),
        ("推送频次表摘要", result.cadences_digest),
        ("本县开始记录（此前到期的推送与会商不计）",
         result.began_on.isoformat() if result.began_on else "尚无记录"),
    ]


def _by_code(row: list[Cell]) -> str:
    return str(row[0])


def _day(moment: datetime) -> date:
    return local_date(moment) if moment.tzinfo else moment.date()

