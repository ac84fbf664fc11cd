"""Edges of indicators as recorded, each found by review: a current result racing a command
still verifies; a time after now is now; a forged rate, evaluation day or drill-down does not
verify; re-entries and stability across a risk-free alert; the stage after a refused
elimination. Both back ends."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from application.commands import (
    AnalyseRisk,
    AssessIncome,
    AssignMeasure,
    CountyDecision,
    EliminationCountyDecision,
    EliminationNotice,
    EliminationTownshipReview,
    PutMeasureInPlace,
    RaiseAlert,
    RecordVisit,
    TownshipReview,
    VerifyAtHome,
    VerifyElimination,
    VillageDeliberation,
)
from application.indicators import Indicators, end_of_day
from application.reports import monthly_report
from application.results import result_json
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    EliminationMode,
    Finding,
    HouseholdType,
    LabourCapacity,
    MeasureType,
    RiskType,
)
from domain.errors import DomainError
from domain.indicators import Area, household_facts
from projections.runner import Projections
from tests.builders import COUNTY, HEAD_ID, TOWNSHIP, VILLAGE, registering
from tests.integration.test_case_files import include

CODE = "130630101001"
ALL_PASSED = dict.fromkeys(Check, True)


def test_a_current_result_verifies_though_a_command_lands_while_it_is_read(make_app, clock):
    app = make_app()
    clock.now = datetime(2025, 1, 1, 2, tzinfo=UTC)
    app.register_household(registering(CODE, HouseholdType.LIFTED_OUT), by=COUNTY, command_id="r")
    clock.now = datetime(2025, 3, 1, 2, tzinfo=UTC)
    with Projections(app) as projections:
        projections.catch_up()
        store = projections.store
        original = store.stream_with_position

        def racing(*args, **kwargs):
            # a visit is saved (and followed) just before the read model is read
            clock.now += timedelta(milliseconds=5)
            app.execute(CODE, RecordVisit(visit_id="V1", visitor="网格员", checks=ALL_PASSED,
                                          occurred_on=date(2025, 2, 28)), by=VILLAGE)
            projections.catch_up()
            return original(*args, **kwargs)

        store.stream_with_position = racing
        indicators = Indicators(app, store)
        current = indicators.compute("2025-02")
        store.stream_with_position = original
        assert current.figure("visit_coverage").numerator == 1
        check = indicators.verify(result_json(current))
        assert check.matches, check.differences


def test_as_of_later_than_now_is_now_and_a_day_not_over_is_not_yet_missed(make_app, clock):
    app = make_app()
    clock.now = datetime(2025, 12, 1, 2, tzinfo=UTC)  # 10:00 on 1 December in the county
    app.hold_consultation(meeting_id="HS-11", departments_present=[Department.RURAL_REVITALISATION],
                          topics=["十一月研判"], decisions=[], occurred_on=date(2025, 11, 28), by=COUNTY)
    indicators = Indicators(app)
    ahead = indicators.compute("2025-12", as_of=end_of_day(date(2025, 12, 31)))
    assert ahead.as_of == clock.now and ahead.evaluated_on == date(2025, 12, 1)
    # December is not over: no consultation is missed yet, no December push is due yet
    assert (ahead.figure("consultations").numerator, ahead.figure("consultations").denominator) == (0, 0)
    november = indicators.compute("2025-11", as_of=end_of_day(date(2025, 11, 30)))
    assert november.figure("consultations").denominator == 1
    with pytest.raises(DomainError) as error:
        indicators.compute("2025", as_of=datetime(1, 1, 1, tzinfo=UTC))
    assert error.value.code == "AS_OF_RANGE"


def _included(app, clock, discovered: date, county_on: date) -> None:
    clock.now = datetime(county_on.year, county_on.month, county_on.day, 2, tzinfo=UTC)
    d = discovered
    app.execute(CODE, RaiseAlert(alert_id="A1", channel=Channel.SELF_DECLARATION, person_id_number=HEAD_ID,
                                 risk_types=[RiskType.ILLNESS], occurred_on=d), by=VILLAGE)
    app.execute(CODE, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                   occurred_on=d + timedelta(1)), by=VILLAGE)
    app.execute(CODE, VillageDeliberation(case_number=1, decision=Decision.PASSED,
                                          notice_from=d + timedelta(2), notice_to=d + timedelta(7),
                                          occurred_on=d + timedelta(8)), by=VILLAGE)
    app.execute(CODE, TownshipReview(case_number=1, decision=Decision.PASSED,
                                     occurred_on=d + timedelta(9)), by=TOWNSHIP)
    app.execute(CODE, CountyDecision(case_number=1, decision=Decision.PASSED,
                                     category=Category.EDGE_OF_POVERTY, simplified=True,
                                     occurred_on=county_on), by=COUNTY)


def test_a_forged_rate_evaluation_day_or_drill_down_does_not_verify(make_app, clock):
    app = make_app()
    clock.now = datetime(2025, 1, 1, 2, tzinfo=UTC)
    app.register_household(registering(CODE), by=COUNTY, command_id="r1")
    _included(app, clock, date(2025, 3, 1), date(2025, 3, 20))  # 19 days: late
    clock.now = datetime(2026, 1, 5, 2, tzinfo=UTC)
    indicators = Indicators(app)
    published = result_json(indicators.compute(
        "2025-03", as_of=end_of_day(date(2025, 12, 31)),
        detail=("识别认定时限达标率", Area("county", "全县"))))
    assert indicators.verify(published).matches

    def forged(change) -> list[str]:
        copied = copy.deepcopy(published)
        change(copied)
        check = indicators.verify(copied)
        assert not check.matches
        return check.differences

    def rate(result):
        next(f for f in result["figures"] if f["code"] == "timely_identification")["rate"] = 1.0

    assert any("比率" in d for d in forged(rate))
    assert any("评价日" in d for d in forged(lambda r: r.update(evaluated_on="2025-03-31")))
    assert any("明细" in d for d in forged(
        lambda r: r["detail"]["items"][0].update(numerator=1, note="用时9天")))


def _eliminated(app, clock) -> None:
    """Included in February 2025, helped, risk eliminated on 12 September 2025."""
    clock.now = datetime(2026, 10, 1, 2, tzinfo=UTC)
    app.set_income_line(year=2025, yuan_per_capita=Decimal(8300), occurred_on=date(2025, 1, 1),
                        by=COUNTY)
    app.register_household(registering(), by=COUNTY)
    include(app, clock)
    app.execute(CODE, AnalyseRisk(causes=[RiskType.ILLNESS], labour_capacity=LabourCapacity.ORDINARY,
                                    needs=[MeasureType.HEALTH, MeasureType.EMPLOYMENT],
                                    occurred_on=date(2025, 2, 19)), by=TOWNSHIP)
    app.execute(CODE, AssignMeasure(measure_id="M1", measure_type=MeasureType.HEALTH,
                                    department=Department.HEALTH, responsible_person="赵医生",
                                    amount=Decimal(100), occurred_on=date(2025, 2, 20)), by=TOWNSHIP)
    app.execute(CODE, PutMeasureInPlace(measure_id="M1", occurred_on=date(2025, 3, 1)), by=TOWNSHIP)
    app.execute(CODE, AssessIncome(assessment_id="I1", year=2025, wages=Decimal(30000),
                                   business=Decimal(5000), property=Decimal(0), transfers=Decimal(2000),
                                   production_costs=Decimal(3000),
                                   occurred_on=date(2025, 8, 20)), by=TOWNSHIP)
    for month in range(3, 9):
        app.execute(CODE, RecordVisit(visit_id=f"V{month}", visitor="网格员", checks=ALL_PASSED,
                                      per_capita_income=Decimal(11000),
                                      occurred_on=date(2025, month, 15)), by=VILLAGE)
    app.execute(CODE, VerifyElimination(mode=EliminationMode.BY_HELP,
                                        occurred_on=date(2025, 9, 1)), by=VILLAGE)
    app.execute(CODE, EliminationNotice(decision=Decision.PASSED, notice_from=date(2025, 9, 2),
                                        notice_to=date(2025, 9, 8), occurred_on=date(2025, 9, 9)), by=VILLAGE)
    app.execute(CODE, EliminationTownshipReview(decision=Decision.PASSED,
                                                occurred_on=date(2025, 9, 10)), by=TOWNSHIP)


def test_a_re_entry_after_a_risk_free_alert_and_the_stability_it_leaves(make_app, clock):
    app = make_app()
    _eliminated(app, clock)
    app.execute(CODE, EliminationCountyDecision(decision=Decision.PASSED,
                                                occurred_on=date(2025, 9, 12)), by=COUNTY)
    # October: an alert the household visit finds risk-free (case 2, closed)
    app.execute(CODE, RaiseAlert(alert_id="A2", channel=Channel.SELF_DECLARATION, person_id_number=HEAD_ID,
                                 risk_types=[RiskType.ILLNESS], occurred_on=date(2025, 10, 3)), by=VILLAGE)
    app.execute(CODE, VerifyAtHome(case_number=2, finding=Finding.NO_RISK, risk_clear=True,
                                   occurred_on=date(2025, 10, 4)), by=VILLAGE)
    indicators = Indicators(app)
    stable = indicators.compute("2026-Q3", from_log=True)
    assert (stable.figure("elimination_stability").numerator,
            stable.figure("elimination_stability").denominator) == (1, 1)
    # November: a real new risk, included: a re-entry after the elimination
    app.execute(CODE, RaiseAlert(alert_id="A3", channel=Channel.SELF_DECLARATION, person_id_number=HEAD_ID,
                                 risk_types=[RiskType.ILLNESS], occurred_on=date(2025, 11, 3)), by=VILLAGE)
    app.execute(CODE, VerifyAtHome(case_number=3, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                   occurred_on=date(2025, 11, 4)), by=VILLAGE)
    assert app.household(CODE).cases[2].re_entry
    app.execute(CODE, VillageDeliberation(case_number=3, decision=Decision.PASSED,
                                          notice_from=date(2025, 11, 5), notice_to=date(2025, 11, 10),
                                          occurred_on=date(2025, 11, 11)), by=VILLAGE)
    app.execute(CODE, TownshipReview(case_number=3, decision=Decision.PASSED,
                                     occurred_on=date(2025, 11, 6)), by=TOWNSHIP)
    app.execute(CODE, CountyDecision(case_number=3, decision=Decision.PASSED,
                                     category=Category.EDGE_OF_POVERTY, simplified=True,
                                     occurred_on=date(2025, 11, 14)), by=COUNTY)
    year = indicators.compute("2025", from_log=True)
    assert year.figure("re_entries").numerator == 1
    relapsed = indicators.compute("2026-Q3", from_log=True)
    assert (relapsed.figure("elimination_stability").numerator,
            relapsed.figure("elimination_stability").denominator) == (0, 1)


def test_a_refused_elimination_leaves_the_case_in_monitoring(make_app, clock):
    app = make_app()
    _eliminated(app, clock)
    app.execute(CODE, EliminationCountyDecision(decision=Decision.REJECTED, reason="收入不稳定",
                                                occurred_on=date(2025, 9, 12)), by=COUNTY)
    household = app.household(CODE)
    facts = household_facts(household)
    assert facts.cases[0].stage_on(date(2025, 9, 30)) == household.cases[0].stage.value == "监测帮扶中"
    assert facts.cases[0].stage_on(date(2025, 9, 5)) == "风险消除程序中"
    report = monthly_report(Indicators(app), "2025-09")
    stages = dict(next(t for t in report.tables if t.name == "案件阶段").rows)
    assert stages["监测帮扶中"] == 1 and stages["风险消除程序中"] == 0
