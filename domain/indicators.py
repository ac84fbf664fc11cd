"""Responsibility-assessment indicators (domain.md §12), defined once, over recorded facts.

Each indicator is a numerator over a denominator for the county, a township or a department,
for a month, quarter or year, with the cases behind each number. It is computed in two steps:

1. `household_facts` reduces a household's case file (as the log stood at some moment) to the
   dated facts the indicators read: its cases with the dates of their steps, its alerts, visits
   and members. Facts are plain values, so they can be stored in a read model and compared.
2. Each indicator below turns one household's facts into `Item`s — what the household adds to
   the numerator and the denominator, and why — for a period and an evaluation day ``today``
   (what has happened by that day counts; what is not yet due does not). `Tally` sums them.

Where the notice leaves a choice, the reading is stated in the indicator's docstring; the
reports repeat it. Nothing here reads a clock: ``today`` is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.cadences import AlertPush, Duty, ExpectedPush, event_pushes, expected_pushes
from domain.codes import Channel, Department, HouseholdType, MeasureStatus
from domain.governance import Meeting, PushReceipt
from domain.household import Household
from domain.periods import Period
from domain.rules import IDENTIFICATION_DAYS, MEASURE_WITHIN_DAYS, add_months, local_date
from domain.values import Case, Procedure

#: Bump when a definition or the facts change: published results name the version they used.
INDICATORS_VERSION = 2

STABILITY_MONTHS = 12


# ---------------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class CaseFacts:
    """The dated steps of one case."""

    number: int
    opened_on: date  # discovery of the first alert: starts the 15-day clock
    channel: str
    department: str | None  # the department whose alert opened the case
    re_entry: bool
    persons: int  # household size on the day the case was opened
    home_visit_on: date | None = None
    village_on: date | None = None
    township_on: date | None = None
    green_channel_on: date | None = None
    procedure_done_on: date | None = None  # steps 2–4 all taken, or the procedure ended
    included_on: date | None = None
    category: str | None = None
    closed_on: date | None = None
    closed_how: str | None = None  # 核查无风险 / 评议未通过 / 审核未通过 / 审定未通过
    first_in_place_on: date | None = None
    elimination_started_on: date | None = None
    elimination_refused_on: date | None = None  # the latest procedure ended without elimination
    eliminated_on: date | None = None

    def stage_on(self, day: date) -> str | None:
        """The case's stage at the end of ``day`` (None before it was opened)."""
        if self.opened_on > day:
            return None
        if self.closed_on and self.closed_on <= day:
            return "已关闭"
        if self.eliminated_on and self.eliminated_on <= day:
            return "风险已消除"
        if (self.elimination_started_on and self.elimination_started_on <= day
                and not (self.elimination_refused_on and self.elimination_refused_on <= day)):
            return "风险消除程序中"
        if self.included_on and self.included_on <= day:
            return "监测帮扶中"
        if not self.home_visit_on or self.home_visit_on > day:
            return "待入户核查"
        village = self.village_on and self.village_on <= day
        township = self.township_on and self.township_on <= day
        return "待县级审定" if village and township else "评议审核中"

    def monitored_on(self, day: date) -> bool:
        return bool(self.included_on and self.included_on <= day
                    and not (self.eliminated_on and self.eliminated_on <= day))


