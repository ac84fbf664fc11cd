"""What a case file calls for next (the workbench's first buttons) and what it allows at all."""

from __future__ import annotations

from datetime import date

from household_kit import TOWNSHIP, analyse, include, raise_alert, registered, when

from domain.codes import Department, Finding, HouseholdType, MeasureType
from domain.household.next_steps import steps_for

TODAY = date(2025, 5, 20)


def test_a_household_with_nothing_open_offers_the_routine_only() -> None:
    steps = steps_for(registered(), TODAY)
    assert steps.next == ()
    assert "verify_at_home" not in steps.possible and "assign_measure" not in steps.possible
    assert {"raise_alert", "record_visit"} <= steps.possible


def test_an_alert_calls_for_the_home_visit_then_steps_two_and_three_then_the_county() -> None:
    household = registered()
    number = raise_alert(household, date(2025, 5, 1)).case_number
    assert steps_for(household, TODAY).next == ("verify_at_home",)
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(date(2025, 5, 2)))
    steps = steps_for(household, TODAY)
    assert steps.next == ("conclude_village_deliberation", "complete_township_review")
    assert "decide_at_county" not in steps.possible and "open_green_channel" in steps.possible


def test_a_monitoring_object_is_analysed_then_helped_need_by_need_and_visited_monthly() -> None:
    """Given a household just included, when nothing is done yet, then its risk analysis comes
    first (then its 帮扶责任人 and this month's visit); once analysed, a measure for its unmet
    needs."""
    household = registered()
    include(household, date(2025, 4, 1))
    assert steps_for(household, TODAY).next == ("analyse_risk", "assign_helper", "record_visit")
    analyse(household, date(2025, 5, 1), needs=(MeasureType.HEALTH,))
    assert steps_for(household, TODAY).next[0] == "assign_measure"
    household.assign_measure(measure_id="M1", measure_type=MeasureType.HEALTH,
                             department=Department.HEALTH, responsible_person="王医生",
                             **when(date(2025, 5, 3), TOWNSHIP))
    steps = steps_for(household, TODAY)
    assert "put_measure_in_place" in steps.next and "verify_elimination_at_home" in steps.possible


def test_a_lifted_out_household_may_have_follow_up_help_and_is_visited_monthly() -> None:
    steps = steps_for(registered(HouseholdType.LIFTED_OUT), TODAY)
    assert steps.next == ("record_visit",) and "assign_measure" in steps.possible


def test_a_case_analysed_late_leaves_the_lists_once_its_needs_are_answered() -> None:
    """Given a monitoring object first analysed after its 30 days, when its one need has a
    measure in place, then no measure is the next step any more (the indicator still counts
    it late: the facts judge by the deadline, falling back to that late analysis)."""
    household = registered()
    include(household, date(2025, 1, 2))
    analyse(household, date(2025, 4, 1), needs=(MeasureType.HEALTH,))
    household.assign_measure(measure_id="M1", measure_type=MeasureType.HEALTH,
                             department=Department.HEALTH, responsible_person="王医生",
                             **when(date(2025, 4, 2), TOWNSHIP))
    household.put_measure_in_place("M1", **when(date(2025, 4, 3), TOWNSHIP))
    case = household.active_case
    assert household.needs_met(case, by_deadline=False)[1] == date(2025, 4, 3)
    assert household.needs_met(case)[1] == date(2025, 4, 3)  # met, but after the deadline
    steps = steps_for(household, TODAY)
    assert "assign_measure" not in steps.next and "put_measure_in_place" not in steps.next
