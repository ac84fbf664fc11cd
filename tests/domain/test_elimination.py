"""Risk elimination (风险消除, domain.md §9): the rules that forbid it, the four-step procedure,
and what becomes of monitoring."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from household_kit import (
    COUNTY,
    LINE,
    TOWNSHIP,
    all_checks,
    analyse,
    eliminate,
    help_until_eliminable,
    include,
    raise_alert,
    refused,
    registered,
    when,
)

from domain import rules
from domain.codes import (
    CaseStage,
    Check,
    Decision,
    Department,
    EliminationMode,
    LabourCapacity,
    MeasureType,
    ObjectionOutcome,
)
from domain.household import Household
from domain.values import Objection

D = date(2023, 3, 1)
INCLUDED = D + timedelta(8)
SIX_MONTHS = rules.add_months(INCLUDED, rules.ELIMINATION_MIN_MONTHS)


def monitored(**kw) -> Household:
    household = registered(**kw)
    include(household, D)
    assert household.cases[0].included_on == INCLUDED
    return household


def analysed(**kw) -> Household:
    """A monitoring object whose case was analysed on inclusion (its measures answer needs)."""
    household = monitored(**kw)
    analyse(household, INCLUDED)
    return household


def steady_income(household: Household, on: date, *, by_assessment: bool = False,
                  skip: tuple[int, ...] = ()) -> None:
    """Income evidence above the line on the 15th of each of the six months before ``on``'s
    (but the months in ``skip``): a visit's recorded income, or an assessment."""
    for n, month in enumerate(rules.stability_months(on)):
        if month.month in skip:
            continue
        day = month + timedelta(14)
        if by_assessment:
            assess(household, f"I-m{n}", day, "36000")
        else:
            visit(household, f"V-m{n}", day, income="12000")


def ready_household(**kw) -> tuple[Household, date]:
    household = monitored(**kw)
    return household, help_until_eliminable(household, INCLUDED)


def propose(household: Household, on: date, *, line=LINE, mode=EliminationMode.BY_HELP) -> None:
    household.verify_elimination_at_home(mode, line_in_force=line, **when(on))


def codes(household: Household, on: date, line=LINE) -> list[str]:
    return [code for code, _ in rules.elimination_blockers(household, household.cases[0], on, line)]


def assign_in_place(household: Household, measure_id: str, measure_type: MeasureType, on: date) -> None:
    household.assign_measure(
        measure_id=measure_id,
        measure_type=measure_type,
        department=Department.CIVIL_AFFAIRS,
        responsible_person="民政所",
        reason="民政部门审核纳入低保" if measure_type is MeasureType.SOCIAL_SECURITY else "",
        **when(on, TOWNSHIP),
    )
    household.put_measure_in_place(measure_id, **when(on, TOWNSHIP))


def visit(household: Household, visit_id: str, on: date, *failed: Check, income: str | None = None,
          line: Decimal = LINE) -> None:
    household.record_visit(visit_id=visit_id, visitor="网格员", checks=all_checks(*failed),
                           per_capita_income=None if income is None else Decimal(income),
                           line_in_force=line, **when(on))


def assess(household: Household, assessment_id: str, on: date, wages: str) -> None:
    household.assess_income(
        assessment_id=assessment_id,
        year=on.year,
        wages=Decimal(wages),
        business=Decimal(0),
        property=Decimal(0),
        transfers=Decimal(0),
        production_costs=Decimal(0),
        line_in_force=LINE,
        **when(on),
    )


