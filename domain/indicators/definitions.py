"""The indicators of domain.md §12, defined once: each turns one household's facts into `Item`s —
what the household adds to the numerator and the denominator, and why — for a period and an
evaluation day (what has happened by that day counts; what is not yet due does not).

Where the notice leaves a choice, the reading is stated in the indicator's docstring; the
reports repeat it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from domain.codes import Channel, HouseholdType
from domain.deadlines import measure_deadline
from domain.indicators.facts import CaseFacts, HouseholdFacts
from domain.periods import Period, in_force
from domain.rules import add_months

STABILITY_MONTHS = 12


@dataclass(frozen=True)
class Evaluation:
    """When figures are judged, and by which poverty line. What happened by ``today`` counts; a
    deadline counts as missed only once its day is over (``ended``: the last day that is over —
    ``today`` itself when judged at its end, the day before when judged during it).

    The rules ask it about days (`reached`, `over`, `last_day_of`, `poverty_line_on`) and never
    compare with ``today`` or ``ended`` themselves: an evaluation that notes what it is asked
    (`domain.indicators.settled`) then knows from which day on a household's items stay put."""

    today: date
    ended: date
    poverty_lines: tuple[tuple[date, Decimal], ...] = ()  # (effective from, yuan), in date order
    #: The day the county began recording (its log's first event); None: judge every period.
    began: date | None = None

    def reached(self, day: date) -> bool:
        """Whether ``day`` has come by the evaluation day: what happened on it counts."""
        return day <= self.today

    def over(self, day: date) -> bool:
        """Whether ``day`` is over: a deadline on it is missed once it is."""
        return day <= self.ended

    def last_day_of(self, period: Period) -> date:
        """The period's last day once it has come, else the evaluation day (the period's last
        day so far)."""
        return period.end if self.reached(period.end) else self.today

    def owed(self, due: date) -> bool:
        """Whether a push or meeting due on ``due`` was owed: not if it fell due before the
        county began recording here (nobody could push to, or record in, a log not yet kept)."""
        return self.began is None or due >= self.began

    def poverty_line_on(self, day: date) -> Decimal | None:
        """The poverty line in force on ``day`` (as `IncomeLinePolicy.poverty_line_on`)."""
        return in_force(self.poverty_lines, day)


@dataclass(frozen=True, slots=True)
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
    #: The households the rule can count at all, whatever the period and the day: others are
    #: not asked (None: every household).
    applies_to: Callable[[HouseholdFacts], bool] | None = None

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
        if c.included_on and c.included_on in period and on.reached(c.included_on):
            days = (c.included_on - c.opened_on).days
            on_time = not c.included_late
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
                or a.received_on not in period or not on.reached(a.received_on)):
            continue
        case = cases.get(a.case_number) if a.case_number else None
        visited_on = case.home_visit_on if case else None
        verified = visited_on is not None and on.reached(visited_on)
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
    # due each month that begins once it is registered and, unless a 脱贫户, once first included
    due_from = h.registered_on if lifted_out or first_included is None else max(
        h.registered_on, first_included)
    due = visited = 0
    missed = []
    visit_months = {(v.year, v.month) for v in h.visits}
    for month in period.months():
        start = month.start
        if not on.over(month.end) or start < due_from:
            continue
        due += 1
        if (start.year, start.month) in visit_months:
            visited += 1
        else:
            missed.append(month.label)
    if due:
        note = f"未走访：{'、'.join(missed)}" if missed else "每月均已走访"
        yield _item(h, h.code, visited, due, note)


