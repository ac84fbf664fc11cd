"""Hand-worked indicator scenarios (domain.md §12): exact numerators and denominators.

Each scenario builds case files through the aggregate's own commands, reduces them to facts and
tallies them for a period and an evaluation day, as the application does.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from household_kit import (
    COUNTY,
    DEPARTMENT,
    TOWNSHIP,
    all_checks,
    analyse,
    at,
    eliminate,
    help_until_eliminable,
    include,
    raise_alert,
    registered,
    when,
)

from domain.cadences import expected_pushes, parse_duties
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    DisasterKind,
    Finding,
    HouseholdType,
    MeasureType,
    RiskType,
    SuddenHardship,
    Tier,
)
from domain.errors import InvalidValue
from domain.governance import Meeting, PushReceipt
from domain.household import Household
from domain.indicators import Area, Tally, household_facts
from domain.periods import month_period, parse_period, quarter_period

COUNTY_NAME = "全县"


def tally(households: list[Household], period: str, today: date, *, receipts=(), meetings=(),
          duties=(), detail=None) -> Tally:
    t = Tally(parse_period(period), today, COUNTY_NAME, tuple(duties), detail)
    for household in households:
        t.add_household(household_facts(household))
    t.add_pushes(list(receipts))
    t.add_meetings(list(meetings))
    return t


def figure(t: Tally, code: str, level: str = "county", name: str = COUNTY_NAME) -> tuple[int, int]:
    found = t.figures.get((code, Area(level, name)))
    return (found.numerator, found.denominator) if found else (0, 0)


def identified(household: Household, discovered: date, county_on: date, *,
               channel: Channel = Channel.SELF_DECLARATION, department: Department | None = None,
               risk: RiskType = RiskType.ILLNESS) -> int:
    """A case discovered on ``discovered`` and decided by the county on ``county_on``."""
    extra = {}
    if department is not None:
        channel = Channel.DEPARTMENT_ALERT
        extra = {"department": department, "tier": Tier.COUNTY, "batch_id": "B1"}
    outcome = raise_alert(household, discovered, channel=channel, risk_types=(risk,), **extra)
    number = outcome.case_number
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(discovered + timedelta(1)))
    household.conclude_village_deliberation(
        number, Decision.PASSED, notice_from=discovered + timedelta(2),
        notice_to=discovered + timedelta(7), **when(discovered + timedelta(8)))
    household.complete_township_review(number, Decision.PASSED,
                                       **when(discovered + timedelta(9), TOWNSHIP))
    household.decide_at_county(number, Decision.PASSED, category=Category.EDGE_OF_POVERTY,
                               simplified=True, asset_comparison="", **when(county_on, COUNTY))
    return number


# ------------------------------------------------------------------ 识别认定时限达标率


def test_included_on_day_15_is_on_time_and_day_16_is_late() -> None:
    on_time, late = registered(), registered()
    identified(on_time, date(2025, 3, 1), date(2025, 3, 16), department=Department.MEDICAL_INSURANCE)
    identified(late, date(2025, 3, 1), date(2025, 3, 17))

    t = tally([on_time, late], "2025-03", date(2025, 3, 31),
              detail=("timely_identification", Area("county", COUNTY_NAME)))

    assert figure(t, "timely_identification") == (1, 2)
    assert figure(t, "timely_identification", "township", "王安镇") == (1, 2)
    # by department: the case the 医保局 alert opened, and only that one
    assert figure(t, "timely_identification", "department", "医保局") == (1, 1)
    notes = sorted(item.note for item in t.items)
    assert notes[0].endswith("用时15天") and notes[1].endswith("用时16天（超时）")


def test_a_case_counts_in_the_month_it_was_included_not_discovered() -> None:
    household = registered()
    identified(household, date(2025, 3, 25), date(2025, 4, 3))
    assert figure(tally([household], "2025-03", date(2025, 4, 30)), "timely_identification") == (0, 0)
    assert figure(tally([household], "2025-04", date(2025, 4, 30)), "timely_identification") == (1, 1)
    # not yet included on the evaluation day: not counted
    assert figure(tally([household], "2025-04", date(2025, 4, 2)), "timely_identification") == (0, 0)


# ------------------------------------------------------------------ 部门推送及时率


DUTIES = parse_duties({"duty": [
    {"number": "⑦", "departments": ["公安局", "网信办"], "rule": "monthly_by_day", "days": 5},
    {"number": "②", "departments": ["医保局"], "rule": "every_ten_days"},
    {"number": "①", "departments": ["应急管理局"], "rule": "within_days_of_event", "days": 7,
     "risk_types": ["因自然灾害"]},
]})


def receipt(department: Department, period: str, received: date, *, urgent: bool = False,
            batch: str | None = None, tier: Tier = Tier.COUNTY) -> PushReceipt:
    return PushReceipt(department, batch or f"{department}-{period}-{received}", tier, period,
                       received, at(received), urgent, 3, 1, 0, 1, 1)


def test_a_provincial_push_is_never_credited_to_the_county_department() -> None:
    # Given the province pushed 医保局's 上旬 on time, and the department itself only late
    receipts = [
        receipt(Department.MEDICAL_INSURANCE, "2025-04上旬", date(2025, 4, 9), tier=Tier.PROVINCIAL),
        receipt(Department.MEDICAL_INSURANCE, "2025-04上旬", date(2025, 4, 12)),
        receipt(Department.MEDICAL_INSURANCE, "2025-04中旬", date(2025, 4, 19), tier=Tier.PROVINCIAL),
    ]
    # When April's pushes are judged on the 25th
    pushes = expected_pushes(DUTIES, receipts, month_period(2025, 4), date(2025, 4, 25))
    # Then 上旬 is the department's own, two days late, and 中旬 is missing
    status = {p.period: p.status for p in pushes if p.duty.department is Department.MEDICAL_INSURANCE}
    assert status == {"2025-04上旬": "迟报2天", "2025-04中旬": "漏报"}

    # And a provincial alert does not stand for the alert an event duty owes
    flooded = registered()
    flooded.raise_alert(
        alert_id="SJ-1-1", channel=Channel.DEPARTMENT_ALERT, person_id_number=flooded.head.id_number,
        risk_types=(RiskType.NATURAL_DISASTER,), department=Department.EMERGENCY,
        tier=Tier.PROVINCIAL, batch_id="SJ-1", disaster_kind=DisasterKind.FLOOD,
        occurred_on=date(2025, 4, 1), by=DEPARTMENT, at=at(date(2025, 4, 3)), command_id="sj")
    t = tally([flooded], "2025-04", date(2025, 4, 30), receipts=[], duties=DUTIES)
    assert figure(t, "push_timeliness", "department", "应急管理局") == (0, 0)


def test_a_batch_whose_every_row_was_refused_is_still_owed_but_a_zero_report_meets_it() -> None:
    """Given 医保局's 上旬 batch of 3 rows all refused on the 9th and an accepted one on the 12th,
    and 公安局's zero report on the 5th, then 医保局 is 2 days late and 公安局 on time."""
    all_refused = PushReceipt(Department.MEDICAL_INSURANCE, "YB-1", Tier.COUNTY, "2025-04上旬",
                              date(2025, 4, 9), at(date(2025, 4, 9)), False, 3, 0, 0, 0, 3)
    zero = PushReceipt(Department.PUBLIC_SECURITY, "GA-0", Tier.COUNTY, "2025-03",
                       date(2025, 4, 5), at(date(2025, 4, 5)), False, 0, 0, 0, 0, 0)
    pushes = {(p.duty.department, p.period): p for p in expected_pushes(
        DUTIES, [all_refused, zero], month_period(2025, 4), date(2025, 4, 30))}
    assert pushes[(Department.MEDICAL_INSURANCE, "2025-04上旬")].status == "漏报"
    assert pushes[(Department.PUBLIC_SECURITY, "2025-03")].status == "按时"
    later = receipt(Department.MEDICAL_INSURANCE, "2025-04上旬", date(2025, 4, 12))
    pushes = {(p.duty.department, p.period): p for p in expected_pushes(
        DUTIES, [all_refused, later], month_period(2025, 4), date(2025, 4, 30))}
    assert pushes[(Department.MEDICAL_INSURANCE, "2025-04上旬")].status == "迟报2天"