class TestWhatForbidsElimination:
    def test_given_everything_in_order_then_no_blocker(self):
        household, ready = ready_household()
        assert codes(household, ready) == []

    def test_given_less_than_six_months_since_inclusion_then_ELIMINATION_TOO_EARLY(self):
        household = analysed()
        assign_in_place(household, "M-1", MeasureType.HEALTH, INCLUDED + timedelta(5))
        steady_income(household, SIX_MONTHS)
        visit(household, "V-1", INCLUDED + timedelta(30))
        assess(household, "I-1", INCLUDED + timedelta(31), "40000")
        early = SIX_MONTHS - timedelta(1)
        assert codes(household, early) == ["ELIMINATION_TOO_EARLY"]
        with refused(household, "ELIMINATION_TOO_EARLY", "occurred_on") as info:
            propose(household, early)
        assert str(INCLUDED) in info.value.message
        propose(household, SIX_MONTHS)  # the day six months are up is allowed
        assert household.cases[0].eliminating

    def test_given_no_measure_ever_in_place_then_ELIMINATION_NO_MEASURE(self):
        household = analysed()
        steady_income(household, SIX_MONTHS)
        household.assign_measure(
            measure_id="M-1",
            measure_type=MeasureType.HEALTH,
            department=Department.HEALTH,
            responsible_person="王",
            **when(INCLUDED, TOWNSHIP),
        )  # planned only
        visit(household, "V-1", SIX_MONTHS)
        assess(household, "I-1", SIX_MONTHS, "40000")
        assert codes(household, SIX_MONTHS) == ["ELIMINATION_NO_MEASURE"]
        with refused(household, "ELIMINATION_NO_MEASURE", "occurred_on"):
            propose(household, SIX_MONTHS)

    def test_a_measure_that_was_in_place_and_has_ended_still_counts(self):
        household, ready = ready_household()
        measure_id = next(iter(household.measures))
        household.end_measure(measure_id, "已完成", **when(ready - timedelta(1)))
        assert codes(household, ready) == []

    def test_given_income_below_the_line_then_ELIMINATION_INCOME_BELOW_LINE(self):
        household, ready = ready_household()
        assess(household, "I-low", ready - timedelta(1), "20000")  # 6,666.67 per head
        assert codes(household, ready) == ["ELIMINATION_INCOME_BELOW_LINE"]
        with refused(household, "ELIMINATION_INCOME_BELOW_LINE", "occurred_on") as info:
            propose(household, ready)
        assert "6666.67" in info.value.message and str(LINE) in info.value.message

    def test_given_income_exactly_at_the_line_then_allowed(self):
        household, ready = ready_household()
        assess(household, "I-eq", ready - timedelta(1), str(LINE * 3))
        assert codes(household, ready) == []

    def test_the_line_in_force_on_the_day_decides_not_the_one_of_the_assessment(self):
        household, ready = ready_household()  # 12,000 per head
        assert codes(household, ready, line=Decimal("12000")) == []
        assert codes(household, ready, line=Decimal("12000.01")) == ["ELIMINATION_INCOME_BELOW_LINE"]

    def test_given_no_income_evidence_then_ELIMINATION_NO_INCOME_ASSESSMENT(self):
        household = analysed()
        assign_in_place(household, "M-1", MeasureType.HEALTH, INCLUDED)
        visit(household, "V-1", SIX_MONTHS)
        assert codes(household, SIX_MONTHS) == ["ELIMINATION_NO_INCOME_ASSESSMENT"]
        with refused(household, "ELIMINATION_NO_INCOME_ASSESSMENT"):
            propose(household, SIX_MONTHS)

    def test_a_single_income_assessment_is_not_six_months_of_stable_income(self):
        household = analysed()
        assign_in_place(household, "M-1", MeasureType.HEALTH, INCLUDED)
        visit(household, "V-1", SIX_MONTHS)
        assess(household, "I-1", SIX_MONTHS, "40000")
        assert codes(household, SIX_MONTHS) == ["ELIMINATION_INCOME_NOT_STABLE"]
        with refused(household, "ELIMINATION_INCOME_NOT_STABLE", "occurred_on") as info:
            propose(household, SIX_MONTHS)
        assert "2023-03、2023-04、2023-05、2023-06、2023-07、2023-08" in info.value.message

    def test_given_a_month_without_income_evidence_then_ELIMINATION_INCOME_NOT_STABLE(self):
        household = analysed()
        assign_in_place(household, "M-1", MeasureType.HEALTH, INCLUDED + timedelta(1))
        ready = SIX_MONTHS + timedelta(20)  # 2023-09-29: evidence owed for March to August
        steady_income(household, ready, skip=(6,))
        visit(household, "V-sep", ready - timedelta(1), income="12000")
        assert codes(household, ready) == ["ELIMINATION_INCOME_NOT_STABLE"]
        with refused(household, "ELIMINATION_INCOME_NOT_STABLE") as info:
            propose(household, ready)
        assert "2023-06 没有" in info.value.message
        assess(household, "I-jun", date(2023, 6, 30), "30000")  # an assessment covers the month
        assert codes(household, ready) == []

    def test_visits_and_assessments_are_both_income_evidence(self):
        household = analysed()
        assign_in_place(household, "M-1", MeasureType.HEALTH, INCLUDED + timedelta(1))
        ready = SIX_MONTHS + timedelta(20)
        steady_income(household, ready, skip=(3, 5, 7))
        steady_income(household, ready, by_assessment=True, skip=(4, 6, 8))
        visit(household, "V-sep", ready - timedelta(1))
        assert codes(household, ready) == []

    def test_given_any_evidence_of_the_six_months_below_its_line_then_ELIMINATION_INCOME_BELOW_LINE(self):
        household, ready = ready_household()
        visit(household, "V-dip", date(2023, 7, 20), income="8299.99")
        assert codes(household, ready) == ["ELIMINATION_INCOME_BELOW_LINE"]
        with refused(household, "ELIMINATION_INCOME_BELOW_LINE") as info:
            propose(household, ready)
        assert "2023-07-20 走访 V-dip" in info.value.message and "8299.99" in info.value.message

    def test_evidence_before_the_six_months_does_not_count(self):
        household, ready = ready_household()
        visit(household, "V-feb", date(2023, 2, 20), income="5000")  # before March: not weighed
        assert codes(household, ready) == []

    def test_each_piece_of_evidence_is_judged_by_the_line_in_force_on_its_day(self):
        household, ready = ready_household()
        visit(household, "V-old-line", date(2023, 4, 25), income="8100", line=Decimal("8000"))
        assert codes(household, ready) == []
        visit(household, "V-below", date(2023, 5, 25), income="7999", line=Decimal("8000"))
        assert codes(household, ready) == ["ELIMINATION_INCOME_BELOW_LINE"]

    def test_given_no_line_in_force_then_INCOME_LINE_MISSING(self):
        household, ready = ready_household()
        assert codes(household, ready, line=None) == ["INCOME_LINE_MISSING"]
        with refused(household, "INCOME_LINE_MISSING"):
            propose(household, ready, line=None)

    def test_given_no_visit_since_inclusion_then_ELIMINATION_GUARANTEE_UNVERIFIED(self):
        household = analysed()
        visit(household, "V-old", INCLUDED - timedelta(1))
        assign_in_place(household, "M-1", MeasureType.HEALTH, INCLUDED)
        steady_income(household, SIX_MONTHS, by_assessment=True)
        assess(household, "I-1", SIX_MONTHS, "40000")
        assert codes(household, SIX_MONTHS) == ["ELIMINATION_GUARANTEE_UNVERIFIED"]
        with refused(household, "ELIMINATION_GUARANTEE_UNVERIFIED"):
            propose(household, SIX_MONTHS)

    @pytest.mark.parametrize("check", list(Check))
    def test_given_the_latest_visit_failed_a_check_then_ELIMINATION_GUARANTEE_FAILING(self, check):
        household, ready = ready_household()
        visit(household, "V-bad", ready - timedelta(1), check)
        assert codes(household, ready) == ["ELIMINATION_GUARANTEE_FAILING"]
        with refused(household, "ELIMINATION_GUARANTEE_FAILING", "occurred_on") as info:
            propose(household, ready)
        assert check in info.value.message

    def test_a_later_passing_visit_lifts_the_failing_guarantee(self):
        household, ready = ready_household()
        visit(household, "V-bad", ready - timedelta(3), Check.WATER_SAFETY)
        visit(household, "V-good", ready - timedelta(1))
        assert codes(household, ready) == []

    def test_given_nobody_can_work_and_protection_in_place_then_PROTECTION_DEPENDENT(self):
        household, ready = ready_household(labour=LabourCapacity.LOST)
        assign_in_place(household, "M-dibao", MeasureType.SOCIAL_SECURITY, INCLUDED + timedelta(3))
        assert household.without_labour_on(ready)
        assert codes(household, ready) == ["ELIMINATION_PROTECTION_DEPENDENT"]
        with refused(household, "ELIMINATION_PROTECTION_DEPENDENT", "occurred_on") as info:
            propose(household, ready)
        assert "兜底保障" in info.value.message

    def test_given_nobody_can_work_but_no_protection_measure_then_allowed(self):
        household, ready = ready_household(labour=LabourCapacity.NONE)
        assert codes(household, ready) == []

    def test_given_protection_in_place_but_someone_can_work_then_allowed(self):
        household, ready = ready_household()
        assign_in_place(household, "M-dibao", MeasureType.SOCIAL_SECURITY, INCLUDED + timedelta(3))
        assert not household.without_labour_on(ready)
        assert codes(household, ready) == []

    def test_given_the_protection_measure_ended_then_allowed(self):
        household, ready = ready_household(labour=LabourCapacity.LOST)
        assign_in_place(household, "M-dibao", MeasureType.SOCIAL_SECURITY, INCLUDED + timedelta(3))
        household.end_measure("M-dibao", "停保", **when(ready - timedelta(1)))
        assert codes(household, ready) == []

    def test_given_several_blockers_then_the_first_code_and_the_others_in_the_message(self):
        household = monitored()
        with refused(household, "ELIMINATION_TOO_EARLY") as info:
            propose(household, INCLUDED + timedelta(10))
        assert "另：" in info.value.message
        assert codes(household, INCLUDED + timedelta(10)) == [
            "ELIMINATION_TOO_EARLY",
            "ELIMINATION_NO_MEASURE",
            "ELIMINATION_NO_INCOME_ASSESSMENT",
            "ELIMINATION_GUARANTEE_UNVERIFIED",
        ]