def measures_in_place(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """帮扶措施落实率 = 期内纳入的监测对象中，纳入后30日内（含绿色通道纳入前已落实）每一项研判的帮扶
    需求都有对应类型措施落实的户数 ÷ 期内纳入、且已满30日或需求已全部落实的监测对象数（缺什么补什么）。
    需求以第30日（含）前最近一次风险研判为准；30日内未研判的计为未落实；未满30日又未全部落实的不计入。"""
    for c in h.cases:
        if not (c.included_on and c.included_on in period and on.reached(c.included_on)):
            continue
        limit = measure_deadline(c.included_on)
        met = c.needs_met_on if c.needs_met_on and on.reached(c.needs_met_on) else None
        if met is None and not on.over(limit):
            continue  # not yet due
        in_time = met is not None and met <= limit
        needs = "、".join(c.needs)
        if met:
            note = f"纳入{c.included_on}，需求（{needs}）{met}全部落实"
        elif c.needs:
            note = f"纳入{c.included_on}，需求（{needs}）30日内未全部落实"
        else:
            note = f"纳入{c.included_on}，30日内未研判帮扶需求"
        yield _item(h, f"{h.code}#{c.number}", int(in_time), 1, note)


def medical_subsidy(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """医保参保资助覆盖率 = 统计期内曾为监测对象的家庭中，享受该年度医保参保资助的成员数 ÷ 这些
    家庭的成员数。成员按统计期内最后一个监测日（不晚于评价日）在册计；资助年度为统计期所在年度。"""
    last_day = on.last_day_of(period)
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
        if not (c.green_channel_on and c.green_channel_on in period
                and on.reached(c.green_channel_on)):
            continue
        done = c.procedure_done_on is not None and on.reached(c.procedure_done_on)
        note = f"补办完成{c.procedure_done_on}" if done else "尚未补办完成"
        yield _item(h, f"{h.code}#{c.number}", int(done), 1, note)


def elimination_stability(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """风险消除稳定率 = 风险消除满12个月的案件中，12个月内未再发生新案件的数 ÷ 风险消除满12个月的
    案件数。案件计入满12个月之日所在的统计期（该日已过）；入户核查认定无风险的预警不算再次发生。"""
    for c in h.cases:
        if not c.eliminated_on:
            continue
        anniversary = add_months(c.eliminated_on, STABILITY_MONTHS)
        if anniversary not in period or not on.over(anniversary):
            continue
        # a later alert found risk-free at the household visit is no relapse
        again = [later.opened_on for later in h.cases
                 if c.eliminated_on < later.opened_on <= anniversary and later.closed_how != "核查无风险"]
        note = f"消除{c.eliminated_on}，" + (f"{again[0]}再次发生风险" if again else "12个月内未再发生风险")
        yield _item(h, f"{h.code}#{c.number}", int(not again), 1, note)


def appeals_on_time(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """申诉按期办结率 = 答复期限（提出时按县定期限记下的答复日，默认提出之日起15日）在统计期内的
    申诉中，期限内答复的件数 ÷ 这些申诉件数。期限未过、也尚未答复的申诉暂不计入；期限过后才答复的
    计为逾期。"""
    for c in h.cases:
        for appeal_id, lodged_on, due, answered_on in c.appeals:
            answered = answered_on if answered_on is not None and on.reached(answered_on) else None
            if due not in period or not on.reached(lodged_on) or (answered is None and not on.over(due)):
                continue
            on_time = answered is not None and answered <= due
            note = f"提出{lodged_on}，期限{due}，" + (f"{answered}答复" if answered else "尚未答复") + (
                "" if on_time else "（逾期）")
            yield _item(h, f"{h.code}#{appeal_id}", int(on_time), 1, note)


def _fell_below(h: HouseholdFacts, period: Period, on: Evaluation) -> tuple[tuple[str, Item], ...]:
    """The household's first income evidence in the period below the poverty line in force that
    day, as ("返贫" if it was a 脱贫户 that day | "致贫" if a 一般农户, item with the persons of
    the household that day). A day before a 脱贫户 was lifted out is neither: it was poor then.

    Three indicators read it in turn for each household: the last answer is kept for the next
    (with the household, period and evaluation it is for, so it answers those only)."""
    last = _last_judged[0]
    if last is not None and last[0] is h and last[1] is period and last[2] is on:
        return last[3]
    found = tuple(_first_below(h, period, on))
    _last_judged[0] = (h, period, on, found)
    return found


_last_judged: list[tuple[HouseholdFacts, Period, Evaluation, tuple[tuple[str, Item], ...]] | None] = [None]


def _first_below(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[tuple[str, Item]]:
    unjudged: list[str] = []
    for day, per_capita in h.incomes:
        if day not in period or not on.reached(day):
            continue
        line = on.poverty_line_on(day)
        if line is None:
            unjudged.append(f"{day}无扶贫标准，收入未判定")
            continue
        if per_capita >= line:
            continue
        household_type = h.type_on(day)
        if household_type is None:
            unjudged.append(f"{day}尚未脱贫（{h.lifted_out_year}年脱贫），不计返贫致贫")
            continue
        kind = "返贫" if household_type == HouseholdType.LIFTED_OUT else "致贫"
        persons = h.persons_on(day)
        yield kind, _item(h, h.code, persons, 0,
                          f"{kind}，{day}人均纯收入{per_capita}元低于扶贫标准{line}元，{persons}人")
        return
    if unjudged:  # said, not counted: no line (or not yet lifted out), no finding
        yield "未判定", _item(h, h.code, 0, 0, unjudged[0])


def fell_into_poverty(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """返贫致贫人数 = 期内有收入核算或走访核实的家庭人均纯收入低于当日扶贫标准（不是收入监测标准）的
    农户的人口数（该日家庭人口），每户每期计一次；按该日的户类型，脱贫户为返贫，一般农户为致贫（脱贫年度
    之前的收入不计）。被纳入监测只是有风险，不计入。当日未设定扶贫标准的收入不作判定，在明细中注明。"""
    for _, item in _fell_below(h, period, on):
        yield item


def fell_back(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """返贫人数 = 返贫致贫人数中脱贫户的人口数。"""
    for kind, item in _fell_below(h, period, on):
        if kind == "返贫":
            yield item


def fell_in(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """致贫人数 = 返贫致贫人数中一般农户（非脱贫户）的人口数。"""
    for kind, item in _fell_below(h, period, on):
        if kind == "致贫":
            yield item


def _newly_included(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[CaseFacts]:
    for c in h.cases:
        if (not c.re_entry and c.included_on and c.included_on in period
                and on.reached(c.included_on)):
            yield c


def new_households(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """新识别监测对象户数 = 期内经县级审定纳入监测的户数（描述性，不是返贫致贫）；风险消除后再次纳入
    的不计入，另见“消除后再次纳入户数”。"""
    for c in _newly_included(h, period, on):
        yield _item(h, f"{h.code}#{c.number}", 1, 0, f"纳入{c.included_on}（{c.category or '监测对象'}）")


def new_people(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """新识别监测对象人数 = 期内新识别监测对象的家庭人口数（纳入案件时的家庭人口）。"""
    for c in _newly_included(h, period, on):
        yield _item(h, f"{h.code}#{c.number}", c.persons, 0, f"纳入{c.included_on}，{c.persons}人")


def re_entries(h: HouseholdFacts, period: Period, on: Evaluation) -> Iterator[Item]:
    """消除后再次纳入户数 = 期内纳入监测、且此前曾风险消除的案件数。"""
    for c in h.cases:
        if c.re_entry and c.included_on and c.included_on in period and on.reached(c.included_on):
            yield _item(h, f"{h.code}#{c.number}", 1, 0, f"再次纳入{c.included_on}")


def has_cases(h: HouseholdFacts) -> bool:
    """The household has had a case (an alert that opened one)."""
    return bool(h.cases)


def has_alerts(h: HouseholdFacts) -> bool:
    return bool(h.alerts)


def has_incomes(h: HouseholdFacts) -> bool:
    """Some income of the household was found (an assessment, a visit that found a figure)."""
    return bool(h.incomes)


def visited_monthly(h: HouseholdFacts) -> bool:
    """A 脱贫户, or a household that has had a case (it may have been a monitoring object):
    the households `visit_coverage` may find due a visit."""
    return h.household_type == HouseholdType.LIFTED_OUT or bool(h.cases)


_NON_HOUSEHOLD_DOCS = {
    "push_timeliness": """部门推送及时率 = 按时推送数 ÷ 应推送数。应推送数为统计期内到期（且到期日不晚于
    评价日）的定期推送（按推送频次表逐部门、逐期次），加上事件类推送（须在发现后若干日内推送的预警，
    逐条计）。到期日当天收到为按时，次日起为迟报，评价日仍未收到为漏报；紧急推送另计，不计入。省级推送
    不计入部门；各行均被拒收的批次不算推送（零报告算）。到期日早于本县开始记录之日（日志首条记录的
    登记日）的期次不计入应推送数。""",
    "consultations": """会商召开情况 = 召开了月分析会商的月份数 ÷ 统计期内已结束（或已召开会商）的
    月份数。月末早于本县开始记录之日（日志首条记录的登记日）的月份不计入。仅县级。""",
}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("识别认定时限达标率", "timely_identification", "rate",
              ("county", "township", "department"), timely_identification,
              "15日内纳入的案件", "纳入的案件", applies_to=has_cases),
    Indicator("预警核实率", "alert_verification", "rate", ("county", "township", "department"),
              alert_verification, "已入户核查的部门预警", "收到的部门预警", applies_to=has_alerts),
    Indicator("走访覆盖率", "visit_coverage", "rate", ("county", "township"), visit_coverage,
              "已走访（户·月）", "应走访（户·月）", applies_to=visited_monthly),
    Indicator("帮扶措施落实率", "measures_in_place", "rate", ("county", "township"),
              measures_in_place, "30日内需求全部落实的监测对象", "纳入满30日的监测对象",
              applies_to=has_cases),
    Indicator("医保参保资助覆盖率", "medical_subsidy", "rate", ("county", "township"),
              medical_subsidy, "已资助成员", "监测户成员", applies_to=has_cases),
    Indicator("绿色通道补办率", "green_channel_completion", "rate", ("county", "township"),
              green_channel_completion, "已补办完成的案件", "绿色通道案件", applies_to=has_cases),
    Indicator("风险消除稳定率", "elimination_stability", "rate", ("county", "township"),
              elimination_stability, "12个月内未再发生风险", "消除满12个月的案件", applies_to=has_cases),
    Indicator("申诉按期办结率", "appeals_on_time", "rate", ("county", "township"), appeals_on_time,
              "期限内答复的申诉", "到期的申诉", applies_to=has_cases),
    Indicator("返贫致贫人数", "fell_into_poverty", "count", ("county", "township"),
              fell_into_poverty, "人数", "", applies_to=has_incomes),
    Indicator("返贫人数", "fell_back", "count", ("county", "township"), fell_back, "人数", "",
              applies_to=has_incomes),
    Indicator("致贫人数", "fell_in", "count", ("county", "township"), fell_in, "人数", "",
              applies_to=has_incomes),
    Indicator("新识别监测对象户数", "new_households", "count", ("county", "township"),
              new_households, "户数", "", applies_to=has_cases),
    Indicator("新识别监测对象人数", "new_people", "count", ("county", "township"), new_people,
              "人数", "", applies_to=has_cases),
    Indicator("消除后再次纳入户数", "re_entries", "count", ("county", "township"), re_entries,
              "户数", "", applies_to=has_cases),
    Indicator("部门推送及时率", "push_timeliness", "rate", ("county", "department"), None,
              "按时推送", "应推送"),
    Indicator("会商召开情况", "consultations", "rate", ("county",), None,
              "召开会商的月份", "统计月份"),
)

INDICATOR_BY_CODE = {i.code: i for i in INDICATORS}
INDICATOR_BY_NAME = {i.name: i for i in INDICATORS}


def indicator_named(name_or_code: str) -> Indicator | None:
    return INDICATOR_BY_CODE.get(name_or_code) or INDICATOR_BY_NAME.get(name_or_code)