def test_a_push_due_on_the_5th_arriving_on_the_6th_is_one_day_late() -> None:
    receipts = [
        receipt(Department.PUBLIC_SECURITY, "2025-03", date(2025, 4, 6)),
        # 网信办's March push never came; an urgent batch does not make up for it
        receipt(Department.CYBERSPACE, "2025-03", date(2025, 4, 2), urgent=True),
    ]
    pushes = expected_pushes(DUTIES, receipts, month_period(2025, 4), date(2025, 4, 30))
    monthly = {(p.duty.department, p.period): p for p in pushes if p.duty.number == "⑦"}
    # March's pushes are due in April (by the 5th); April's are due in May: not in April
    assert set(monthly) == {(Department.PUBLIC_SECURITY, "2025-03"), (Department.CYBERSPACE, "2025-03")}
    late = monthly[(Department.PUBLIC_SECURITY, "2025-03")]
    assert late.due_on == date(2025, 4, 5) and late.days_late == 1 and late.status == "迟报1天"
    assert monthly[(Department.CYBERSPACE, "2025-03")].status == "漏报"

    on_the_5th = expected_pushes(
        DUTIES, [receipt(Department.PUBLIC_SECURITY, "2025-03", date(2025, 4, 5))],
        month_period(2025, 4), date(2025, 4, 30))
    assert next(p for p in on_the_5th if p.duty.department is Department.PUBLIC_SECURITY).on_time