class TestProposingElimination:
    def test_given_a_household_not_monitored_then_NOT_MONITORED(self):
        household = registered()
        raise_alert(household, D)
        with refused(household, "NOT_MONITORED", "mode"):
            propose(household, D)

    def test_given_a_proposal_before_inclusion_then_DATE_ORDER(self):
        household, ready = ready_household()
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.verify_elimination_at_home(
                EliminationMode.NATURAL,
                line_in_force=LINE,
                occurred_on=INCLUDED - timedelta(1),
                by=COUNTY,
                at=when(ready)["at"],
            )

    def test_given_an_elimination_in_progress_then_ELIMINATION_IN_PROGRESS(self):
        household, ready = ready_household()
        propose(household, ready)
        with refused(household, "ELIMINATION_IN_PROGRESS", "mode"):
            propose(household, ready + timedelta(1))

    def test_the_proposal_records_the_mode_and_opens_the_procedure(self):
        household, ready = ready_household()
        propose(household, ready, mode=EliminationMode.NATURAL)
        case = household.cases[0]
        assert case.elimination_mode is EliminationMode.NATURAL
        assert case.elimination.home_visit.occurred_on == ready
        assert case.stage is CaseStage.ELIMINATING
        assert household.is_monitoring_object  # still monitored until the county decides


