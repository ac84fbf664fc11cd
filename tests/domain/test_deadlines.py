"""A case's deadlines and the steps it still owes, as the case itself tells them (domain.md §6):
inclusion within 15 days of discovery, a measure in place within 30 days of inclusion."""

from __future__ import annotations

from datetime import date

from domain.codes import Decision, SuddenHardship
from domain.deadlines import IDENTIFICATION_DAYS, days_left, days_overdue, days_until
from domain.indicators.facts import CaseFacts
from domain.values import Case, GreenChannel, Procedure, Step

FOUND = date(2025, 3, 1)


def case(*steps: date | None, green_channel: bool = False) -> Case:
    """A case found on FOUND whose identification steps passed on the days given."""
    taken = [Step(day, Decision.PASSED) if day else None for day in steps]
    return Case(number=1, opened_on=FOUND, alert_ids=["A1"], risk_types=(),
                identification=Procedure(*taken),
                green_channel=GreenChannel(FOUND, SuddenHardship.NATURAL_DISASTER, FOUND, FOUND)
                if green_channel else None)


def test_the_identification_deadline_is_15_days_after_discovery():
    assert case().identification_deadline == date(2025, 3, 16)
    assert (case().identification_deadline - FOUND).days == IDENTIFICATION_DAYS


def test_days_left_count_down_to_the_deadline_then_days_overdue_count_up():
    open_case = case()
    assert [(open_case.days_left(day), open_case.days_overdue(day))
            for day in (date(2025, 3, 6), date(2025, 3, 16), date(2025, 3, 19))] == [
        (10, 0), (0, 0), (0, 3)]
    assert days_until(date(2025, 3, 16), date(2025, 3, 19)) == -3
    assert (days_left(date(2025, 3, 16), date(2025, 3, 19)),
            days_overdue(date(2025, 3, 16), date(2025, 3, 19))) == (0, 3)


def test_inclusion_on_the_15th_day_is_on_time_on_the_16th_late():
    on_time = case(date(2025, 3, 2), date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 16))
    late = case(date(2025, 3, 2), date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 17))
    assert (on_time.included_late, late.included_late, case().included_late) == (False, True, False)
    assert (on_time.measure_deadline, case().measure_deadline) == (date(2025, 4, 15), None)


def test_the_steps_owed_after_the_home_visit_and_through_the_green_channel():
    assert case().pending_steps == ()  # awaiting its visit, not the later steps
    visited = case(date(2025, 3, 2))
    assert visited.pending_steps == ("village_notice", "township_review", "county_decision")
    assert visited.steps_owed_after_green_channel == ()
    helped = case(date(2025, 3, 2), None, date(2025, 3, 4), green_channel=True)
    assert helped.steps_owed_after_green_channel == ("village_notice", "county_decision")


def test_the_indicator_facts_count_the_same_deadlines():
    facts = CaseFacts(number=1, opened_on=FOUND, channel="", department=None, re_entry=False,
                      persons=1, included_on=date(2025, 3, 17), green_channel_on=FOUND,
                      procedure_done_on=date(2025, 3, 17))
    included = case(date(2025, 3, 2), date(2025, 3, 8), date(2025, 3, 9), date(2025, 3, 17))
    assert (facts.identification_deadline, facts.included_late, facts.measure_deadline) == (
        included.identification_deadline, included.included_late, included.measure_deadline)
    assert (facts.owes_steps_on(date(2025, 3, 16)), facts.owes_steps_on(date(2025, 3, 17))) == (
        True, False)