def test_push_timeliness_counts_every_due_window_and_event_alerts() -> None:
    # 医保局: April's three 旬 pushes (due 10th, 20th, 30th): on time, late, missing.
    receipts = [
        receipt(Department.MEDICAL_INSURANCE, "2025-04上旬", date(2025, 4, 10)),
        receipt(Department.MEDICAL_INSURANCE, "2025-04中旬", date(2025, 4, 23)),
        receipt(Department.PUBLIC_SECURITY, "2025-03", date(2025, 4, 5)),
        receipt(Department.CYBERSPACE, "2025-03", date(2025, 4, 1)),
    ]
    # 应急管理局: a disaster alert discovered 4-01 and received 4-08 (due within 7 days: 4-08).
    flooded = registered()
    flooded.raise_alert(
        alert_id="YJ-1-1", channel=Channel.DEPARTMENT_ALERT, person_id_number=flooded.head.id_number,
        risk_types=(RiskType.NATURAL_DISASTER,), department=Department.EMERGENCY, tier=Tier.COUNTY,
        batch_id="YJ-1", disaster_kind=DisasterKind.FLOOD, occurred_on=date(2025, 4, 1),
        by=DEPARTMENT, at=at(date(2025, 4, 8)), command_id="yj",
    )
    t = tally([flooded], "2025-04", date(2025, 4, 30), receipts=receipts, duties=DUTIES)
    assert figure(t, "push_timeliness", "department", "医保局") == (1, 3)
    assert figure(t, "push_timeliness", "department", "公安局") == (1, 1)
    assert figure(t, "push_timeliness", "department", "网信办") == (1, 1)
    assert figure(t, "push_timeliness", "department", "应急管理局") == (1, 1)
    assert figure(t, "push_timeliness") == (4, 6)
    # On 4-15 only the windows due by then count: 医保局 上旬 and the two monthly pushes.
    early = tally([flooded], "2025-04", date(2025, 4, 15), receipts=receipts, duties=DUTIES)
    assert figure(early, "push_timeliness") == (4, 4)


# ------------------------------------------------------------------ 绿色通道补办率


def green_channel_case(discovered: date, opened: date, steps_on: date | None) -> Household:
    household = registered()
    number = raise_alert(household, discovered, risk_types=(RiskType.NATURAL_DISASTER,),
                         disaster_kind=DisasterKind.FLOOD).case_number
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(discovered + timedelta(1)))
    household.open_green_channel(
        number, SuddenHardship.NATURAL_DISASTER, studied_on=discovered + timedelta(1),
        approved_on=opened, **when(opened, COUNTY))
    if steps_on is not None:
        household.conclude_village_deliberation(
            number, Decision.PASSED, notice_from=opened, notice_to=steps_on - timedelta(2),
            **when(steps_on - timedelta(1)))
        household.complete_township_review(number, Decision.PASSED, **when(steps_on, TOWNSHIP))
        household.decide_at_county(number, Decision.PASSED, category=Category.SUDDEN_SEVERE_HARDSHIP,
                                   simplified=True, asset_comparison="", **when(steps_on, COUNTY))
    return household