class TestFourStepProcedure:
    def test_given_all_four_steps_pass_then_the_risk_is_eliminated_and_monitoring_ends(self):
        household, ready = ready_household()
        eliminate(household, ready)
        case = household.cases[0]
        assert case.eliminated and case.eliminated_on == ready + timedelta(8)
        assert case.stage is CaseStage.ELIMINATED
        assert not household.is_monitoring_object
        assert household.monitored_case is None and household.active_case is None
        assert household.category is None
        event = household.pending_events[-1]
        assert type(event).__name__ == "RiskEliminated"
        assert (event.mode, event.line_in_force) == (EliminationMode.BY_HELP, LINE)

    def test_visits_go_on_after_elimination(self):
        household, ready = ready_household()
        eliminate(household, ready)
        visit(household, "V-after", ready + timedelta(40))
        assert household.visits[-1].visit_id == "V-after"

    def test_township_review_may_come_before_the_village_notice(self):
        household, ready = ready_household()
        propose(household, ready)
        household.complete_elimination_review(Decision.PASSED, **when(ready + timedelta(1)))
        household.conclude_elimination_notice(
            Decision.PASSED,
            notice_from=ready + timedelta(1),
            notice_to=ready + timedelta(5),
            **when(ready + timedelta(6)),
        )
        household.decide_elimination_at_county(
            Decision.PASSED, line_in_force=LINE, **when(ready + timedelta(6), COUNTY)
        )
        assert household.cases[0].eliminated

    def test_given_no_elimination_in_progress_then_steps_two_to_four_are_NO_ELIMINATION(self):
        household, ready = ready_household()
        with refused(household, "NO_ELIMINATION", "case_number"):
            household.conclude_elimination_notice(
                Decision.PASSED,
                notice_from=ready,
                notice_to=ready + timedelta(5),
                **when(ready + timedelta(6)),
            )
        with refused(household, "NO_ELIMINATION"):
            household.complete_elimination_review(Decision.PASSED, **when(ready))
        with refused(household, "NO_ELIMINATION"):
            household.decide_elimination_at_county(Decision.PASSED, line_in_force=LINE, **when(ready))

    def test_given_steps_two_and_three_missing_then_the_county_is_STEP_OUT_OF_ORDER(self):
        household, ready = ready_household()
        propose(household, ready)
        with refused(household, "STEP_OUT_OF_ORDER", "case_number") as info:
            household.decide_elimination_at_county(
                Decision.PASSED, line_in_force=LINE, **when(ready + timedelta(1))
            )
        assert "村级评议公示" in info.value.message and "乡镇核查初审" in info.value.message

    def test_the_notice_records_each_objection_with_its_outcome_and_reason(self):
        """Given an elimination notice, when an objection has no outcome, then it is refused
        naming it; with its outcome and reason it is recorded as resolved."""
        household, ready = ready_household()
        propose(household, ready)
        notice = {"notice_from": ready + timedelta(1), "notice_to": ready + timedelta(5),
                  **when(ready + timedelta(6))}
        with refused(household, "OBJECTION_OUTCOME_REQUIRED", "objections[0].outcome"):
            household.conclude_elimination_notice(
                Decision.PASSED, objections=[Objection("村民反映该户收入不稳定", None)], **notice)
        resolved = Objection("村民反映该户收入不稳定", ObjectionOutcome.NOT_UPHELD,
                             "经核实该户连续六个月收入高于监测标准")
        household.conclude_elimination_notice(Decision.PASSED, objections=[resolved], **notice)
        assert household.pending_events[-1].objections == (resolved,)

    def test_given_a_short_notice_then_NOTICE_TOO_SHORT(self):
        household, ready = ready_household()
        propose(household, ready)
        with refused(household, "NOTICE_TOO_SHORT", "notice_to"):
            household.conclude_elimination_notice(
                Decision.PASSED,
                notice_from=ready,
                notice_to=ready + timedelta(3),
                **when(ready + timedelta(6)),
            )

    def test_given_a_step_dated_before_the_proposal_then_DATE_ORDER(self):
        household, ready = ready_household()
        propose(household, ready)
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.complete_elimination_review(Decision.PASSED, **when(ready - timedelta(1)))

    def test_the_county_checks_the_rules_again_on_its_day(self):
        household, ready = ready_household()
        propose(household, ready)
        household.conclude_elimination_notice(
            Decision.PASSED,
            notice_from=ready + timedelta(1),
            notice_to=ready + timedelta(5),
            **when(ready + timedelta(6)),
        )
        household.complete_elimination_review(Decision.PASSED, **when(ready + timedelta(7)))
        visit(household, "V-flood", ready + timedelta(7), Check.HOUSING_SAFETY)
        with refused(household, "ELIMINATION_GUARANTEE_FAILING"):
            household.decide_elimination_at_county(
                Decision.PASSED, line_in_force=LINE, **when(ready + timedelta(8), COUNTY)
            )
        assert household.cases[0].eliminating

    def test_given_the_county_rejects_then_monitoring_continues(self):
        household, ready = ready_household()
        propose(household, ready)
        household.conclude_elimination_notice(
            Decision.PASSED,
            notice_from=ready + timedelta(1),
            notice_to=ready + timedelta(5),
            **when(ready + timedelta(6)),
        )
        household.complete_elimination_review(Decision.PASSED, **when(ready + timedelta(7)))
        household.decide_elimination_at_county(
            Decision.REJECTED,
            line_in_force=LINE,
            reason="收入来源不稳定",
            **when(ready + timedelta(8), COUNTY),
        )
        case = household.cases[0]
        assert type(household.pending_events[-1]).__name__ == "EliminationRejected"
        assert household.is_monitoring_object and case.monitored and case.active
        assert not case.eliminated and not case.eliminating
        assert case.stage is CaseStage.MONITORED
        assert case.elimination.county_decision.reason == "收入来源不稳定"
        visit(household, "V-oct", ready + timedelta(20), income="12000")  # October's evidence
        propose(household, ready + timedelta(40))  # may be proposed again later
        assert case.eliminating

    def test_given_the_county_rejects_without_reason_then_REQUIRED(self):
        household, ready = ready_household()
        propose(household, ready)
        household.complete_elimination_review(Decision.PASSED, **when(ready))
        household.conclude_elimination_notice(
            Decision.PASSED,
            notice_from=ready,
            notice_to=ready + timedelta(4),
            **when(ready + timedelta(4)),
        )
        with refused(household, "REQUIRED", "reason"):
            household.decide_elimination_at_county(
                Decision.REJECTED, line_in_force=LINE, **when(ready + timedelta(5))
            )

    def test_given_the_village_rejects_then_the_procedure_ends_and_monitoring_continues(self):
        household, ready = ready_household()
        propose(household, ready)
        household.conclude_elimination_notice(
            Decision.REJECTED,
            notice_from=ready + timedelta(1),
            notice_to=ready + timedelta(5),
            reason="群众有异议",
            **when(ready + timedelta(6)),
        )
        assert household.is_monitoring_object and not household.cases[0].eliminating
        with refused(household, "NO_ELIMINATION"):
            household.complete_elimination_review(Decision.PASSED, **when(ready + timedelta(7)))

    def test_given_the_risk_eliminated_then_no_further_elimination_step(self):
        household, ready = ready_household()
        eliminate(household, ready)
        with refused(household, "NOT_MONITORED"):
            propose(household, ready + timedelta(30))
        with refused(household, "NO_ELIMINATION"):
            household.complete_elimination_review(Decision.PASSED, **when(ready + timedelta(30)))
