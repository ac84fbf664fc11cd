"""Monthly visits with the six checks (domain.md §8) and income assessment (§4)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from household_kit import (
    LINE,
    VILLAGE,
    all_checks,
    at,
    include,
    other_members,
    refused,
    registered,
    when,
)

from domain import rules
from domain.codes import Channel, Check, LeaveReason, Problem, RiskType
from domain.household import AlertOutcome, Household

D = date(2023, 4, 12)


def visit(household: Household, visit_id: str = "V-1", on: date = D, checks=None, **kw):
    return household.record_visit(
        visit_id=visit_id,
        visitor=kw.pop("visitor", "网格员王"),
        checks=all_checks() if checks is None else checks,
        **{**when(on), **kw},
    )


class TestVisitWithAllChecksPassed:
    def test_given_all_six_checks_pass_then_the_visit_is_recorded_and_no_alert(self, household):
        outcome = visit(
            household, income_change=Decimal("-300"), spending_change=Decimal("800"), notes="务工收入减少"
        )
        assert outcome is None
        recorded = household.visits[0]
        assert recorded.visit_id == "V-1" and recorded.occurred_on == D
        assert recorded.visitor == "网格员王"
        assert recorded.checks == {c: True for c in Check}
        assert recorded.failed_checks == ()
        assert recorded.income_change == Decimal("-300")
        assert recorded.spending_change == Decimal("800")
        assert household.alerts == {} and household.cases == []
        assert [type(e).__name__ for e in household.pending_events][-1] == "VisitRecorded"
        assert household.latest_visit(D) is recorded
        assert household.latest_visit(D - timedelta(1)) is None

    def test_given_a_check_missing_then_CHECKS_INCOMPLETE_naming_it(self, household):
        checks = all_checks()
        del checks[Check.WATER_SAFETY]
        with refused(household, "CHECKS_INCOMPLETE", "checks") as info:
            visit(household, checks=checks)
        assert "饮水安全" in info.value.message

    def test_given_no_checks_then_CHECKS_INCOMPLETE_naming_all_six(self, household):
        with refused(household, "CHECKS_INCOMPLETE", "checks") as info:
            visit(household, checks={})
        assert all(c in info.value.message for c in Check)

    def test_given_a_visit_id_already_used_then_VISIT_ID_TAKEN(self, household):
        visit(household)
        with refused(household, "VISIT_ID_TAKEN", "visit_id"):
            visit(household, on=D + timedelta(30))

    def test_given_no_visitor_then_REQUIRED(self, household):
        with refused(household, "REQUIRED", "visitor"):
            visit(household, visitor=" ")

    @pytest.mark.parametrize("field", ["income_change", "spending_change"])
    @pytest.mark.parametrize("value", [100, Decimal("NaN")])
    def test_given_a_change_that_is_not_an_amount_then_AMOUNT_INVALID(self, household, field, value):
        with refused(household, "AMOUNT_INVALID", field):
            visit(household, **{field: value})

    def test_given_a_visit_dated_after_the_recording_day_then_DATE_IN_FUTURE(self, household):
        with refused(household, "DATE_IN_FUTURE", "occurred_on"):
            household.record_visit(
                visit_id="V-1",
                visitor="王",
                checks=all_checks(),
                occurred_on=D + timedelta(1),
                by=VILLAGE,
                at=at(D),
            )


class TestIncomeFoundOnAVisit:
    """A visit's recorded per-capita income is income evidence for risk elimination (§9)."""

    def test_the_income_is_kept_with_the_line_in_force(self, household):
        visit(household, per_capita_income=Decimal("9100.50"), line_in_force=LINE)
        recorded = household.visits[0]
        assert (recorded.per_capita_income, recorded.line_in_force) == (Decimal("9100.50"), LINE)
        evidence = household.income_evidence(D, D)
        assert [(e.per_capita, e.line_in_force, e.source) for e in evidence] == [
            (Decimal("9100.50"), LINE, "走访 V-1")]

    def test_a_visit_without_an_income_figure_is_no_evidence_and_keeps_no_line(self, household):
        visit(household, line_in_force=LINE)
        assert household.visits[0].line_in_force is None
        assert household.income_evidence(D, D) == []

    def test_given_an_income_figure_but_no_line_in_force_then_INCOME_LINE_MISSING(self, household):
        with refused(household, "INCOME_LINE_MISSING", "occurred_on"):
            visit(household, per_capita_income=Decimal("9000"))

    @pytest.mark.parametrize("income", [Decimal("-1"), Decimal("0.001"), Decimal("NaN")])
    def test_given_an_income_that_is_not_an_amount_then_AMOUNT_INVALID(self, household, income):
        with refused(household, "AMOUNT_INVALID", "per_capita_income"):
            visit(household, per_capita_income=income, line_in_force=LINE)