def test_a_green_channel_case_completing_after_the_period() -> None:
    late = green_channel_case(date(2025, 3, 18), date(2025, 3, 20), steps_on=date(2025, 4, 10))
    never = green_channel_case(date(2025, 3, 18), date(2025, 3, 21), steps_on=None)
    # evaluated at the end of March: neither has made up its steps
    assert figure(tally([late, never], "2025-03", date(2025, 3, 31)),
                  "green_channel_completion") == (0, 2)
    # evaluated later, March's figure counts the case completed in April
    assert figure(tally([late, never], "2025-03", date(2025, 4, 30)),
                  "green_channel_completion") == (1, 2)
    # the case belongs to March (opened then), never to April
    assert figure(tally([late, never], "2025-04", date(2025, 4, 30)),
                  "green_channel_completion") == (0, 0)


# ------------------------------------------------------------------ 预警核实率


def test_alert_verification_counts_department_alerts_received_in_the_period() -> None:
    verified, waiting = registered(), registered()
    identified(verified, date(2025, 5, 6), date(2025, 5, 20), department=Department.HOUSING)
    raise_alert(waiting, date(2025, 5, 28), channel=Channel.DEPARTMENT_ALERT,
                risk_types=(RiskType.OTHER,), department=Department.HOUSING, tier=Tier.PROVINCIAL,
                batch_id="ZJ-P")
    # the county tier repeats the provincial alert: a duplicate, not a second alert received
    raise_alert(waiting, date(2025, 5, 29), channel=Channel.DEPARTMENT_ALERT,
                risk_types=(RiskType.OTHER,), department=Department.HOUSING, tier=Tier.COUNTY,
                batch_id="ZJ-C", period="2025-05")
    self_declared = registered()
    raise_alert(self_declared, date(2025, 5, 2))  # not a department alert

    t = tally([verified, waiting, self_declared], "2025-05", date(2025, 5, 31))
    assert figure(t, "alert_verification") == (1, 2)
    assert figure(t, "alert_verification", "department", "住建局") == (1, 2)


# ------------------------------------------------------------------ 走访覆盖率


def test_visit_coverage_counts_household_months_due_at_the_start_of_each_month() -> None:
    lifted = registered(HouseholdType.LIFTED_OUT, on=date(2025, 1, 10))  # January not due
    lifted.record_visit(visit_id="V1", visitor="网格员", checks=all_checks(), **when(date(2025, 2, 14)))
    ordinary = registered(on=date(2024, 12, 1))
    identified(ordinary, date(2025, 2, 3), date(2025, 2, 17))  # monitored from March
    ordinary.record_visit(visit_id="V2", visitor="网格员", checks=all_checks(), **when(date(2025, 3, 5)))
    never_due = registered(on=date(2024, 12, 1))

    t = tally([lifted, ordinary, never_due], "2025-Q1", date(2025, 3, 31),
              detail=("visit_coverage", Area("county", COUNTY_NAME)))
    # lifted: Feb ✓, Mar ✗; ordinary: Mar ✓
    assert figure(t, "visit_coverage") == (2, 3)
    notes = {item.key: item.note for item in t.items}
    assert notes[lifted.code] == "未走访：2025-03"
    # a month still running is not yet due
    assert figure(tally([lifted, ordinary], "2025-Q1", date(2025, 3, 30)), "visit_coverage") == (1, 1)


def test_a_failed_check_still_counts_as_a_visit() -> None:
    lifted = registered(HouseholdType.LIFTED_OUT, on=date(2024, 12, 1))
    lifted.record_visit(visit_id="V1", visitor="网格员", checks=all_checks(Check.HOUSING_SAFETY),
                        **when(date(2025, 1, 14)))
    assert figure(tally([lifted], "2025-01", date(2025, 1, 31)), "visit_coverage") == (1, 1)