@dataclass(frozen=True)
class AlertFacts:
    alert_id: str
    channel: str
    department: str | None
    tier: str | None
    batch_id: str | None
    discovered_on: date
    received_on: date  # the county's calendar day it was recorded
    duplicate_of: str | None
    case_number: int | None
    risk_types: tuple[str, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class MemberFacts:
    spans: tuple[tuple[date | None, date | None], ...]  # (joined, left); None: open
    subsidised_years: tuple[int, ...]

    def member_on(self, day: date) -> bool:
        return any((j is None or j <= day) and (left is None or left > day) for j, left in self.spans)


@dataclass(frozen=True)
class HouseholdFacts:
    """What the indicators read of one household's case file."""

    code: str
    township: str
    village: str
    household_type: str
    registered_on: date  # the day it was registered in the system (its first recording)
    members: tuple[MemberFacts, ...]
    cases: tuple[CaseFacts, ...]
    alerts: tuple[AlertFacts, ...]
    visits: tuple[date, ...]


def household_facts(household: Household) -> HouseholdFacts:
    """The indicator facts of a household as its case file stands."""
    subsidised: dict[str, list[int]] = {}
    for key in household.subsidies:
        id_number, _, year = key.rpartition(":")
        subsidised.setdefault(id_number, []).append(int(year))
    members = tuple(
        MemberFacts(
            spans=((m.joined_on, m.left_on), *m.past_periods),
            subsidised_years=tuple(sorted(subsidised.get(m.id_number, ()))),
        )
        for m in household.members.values()
    )
    alerts = tuple(
        AlertFacts(
            alert_id=a.alert_id, channel=a.channel.value,
            department=a.department.value if a.department else None,
            tier=a.tier.value if a.tier else None, batch_id=a.batch_id,
            discovered_on=a.discovered_on,
            received_on=local_date(a.recorded_at) if a.recorded_at else a.discovered_on,
            duplicate_of=a.duplicate_of, case_number=a.case_number,
            risk_types=tuple(r.value for r in a.risk_types),
            problems=tuple(p.value for p in a.problems),
        )
        for a in household.alerts.values()
    )
    return HouseholdFacts(
        code=household.code, township=household.township, village=household.village,
        household_type=household.household_type.value,
        registered_on=local_date(household.created_on),
        members=members,
        cases=tuple(_case_facts(household, case) for case in household.cases),
        alerts=alerts,
        visits=tuple(sorted(v.occurred_on for v in household.visits)),
    )


def _case_facts(household: Household, case: Case) -> CaseFacts:
    first = household.alerts[case.alert_ids[0]]
    steps = case.identification
    in_place = [m.in_place_on for m in household.measures.values()
                if m.case_number == case.number and m.in_place_on is not None
                and m.status in (MeasureStatus.IN_PLACE, MeasureStatus.ENDED)]
    elimination = case.elimination
    return CaseFacts(
        number=case.number, opened_on=case.opened_on, channel=first.channel.value,
        department=first.department.value if first.department else None,
        re_entry=case.re_entry, persons=household.household_size_on(case.opened_on),
        home_visit_on=_day(steps.home_visit), village_on=_day(steps.village_notice),
        township_on=_day(steps.township_review),
        green_channel_on=case.green_channel.opened_on if case.green_channel else None,
        procedure_done_on=_done_on(steps),
        included_on=case.included_on,
        category=case.category.value if case.category and case.included else None,
        closed_on=case.closed_on, closed_how=_closed_how(steps),
        first_in_place_on=min(in_place, default=None),
        elimination_started_on=_day(elimination.home_visit) if elimination else None,
        elimination_refused_on=_day(elimination.rejected_step) if elimination else None,
        eliminated_on=case.eliminated_on,
    )


def _day(step: object) -> date | None:
    return step.occurred_on if step is not None else None  # type: ignore[attr-defined]


def _done_on(steps: Procedure) -> date | None:
    """The day steps 2–4 were all taken, or the day a step ended the procedure."""
    rejected = steps.rejected_step
    if rejected is not None:
        return rejected.occurred_on
    taken = [steps.village_notice, steps.township_review, steps.county_decision]
    if any(s is None for s in taken):
        return None
    return max(s.occurred_on for s in taken if s is not None)


_CLOSED_HOW = {"home_visit": "核查无风险", "village_notice": "评议未通过",
               "township_review": "审核未通过", "county_decision": "审定未通过"}


def _closed_how(steps: Procedure) -> str | None:
    rejected = steps.rejected_step
    if rejected is None:
        return None
    for name, how in _CLOSED_HOW.items():
        if getattr(steps, name) is rejected:
            return how
    return None


# ---------------------------------------------------------------------------------- items


@dataclass(frozen=True)
class Evaluation:
    """When figures are judged. What happened by ``today`` counts; a deadline counts as missed
    only once its day is over (``ended``: the last day that is over — ``today`` itself when
    judged at its end, the day before when judged during it)."""

    today: date
    ended: date


@dataclass(frozen=True)
class Item:
    """What one case, household, alert, push or month adds to an indicator, and why."""

    key: str
    township: str | None
    village: str | None
    department: str | None
    numerator: int
    denominator: int
    note: str


HouseholdRule = Callable[[HouseholdFacts, Period, "Evaluation"], Iterator[Item]]


@dataclass(frozen=True)
class Indicator:
    """One indicator of domain.md §12."""

    name: str
    code: str
    kind: str  # "rate" | "count"
    levels: tuple[str, ...]  # of "county", "township", "department"
    rule: HouseholdRule | None
    numerator_label: str
    denominator_label: str

    @property
    def formula(self) -> str:
        doc = (self.rule.__doc__ if self.rule else _NON_HOUSEHOLD_DOCS[self.code]) or ""
        return "".join(line.strip() for line in doc.splitlines())


def _item(h: HouseholdFacts, key: str, n: int, d: int, note: str,
          department: str | None = None) -> Item:
    return Item(key, h.township, h.village, department, n, d, note)


def timely_identification(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """识别认定时限达标率 = 期内纳入监测、且自发现之日起15日内完成县级审定的案件数 ÷ 期内纳入监测的
    案件数。案件计入县级审定（纳入）日期所在的统计期；发现后第15天纳入为达标，第16天为超时。按部门统计
    时，计入发起该案件的预警所属部门。"""
    for c in h.cases:
        if c.included_on and c.included_on in period and c.included_on <= on.today:
            days = (c.included_on - c.opened_on).days
            on_time = days <= IDENTIFICATION_DAYS
            yield _item(h, f"{h.code}#{c.number}", int(on_time), 1,
                        f"发现{c.opened_on}，纳入{c.included_on}，用时{days}天"
                        + ("" if on_time else "（超时）"), c.department)


def alert_verification(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """预警核实率 = 期内收到的部门预警（不含重复推送）中，其案件已完成入户核查的条数 ÷ 期内收到的
    部门预警条数。预警按接收日期计入统计期；入户核查以评价日（today）前完成为准。并入已核实案件的预警
    视为已核实。"""
    cases = {c.number: c for c in h.cases}
    for a in h.alerts:
        if (a.channel != Channel.DEPARTMENT_ALERT or a.duplicate_of is not None
                or a.received_on not in period or a.received_on > on.today):
            continue
        case = cases.get(a.case_number) if a.case_number else None
        visited_on = case.home_visit_on if case else None
        verified = visited_on is not None and visited_on <= on.today
        note = f"入户核查{visited_on}" if verified else "尚未入户核查"
        yield _item(h, a.alert_id, int(verified), 1, note, a.department)


def visit_coverage(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """走访覆盖率 = 已走访的（户，月）数 ÷ 应走访的（户，月）数。统计期内已结束（月末不晚于评价日）
    的每个月，月初已登记、且月初为脱贫户、监测对象或已风险消除户（消除后继续走访）的农户应走访一次；
    当月有入户走访记录即为已走访。"""
    lifted_out = h.household_type == HouseholdType.LIFTED_OUT
    first_included = min((c.included_on for c in h.cases if c.included_on), default=None)
    if not lifted_out and first_included is None:
        return  # never due: neither a 脱贫户 nor ever a monitoring object
    due = visited = 0
    missed = []
    visit_months = {(v.year, v.month) for v in h.visits}
    for month in period.months():
        if month.end > on.ended or h.registered_on > month.start:
            continue
        if not (lifted_out or (first_included is not None and first_included <= month.start)):
            continue
        due += 1
        if (month.start.year, month.start.month) in visit_months:
            visited += 1
        else:
            missed.append(month.label)
    if due:
        note = f"未走访：{'、'.join(missed)}" if missed else "每月均已走访"
        yield _item(h, h.code, visited, due, note)


def measures_in_place(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """帮扶措施落实率 = 期内纳入的监测对象中，纳入后30日内（含绿色通道纳入前已落实）有帮扶措施落实
    的户数 ÷ 期内纳入、且已满30日或已有措施落实的监测对象数。未满30日又尚无措施的不计入。"""
    for c in h.cases:
        if not (c.included_on and c.included_on in period and c.included_on <= on.today):
            continue
        limit = c.included_on + timedelta(days=MEASURE_WITHIN_DAYS)
        placed = c.first_in_place_on if c.first_in_place_on and c.first_in_place_on <= on.today else None
        if placed is None and limit > on.ended:
            continue  # not yet due
        in_time = placed is not None and placed <= limit
        note = (f"纳入{c.included_on}，措施落实{placed}" if placed
                else f"纳入{c.included_on}，30日内无措施落实")
        yield _item(h, f"{h.code}#{c.number}", int(in_time), 1, note)


def medical_subsidy(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """医保参保资助覆盖率 = 统计期内曾为监测对象的家庭中，享受该年度医保参保资助的成员数 ÷ 这些
    家庭的成员数。成员按统计期内最后一个监测日（不晚于评价日）在册计；资助年度为统计期所在年度。"""
    last_day = min(period.end, on.today)
    if last_day < period.start:
        return
    monitored_days = []
    for c in h.cases:
        if not c.included_on or c.included_on > last_day:
            continue
        end = last_day if not c.eliminated_on else min(last_day, c.eliminated_on - timedelta(days=1))
        if end >= max(c.included_on, period.start):
            monitored_days.append(end)
    if not monitored_days:
        return
    day = max(monitored_days)
    year = period.start.year
    members = [m for m in h.members if m.member_on(day)]
    subsidised = sum(1 for m in members if year in m.subsidised_years)
    yield _item(h, h.code, subsidised, len(members), f"{year}年度资助{subsidised}/{len(members)}人")


def green_channel_completion(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """绿色通道补办率 = 期内开通绿色通道的案件中，评价日前已补办完村级评议公示、乡镇核查初审和县级
    比对审定（或程序已终结）的案件数 ÷ 期内开通绿色通道的案件数。补办在统计期之后完成的，在评价日
    不早于完成日时计为已补办。"""
    for c in h.cases:
        if not (c.green_channel_on and c.green_channel_on in period and c.green_channel_on <= on.today):
            continue
        done = c.procedure_done_on is not None and c.procedure_done_on <= on.today
        note = f"补办完成{c.procedure_done_on}" if done else "尚未补办完成"
        yield _item(h, f"{h.code}#{c.number}", int(done), 1, note)


def elimination_stability(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """风险消除稳定率 = 风险消除满12个月的案件中，12个月内未再发生新案件的数 ÷ 风险消除满12个月的
    案件数。案件计入满12个月之日所在的统计期（该日已过）；入户核查认定无风险的预警不算再次发生。"""
    for c in h.cases:
        if not c.eliminated_on:
            continue
        anniversary = add_months(c.eliminated_on, STABILITY_MONTHS)
        if anniversary not in period or anniversary > on.ended:
            continue
        # a later alert found risk-free at the household visit is no relapse
        again = [later.opened_on for later in h.cases
                 if c.eliminated_on < later.opened_on <= anniversary and later.closed_how != "核查无风险"]
        note = f"消除{c.eliminated_on}，" + (f"{again[0]}再次发生风险" if again else "12个月内未再发生风险")
        yield _item(h, f"{h.code}#{c.number}", int(not again), 1, note)


def fell_into_poverty(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """返贫致贫人数 = 期内纳入监测的案件所涉人口数（纳入案件时的家庭人口）。脱贫户纳入为返贫风险，
    一般农户纳入为致贫风险；风险消除后再次纳入的另计入“消除后再次纳入户数”。"""
    for c in h.cases:
        if c.included_on and c.included_on in period and c.included_on <= on.today:
            kind = "返贫" if h.household_type == HouseholdType.LIFTED_OUT else "致贫"
            again = "，消除后再次纳入" if c.re_entry else ""
            yield _item(h, f"{h.code}#{c.number}", c.persons, 0,
                        f"{kind}，{c.persons}人，纳入{c.included_on}{again}")


def re_entries(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """消除后再次纳入户数 = 期内纳入监测、且此前曾风险消除的案件数（返贫致贫中的再次纳入）。"""
    for c in h.cases:
        if c.re_entry and c.included_on and c.included_on in period and c.included_on <= on.today:
            yield _item(h, f"{h.code}#{c.number}", 1, 0, f"再次纳入{c.included_on}")


_NON_HOUSEHOLD_DOCS = {
    "push_timeliness": """部门推送及时率 = 按时推送数 ÷ 应推送数。应推送数为统计期内到期（且到期日不晚于
    评价日）的定期推送（按推送频次表逐部门、逐期次），加上事件类推送（须在发现后若干日内推送的预警，
    逐条计）。到期日当天收到为按时，次日起为迟报，评价日仍未收到为漏报；紧急推送另计，不计入。""",
    "consultations": """会商召开情况 = 召开了月分析会商的月份数 ÷ 统计期内已结束（或已召开会商）的
    月份数。仅县级。""",
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("识别认定时限达标率", "timely_identification", "rate",
              ("county", "township", "department"), timely_identification,
              "15日内纳入的案件", "纳入的案件"),
    Indicator("预警核实率", "alert_verification", "rate", ("county", "township", "department"),
              alert_verification, "已入户核查的部门预警", "收到的部门预警"),
    Indicator("走访覆盖率", "visit_coverage", "rate", ("county", "township"), visit_coverage,
              "已走访（户·月）", "应走访（户·月）"),
    Indicator("帮扶措施落实率", "measures_in_place", "rate", ("county", "township"),
              measures_in_place, "30日内措施落实的监测对象", "纳入满30日的监测对象"),
    Indicator("医保参保资助覆盖率", "medical_subsidy", "rate", ("county", "township"),
              medical_subsidy, "已资助成员", "监测户成员"),
    Indicator("绿色通道补办率", "green_channel_completion", "rate", ("county", "township"),
              green_channel_completion, "已补办完成的案件", "绿色通道案件"),
    Indicator("风险消除稳定率", "elimination_stability", "rate", ("county", "township"),
              elimination_stability, "12个月内未再发生风险", "消除满12个月的案件"),
    Indicator("返贫致贫人数", "fell_into_poverty", "count", ("county", "township"),
              fell_into_poverty, "人数", ""),
    Indicator("消除后再次纳入户数", "re_entries", "count", ("county", "township"), re_entries,
              "户数", ""),
    Indicator("部门推送及时率", "push_timeliness", "rate", ("county", "department"), None,
              "按时推送", "应推送"),
    Indicator("会商召开情况", "consultations", "rate", ("county",), None,
              "召开会商的月份", "统计月份"),
)

INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}
INDICATOR_BY_NAME = {i.name: i for i in INDICATORS}


def indicator_named(name_or_code: str) -> Indicator | None:
    return INDICATOR_BY_CODE.get(name_or_code) or INDICATOR_BY_NAME.get(name_or_code)


# ---------------------------------------------------------------------------------- tally


@dataclass(frozen=True)
class Area:
    """Where a figure is for: the county, a township or a department."""

    level: str  # "county" | "township" | "department"
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass
class Figure:
    """An indicator's numerator and denominator for one area."""

    indicator: Indicator
    area: Area
    numerator: int = 0
    denominator: int = 0

    @property
    def rate(self) -> float | None:
        if self.indicator.kind != "rate" or not self.denominator:
            return None
        return round(self.numerator / self.denominator, 4)


@dataclass
class Tally:
    """Sums the items of every household, push and meeting into figures per area.

    ``detail``: (indicator code, area) whose items are kept for a drill-down; None keeps none
    (a county's items would not fit in memory at province scale)."""

    period: Period
    today: date
    county: str
    duties: tuple[Duty, ...] = ()
    detail: tuple[str, Area] | None = None
    ended: date | None = None  # the last day that is over (default: ``today``)
    figures: dict[tuple[str, Area], Figure] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    _event_alerts: list[AlertPush] = field(default_factory=list)
    _event_departments: set[str] = field(default_factory=set)
    _rules: list[tuple[Indicator, HouseholdRule]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.on = Evaluation(self.today, self.ended or self.today)
        self._event_departments = {d.department.value for d in self.duties if not d.scheduled}
        self._rules = [(i, i.rule) for i in INDICATORS if i.rule is not None]

    def add_household(self, facts: HouseholdFacts) -> None:
        for indicator, rule in self._rules:
            for item in rule(facts, self.period, self.on):
                self._add(indicator, item)
        for a in facts.alerts:
            if a.department in self._event_departments and a.duplicate_of is None:
                self._event_alerts.append(AlertPush(
                    a.alert_id, Department(a.department), facts.township, a.risk_types,
                    a.problems, a.discovered_on, a.received_on, a.batch_id, a.tier,
                ))

    def add_pushes(self, receipts: Iterable[PushReceipt]) -> list[ExpectedPush]:
        """Judge the pushes due in the period (call once, after every household)."""
        indicator = INDICATOR_BY_CODE["push_timeliness"]
        pushes = expected_pushes(self.duties, receipts, self.period, self.today, self.on.ended)
        pushes += event_pushes(self.duties, self._event_alerts, self.period, self.today,
                               self.on.ended)
        for push in pushes:
            key = f"{push.duty.department}·{push.duty.number}·{push.period}"
            self._add(indicator, Item(key, None, None, push.duty.department.value,
                                      int(push.on_time), 1, f"应于{push.due_on}前推送，{push.status}"))
        return pushes

    def add_meetings(self, meetings: Iterable[Meeting]) -> None:
        indicator = INDICATOR_BY_CODE["consultations"]
        held = {f"{m.held_on:%Y-%m}": m for m in meetings
                if m.kind == "consultation" and m.held_on <= self.today}
        for month in self.period.months():
            meeting = held.get(month.label)
            if month.start > self.today or (month.end > self.on.ended and meeting is None):
                continue
            note = f"{meeting.held_on}召开（{meeting.meeting_id}）" if meeting else "当月未召开会商"
            self._add(indicator, Item(month.label, None, None, None, int(meeting is not None), 1, note))

    def _add(self, indicator: Indicator, item: Item) -> None:
        areas = [Area("county", self.county)]
        if "township" in indicator.levels and item.township:
            areas.append(Area("township", item.township))
        if "department" in indicator.levels and item.department:
            areas.append(Area("department", item.department))
        for area in areas:
            figure = self.figures.get((indicator.code, area))
            if figure is None:
                figure = self.figures[(indicator.code, area)] = Figure(indicator, area)
            figure.numerator += item.numerator
            figure.denominator += item.denominator
            if self.detail == (indicator.code, area):
                self.items.append(item)

    def table(self) -> list[Figure]:
        """Every figure: county first, then townships, then departments, each in indicator order."""
        order = {i.code: n for n, i in enumerate(INDICATORS)}
        levels = {"county": 0, "township": 1, "department": 2}
        figures = list(self.figures.values())
        # Indicators with nothing to count still show for the county, as 0 of 0.
        for indicator in INDICATORS:
            key = (indicator.code, Area("county", self.county))
            if key not in self.figures:
                figures.append(Figure(indicator, key[1]))
        return sorted(figures, key=lambda f: (levels[f.area.level], f.area.name, order[f.indicator.code]))