class TestFailedCheckRaisesAnAlert:
    @pytest.mark.parametrize("check", list(Check))
    def test_given_one_failed_check_then_a_cadre_alert_with_its_signal_in_the_same_command(
        self, household, check
    ):
        before = household.version
        outcome = visit(household, checks=all_checks(check), command_id="cmd-visit")
        risk, problem = rules.FAILED_CHECK_SIGNALS[check]
        assert outcome == AlertOutcome("V-1-预警", 1, None, True)
        assert household.version == before + 2
        events = household.pending_events[-2:]
        assert [type(e).__name__ for e in events] == ["VisitRecorded", "AlertRaised"]
        assert {e.command_id for e in events} == {"cmd-visit"}
        alert = household.alerts["V-1-预警"]
        assert alert.channel is Channel.CADRE_SCREENING
        assert alert.person_id_number == household.head.id_number
        assert alert.discovered_on == D
        assert alert.risk_types == (risk,)
        assert alert.problems == (() if problem is None else (problem,))
        assert check in alert.description
        assert household.visits[0].failed_checks == (check,)
        assert household.cases[0].opened_on == D

    def test_the_signal_table(self):
        assert rules.FAILED_CHECK_SIGNALS == {
            Check.FOOD: (RiskType.OTHER, None),
            Check.CLOTHING: (RiskType.OTHER, None),
            Check.COMPULSORY_EDUCATION: (RiskType.SCHOOLING, Problem.OUT_OF_SCHOOL),
            Check.BASIC_MEDICAL: (RiskType.ILLNESS, Problem.UNINSURED_MEMBER),
            Check.HOUSING_SAFETY: (RiskType.OTHER, Problem.UNSAFE_HOUSING),
            Check.WATER_SAFETY: (RiskType.OTHER, Problem.UNSAFE_WATER),
        }

    def test_given_several_failed_checks_then_one_alert_with_each_risk_and_flag_once(self, household):
        visit(
            household,
            checks=all_checks(Check.FOOD, Check.HOUSING_SAFETY, Check.WATER_SAFETY, Check.BASIC_MEDICAL),
        )
        alert = household.alerts["V-1-预警"]
        assert alert.risk_types == (RiskType.OTHER, RiskType.ILLNESS)
        assert alert.problems == (Problem.UNINSURED_MEMBER, Problem.UNSAFE_HOUSING, Problem.UNSAFE_WATER)

    def test_given_a_second_failure_in_the_same_month_then_its_alert_is_a_duplicate(self, household):
        visit(household, "V-1", D, checks=all_checks(Check.HOUSING_SAFETY))
        outcome = visit(household, "V-2", D + timedelta(10), checks=all_checks(Check.HOUSING_SAFETY))
        assert outcome == AlertOutcome("V-2-预警", None, "V-1-预警", False)
        assert len(household.cases) == 1
        assert len(household.visits) == 2

    def test_given_a_failure_next_month_then_not_a_duplicate(self, household):
        visit(household, "V-1", D, checks=all_checks(Check.HOUSING_SAFETY))
        outcome = visit(household, "V-2", D + timedelta(30), checks=all_checks(Check.HOUSING_SAFETY))
        assert outcome.duplicate_of is None and outcome.case_number == 1

    def test_given_a_monitored_household_then_the_failure_joins_its_case(self, household):
        include(household, date(2023, 3, 1))
        outcome = visit(household, checks=all_checks(Check.COMPULSORY_EDUCATION))
        assert outcome.case_number == 1 and not outcome.new_case
        assert "V-1-预警" in household.cases[0].alert_ids

    def test_given_an_invalid_visit_nothing_is_recorded_not_even_the_alert(self, household):
        checks = all_checks(Check.FOOD)
        with refused(household, "REQUIRED", "visitor"):
            visit(household, checks=checks, visitor="")
        assert household.alerts == {}