# ------------------------------------------------------------------ 帮扶措施落实率


def test_measures_within_30_days_of_inclusion() -> None:
    quick, slow = registered(), registered()
    identified(quick, date(2025, 3, 1), date(2025, 3, 16))
    identified(slow, date(2025, 3, 2), date(2025, 3, 17))
    analyse(quick, date(2025, 3, 17), needs=(MeasureType.HEALTH,))
    quick.assign_measure(measure_id="M1", measure_type=MeasureType.HEALTH, department=Department.HEALTH,
                         responsible_person="王医生", **when(date(2025, 3, 18), TOWNSHIP))
    quick.put_measure_in_place("M1", **when(date(2025, 4, 10), TOWNSHIP))
    # 四个不摘: a 脱贫户 that is not a monitoring object has a follow-up measure in place —
    # counted apart, never as a monitoring object's measure.
    lifted = registered(HouseholdType.LIFTED_OUT)
    lifted.assign_measure(measure_id="F1", measure_type=MeasureType.INDUSTRY,
                          department=Department.AGRICULTURE, responsible_person="农技员",
                          **when(date(2025, 3, 5), TOWNSHIP))
    lifted.put_measure_in_place("F1", **when(date(2025, 3, 8), TOWNSHIP))

    # On 4-10: quick has its measure (25 days); slow is within its 30 days: not yet counted.
    assert figure(tally([quick, slow, lifted], "2025-03", date(2025, 4, 10)), "measures_in_place") == (1, 1)
    # On 4-20 slow's 30 days (to 4-16) have passed without a measure.
    assert figure(tally([quick, slow, lifted], "2025-03", date(2025, 4, 20)), "measures_in_place") == (1, 2)


def test_measures_in_place_means_every_analysed_need_is_answered() -> None:
    """缺什么补什么: a household analysed as needing health and employment help, with only the
    health measure in place by day 30, has not had its measures put in place."""
    partial, whole = registered(), registered()
    for household in (partial, whole):
        identified(household, date(2025, 3, 1), date(2025, 3, 16))
        analyse(household, date(2025, 3, 17), needs=(MeasureType.HEALTH, MeasureType.EMPLOYMENT))
        for serial, kind in enumerate((MeasureType.HEALTH, MeasureType.EMPLOYMENT)):
            if household is partial and kind is MeasureType.EMPLOYMENT:
                continue
            household.assign_measure(measure_id=f"M{serial}", measure_type=kind,
                                     department=Department.HEALTH, responsible_person="王医生",
                                     **when(date(2025, 3, 18), TOWNSHIP))
            household.put_measure_in_place(f"M{serial}", **when(date(2025, 4, 1), TOWNSHIP))
    t = tally([partial, whole], "2025-03", date(2025, 4, 20),
              detail=("measures_in_place", Area("county", COUNTY_NAME)))
    assert figure(t, "measures_in_place") == (1, 2)
    notes = sorted(i.note for i in t.items)
    assert notes == ["纳入2025-03-16，需求（健康帮扶、就业帮扶）2025-04-01全部落实",
                     "纳入2025-03-16，需求（健康帮扶、就业帮扶）30日内未全部落实"]


# ------------------------------------------------------------------ 医保参保资助覆盖率


def test_medical_subsidy_covers_members_of_households_monitored_in_the_period() -> None:
    household = registered()
    identified(household, date(2025, 3, 1), date(2025, 3, 16))
    ids = [m.id_number for m in household.current_members()]
    for id_number in ids[:2]:
        household.subsidise_medical_insurance(id_number, 2025, Decimal("380"),
                                              **when(date(2025, 3, 20), TOWNSHIP))
    not_monitored = registered()
    t = tally([household, not_monitored], "2025", date(2025, 12, 31))
    assert figure(t, "medical_subsidy") == (2, 3)
    # before inclusion the household was not monitored: nothing due in February
    assert figure(tally([household], "2025-02", date(2025, 12, 31)), "medical_subsidy") == (0, 0)


# ------------------------------------------------------------------ 风险消除稳定率 and re-entries


def eliminated_household(discovered: date) -> tuple[Household, date]:
    household = registered()
    number = include(household, discovered)
    included_on = household.cases[number - 1].included_on
    ready = help_until_eliminable(household, included_on)
    eliminate(household, ready)
    return household, household.cases[number - 1].eliminated_on


def test_elimination_stability_and_re_entry() -> None:
    stable, eliminated_on = eliminated_household(date(2023, 3, 1))
    relapsed, relapsed_on = eliminated_household(date(2023, 3, 1))
    assert eliminated_on == relapsed_on
    again = relapsed_on + timedelta(days=100)
    identified(relapsed, again, again + timedelta(days=10))

    anniversary_quarter = f"{eliminated_on.year + 1}-Q{(eliminated_on.month - 1) // 3 + 1}"
    t = tally([stable, relapsed], anniversary_quarter, date(2030, 1, 1))
    assert figure(t, "elimination_stability") == (1, 2)
    # the relapse is a re-entry in the period it was included, with the household's 3 people
    period = month_period(again.year, (again + timedelta(days=10)).month)
    t = tally([stable, relapsed], period.label, date(2030, 1, 1))
    assert figure(t, "re_entries") == (1, 0)
    # a re-entry is not a new identification, and being monitored again is no fall into poverty
    assert figure(t, "new_households") == figure(t, "new_people") == (0, 0)
    assert figure(t, "fell_into_poverty") == (0, 0)


# ------------------------------------------------------------------ 返贫致贫人数 and 新识别


POVERTY_LINES = ((date(2025, 1, 1), Decimal("4800")),)


def assessed(household: Household, on: date, wages: str) -> None:
    """An income assessment finding wages (nothing else) for the household's 3 people."""
    household.assess_income(
        assessment_id=f"I-{on}", year=on.year - 1, wages=Decimal(wages), business=Decimal(0),
        property=Decimal(0), transfers=Decimal(0), production_costs=Decimal(0),
        line_in_force=Decimal("8300"), **when(on, TOWNSHIP))


def poverty_tally(households: list[Household], period: str, lines=POVERTY_LINES) -> Tally:
    t = Tally(parse_period(period), date(2025, 12, 31), COUNTY_NAME, poverty_lines=lines,
              detail=("fell_into_poverty", Area("county", COUNTY_NAME)))
    for household in households:
        t.add_household(household_facts(household))
    return t


def test_fell_into_poverty_counts_people_below_the_poverty_line_not_monitoring_objects() -> None:
    """Given a monitoring object whose income (7,200/person) is under the monitoring line but
    over the poverty line, a 一般农户 at 3,000/person and a 脱贫户 at 4,000/person, when the
    year is tallied, then 6 people fell into poverty: 3 致贫 and 3 返贫; the monitoring object
    is newly identified, not poor."""
    at_risk = registered()
    identified(at_risk, date(2025, 3, 1), date(2025, 3, 16))
    assessed(at_risk, date(2025, 4, 1), "21600")
    poor, lifted_poor = registered(), registered(HouseholdType.LIFTED_OUT)
    assessed(poor, date(2025, 5, 1), "9000")
    assessed(lifted_poor, date(2025, 6, 1), "12000")
    assessed(lifted_poor, date(2025, 7, 1), "11000")  # once a period, however often found
    t = poverty_tally([at_risk, poor, lifted_poor], "2025")
    assert figure(t, "fell_into_poverty") == (6, 0)
    assert figure(t, "fell_in") == (3, 0)
    assert figure(t, "fell_back") == (3, 0)
    assert figure(t, "new_households") == (1, 0) and figure(t, "new_people") == (3, 0)
    assert sorted(i.note for i in t.items) == [
        "致贫，2025-05-01人均纯收入3000.00元低于扶贫标准4800元，3人",
        "返贫，2025-06-01人均纯收入4000.00元低于扶贫标准4800元，3人"]
    # the income of May is not in the first quarter
    assert figure(poverty_tally([poor], "2025-Q1"), "fell_into_poverty") == (0, 0)