def assess(household: Household, assessment_id: str = "I-1", on: date = D, **kw):
    fields = {
        "year": 2022,
        "wages": Decimal("24000"),
        "business": Decimal("6000"),
        "property": Decimal("500"),
        "transfers": Decimal("3500"),
        "production_costs": Decimal("4000"),
        "line_in_force": LINE,
        **kw,
    }
    return household.assess_income(assessment_id=assessment_id, **fields, **when(on))


class TestIncomeAssessment:
    def test_per_capita_is_net_income_divided_by_household_size_on_the_day(self, household):
        assessment = assess(household)
        assert assessment == household.assessments[-1] and assessment is not household.assessments[-1]
        assert assessment.household_size == 3
        assert assessment.net_income == Decimal("30000")
        assert assessment.per_capita == Decimal("10000.00")
        assert assessment.line_in_force == LINE
        assert not assessment.below_line
        assert household.latest_income_assessment(D) == assessment

    def test_the_size_follows_members_who_left(self, household):
        household.leave_member(other_members(household)[0], LeaveReason.DEATH, **when(D - timedelta(10)))
        assessment = assess(
            household,
            wages=Decimal("10000"),
            business=Decimal(0),
            property=Decimal(0),
            transfers=Decimal(0),
            production_costs=Decimal(0),
        )
        assert assessment.household_size == 2
        assert assessment.per_capita == Decimal("5000.00")
        assert assessment.below_line

    def test_per_capita_is_rounded_to_cents(self, household):
        assessment = assess(
            household,
            wages=Decimal("10000"),
            business=Decimal(0),
            property=Decimal(0),
            transfers=Decimal(0),
            production_costs=Decimal(0),
        )
        assert assessment.per_capita == Decimal("3333.33")

    def test_the_line_in_force_that_day_is_kept_with_the_assessment(self, household):
        assess(household, "I-1", line_in_force=Decimal("8000"))
        assess(household, "I-2", D + timedelta(1), line_in_force=Decimal("8300"))
        assert [a.line_in_force for a in household.assessments] == [Decimal("8000"), Decimal("8300")]

    def test_costs_above_income_give_a_negative_per_capita(self, household):
        assessment = assess(
            household,
            wages=Decimal(0),
            business=Decimal(0),
            property=Decimal(0),
            transfers=Decimal(0),
            production_costs=Decimal("300"),
        )
        assert assessment.per_capita == Decimal("-100.00") and assessment.below_line

    @pytest.mark.parametrize("field", ["wages", "business", "property", "transfers", "production_costs"])
    def test_given_a_negative_component_then_AMOUNT_INVALID(self, household, field):
        with refused(household, "AMOUNT_INVALID", field):
            assess(household, **{field: Decimal("-1")})

    @pytest.mark.parametrize("line", [Decimal(0), Decimal("-1")])
    def test_given_no_positive_line_then_AMOUNT_INVALID(self, household, line):
        with refused(household, "AMOUNT_INVALID", "line_in_force"):
            assess(household, line_in_force=line)

    @pytest.mark.parametrize("year", [1999, D.year + 1])
    def test_given_an_implausible_year_then_YEAR_INVALID(self, household, year):
        with refused(household, "YEAR_INVALID", "year"):
            assess(household, year=year)

    def test_given_an_assessment_id_already_used_then_ASSESSMENT_ID_TAKEN(self, household):
        assess(household)
        with refused(household, "ASSESSMENT_ID_TAKEN", "assessment_id"):
            assess(household)

    def test_given_an_empty_assessment_id_then_REQUIRED(self, household):
        with refused(household, "REQUIRED", "assessment_id"):
            assess(household, " ")

    def test_the_latest_assessment_is_the_one_with_the_latest_date(self, household):
        assess(household, "I-2", D)
        assess(household, "I-1", D - timedelta(20))
        assert household.latest_income_assessment(D).assessment_id == "I-2"
        assert household.latest_income_assessment(D - timedelta(1)).assessment_id == "I-1"
        assert household.latest_income_assessment(D - timedelta(21)) is None


class TestMonitoringGoesOnAfterEliminationVisits:
    def test_a_registered_household_may_be_visited_without_any_case(self):
        household = registered()
        visit(household)
        assert household.cases == [] and len(household.visits) == 1