def test_without_a_poverty_line_no_one_is_judged_and_the_detail_says_so() -> None:
    poor = registered()
    assessed(poor, date(2025, 5, 1), "9000")
    t = poverty_tally([poor], "2025", lines=())
    assert figure(t, "fell_into_poverty") == (0, 0)
    assert [i.note for i in t.items] == ["2025-05-01无扶贫标准，收入未判定"]


def test_returned_or_fell_is_judged_by_the_household_type_on_the_day_of_the_income() -> None:
    """Given a 脱贫户 lifted out in 2025 whose income was below the poverty line on 20 December
    2024 (poor then, not yet lifted out) and again on 1 June 2025, when 2024 and 2025 are
    tallied, then 2024 counts no one (the detail says why) and 2025 counts 3 返贫, no 致贫."""
    lines = ((date(2024, 1, 1), Decimal("4800")),)
    lifted = registered(HouseholdType.LIFTED_OUT, lifted_out_year=2025, on=date(2025, 3, 1))
    assessed(lifted, date(2024, 12, 20), "9000")
    assessed(lifted, date(2025, 6, 1), "9000")
    earlier = poverty_tally([lifted], "2024", lines=lines)
    assert [figure(earlier, code) for code in ("fell_into_poverty", "fell_back", "fell_in")] == [
        (0, 0)] * 3
    assert [i.note for i in earlier.items] == ["2024-12-20尚未脱贫（2025年脱贫），不计返贫致贫"]
    later = poverty_tally([lifted], "2025", lines=lines)
    assert (figure(later, "fell_back"), figure(later, "fell_in")) == ((3, 0), (0, 0))


# ------------------------------------------------------------------ 会商召开情况


def meeting(day: date) -> Meeting:
    return Meeting("consultation", f"HS-{day}", day, None, (Department.RURAL_REVITALISATION,),
                   ("月度研判",), (), ())


def test_months_without_a_consultation_show_up() -> None:
    meetings = [meeting(date(2025, 1, 20)), meeting(date(2025, 3, 3)), meeting(date(2025, 3, 25))]
    t = tally([], "2025-Q1", date(2025, 3, 31), meetings=meetings,
              detail=("consultations", Area("county", COUNTY_NAME)))
    assert figure(t, "consultations") == (2, 3)
    assert [i.key for i in t.items if not i.numerator] == ["2025-02"]
    # mid-month without a meeting yet: the month is not counted against the county
    assert figure(tally([], "2025-Q1", date(2025, 2, 10), meetings=meetings), "consultations") == (1, 1)


def test_pushes_and_meetings_due_before_the_county_began_recording_are_not_owed() -> None:
    """Given a county that began recording on 8 April 2025, when April is tallied on 30 April
    with no push and no meeting, then March's monthly pushes (due 5 April) are not owed, 医保局's
    three April pushes are (all 漏报), and March's consultation is not counted but April's is."""
    t = Tally(month_period(2025, 4), date(2025, 4, 30), COUNTY_NAME, DUTIES, None,
              began=date(2025, 4, 8))
    pushes = t.add_pushes([])
    assert sorted((p.duty.department.value, p.period, p.status) for p in pushes) == [
        ("医保局", "2025-04上旬", "漏报"), ("医保局", "2025-04下旬", "漏报"),
        ("医保局", "2025-04中旬", "漏报")]
    assert figure(t, "push_timeliness") == (0, 3)
    quarter = Tally(parse_period("2025-Q2"), date(2025, 6, 30), COUNTY_NAME, began=date(2025, 5, 1))
    quarter.add_meetings([meeting(date(2025, 6, 3))])
    assert figure(quarter, "consultations") == (1, 2)  # May and June; April ended before


def test_periods_parse_and_refuse() -> None:
    assert quarter_period(2025, 2).start == date(2025, 4, 1)
    assert parse_period("2025-Q4").end == date(2025, 12, 31)
    assert [m.label for m in parse_period("2025-Q1").months()] == ["2025-01", "2025-02", "2025-03"]
    for bad in ("2025-13", "25", "2025-Q5", "", "1999"):
        try:
            parse_period(bad)
        except Exception as error:
            assert getattr(error, "code", None) == "PERIOD_INVALID"
        else:
            raise AssertionError(bad)


def test_tally_is_the_same_whatever_the_order_of_households() -> None:
    households = [registered(), registered(HouseholdType.LIFTED_OUT, on=date(2024, 12, 1))]
    identified(households[0], date(2025, 3, 1), date(2025, 3, 16))
    a = tally(households, "2025", date(2025, 12, 31))
    b = tally(list(reversed(households)), "2025", date(2025, 12, 31))
    assert {k: (f.numerator, f.denominator) for k, f in a.figures.items()} == {
        k: (f.numerator, f.denominator) for k, f in b.figures.items()}


def test_a_deadline_day_still_running_is_not_yet_missed() -> None:
    """Judged during 5 April, 公安局's March push (due that day) is not yet late; judged at the
    end of the day, it is missing; received that morning, it is on time either way."""
    during = Tally(parse_period("2025-04"), date(2025, 4, 5), COUNTY_NAME, DUTIES,
                   ended=date(2025, 4, 4))
    during.add_pushes([])
    assert figure(during, "push_timeliness", "department", "公安局") == (0, 0)
    at_end = Tally(parse_period("2025-04"), date(2025, 4, 5), COUNTY_NAME, DUTIES,
                   ended=date(2025, 4, 5))
    at_end.add_pushes([])
    assert figure(at_end, "push_timeliness", "department", "公安局") == (0, 1)
    morning = Tally(parse_period("2025-04"), date(2025, 4, 5), COUNTY_NAME, DUTIES,
                    ended=date(2025, 4, 4))
    morning.add_pushes([receipt(Department.PUBLIC_SECURITY, "2025-03", date(2025, 4, 5))])
    assert figure(morning, "push_timeliness", "department", "公安局") == (1, 1)


def test_an_epidemic_alert_is_due_within_seven_days_under_duty_one() -> None:
    """① covers 因灾 and 因疫 (domain.md §5): 卫健局's alert about an epidemic is an event push
    owed within 7 days of discovery, whatever risk type the epidemic brought; the same illness
    without the epidemic is ③'s half-monthly business, not ①'s."""
    duties = parse_duties({"duty": [
        {"number": "①", "departments": ["卫健局"], "rule": "within_days_of_event", "days": 7,
         "risk_types": ["因自然灾害"], "sudden_hardships": ["疫情"]},
    ]})
    # Given 卫健局 pushed an epidemic alert 9 days after discovery, another 7 days after, and an
    # ordinary illness
    late, prompt, ill = registered(), registered(), registered()
    for household, hardship, received in ((late, SuddenHardship.EPIDEMIC, date(2025, 4, 10)),
                                          (prompt, SuddenHardship.EPIDEMIC, date(2025, 4, 8)),
                                          (ill, None, date(2025, 4, 10))):
        household.raise_alert(
            alert_id=f"WJ-1-{household.code}", channel=Channel.DEPARTMENT_ALERT,
            person_id_number=household.head.id_number, risk_types=(RiskType.ILLNESS,),
            department=Department.HEALTH, tier=Tier.COUNTY, batch_id="WJ-1",
            sudden_hardship=hardship, occurred_on=date(2025, 4, 1), by=DEPARTMENT,
            at=at(received), command_id=household.code)
    # When April's pushes are judged
    t = tally([late, prompt, ill], "2025-04", date(2025, 4, 30), receipts=[], duties=duties)
    # Then the two epidemic alerts were owed under ①, one of them on time
    assert figure(t, "push_timeliness", "department", "卫健局") == (1, 2)


def test_an_alert_naming_a_sudden_hardship_carries_a_risk_type_that_shows_it() -> None:
    household = registered()
    with pytest.raises(InvalidValue) as refused:
        household.raise_alert(
            alert_id="A-1", channel=Channel.CADRE_SCREENING, person_id_number=household.head.id_number,
            risk_types=(RiskType.DISABILITY,), sudden_hardship=SuddenHardship.EPIDEMIC,
            occurred_on=date(2025, 4, 1), by=DEPARTMENT, at=at(date(2025, 4, 2)))
    assert (refused.value.code, refused.value.field) == ("SUDDEN_HARDSHIP_WITHOUT_RISK", "sudden_hardship")
    assert "因病或其他" in refused.value.message and not household.alerts
