"""People on a household (§七): its 网格员 and its 帮扶责任人, assigned, changed and ended."""

from __future__ import annotations

from datetime import date

import pytest
from household_kit import COUNTY, TOWNSHIP, at, include, refused, registered, replay, when

from domain.codes import HouseholdType
from domain.household import Household
from domain.household.next_steps import steps_for
from domain.identity import validate_phone

D = date(2023, 6, 1)
HELPER = {"name": "王帮扶", "unit": "县乡村振兴局", "phone": "13812345678"}


def monitored() -> Household:
    household = registered()
    include(household)  # included 2023-03-09
    return household


class TestGridWorker:
    def test_assigned_changed_and_ended_the_history_says_who_answered_when(self) -> None:
        """Given a household, when its 网格员 is assigned, changed and then ended, then on each
        day the household answers who its grid worker was, and replaying the events agrees."""
        household = registered()
        household.assign_grid_worker(name="李网格", phone="138 1234 5678", **when(D))
        household.change_grid_worker(name="赵网格", phone="0312-7654321", reason="李网格调任",
                                     **when(date(2023, 8, 1)))
        household.end_grid_worker(reason="网格调整", **when(date(2023, 10, 1)))

        assert household.grid_worker is None
        assert household.grid_worker_on(date(2023, 5, 31)) is None
        first = household.grid_worker_on(date(2023, 7, 31))
        assert first is not None and (first.name, first.phone) == ("李网格", "13812345678")
        assert first.ended_on == date(2023, 8, 1) and first.end_reason == "李网格调任"
        second = household.grid_worker_on(date(2023, 8, 1))
        assert second is not None and second.name == "赵网格" and second.reason == "李网格调任"
        assert household.grid_worker_on(date(2023, 10, 1)) is None
        names = [type(e).__name__ for e in household.collect_events()]
        assert names[-3:] == ["GridWorkerAssigned", "GridWorkerChanged", "GridWorkerEnded"]

    def test_replaying_the_events_gives_the_same_people(self) -> None:
        household = registered()
        household.assign_grid_worker(name="李网格", phone="13812345678", **when(D))
        household.change_grid_worker(name="赵网格", phone="13912345678", reason="调任",
                                     **when(date(2023, 8, 1)))
        events = household.collect_events()
        assert replay(events).grid_workers == household.grid_workers

    def test_a_second_assignment_is_refused_it_is_a_change(self) -> None:
        household = registered()
        household.assign_grid_worker(name="李网格", phone="13812345678", **when(D))
        with refused(household, "GRID_WORKER_ASSIGNED", "worker_name"):
            household.assign_grid_worker(name="赵网格", phone="13912345678", **when(D))

    def test_a_new_grid_worker_cannot_start_before_the_last_one_ended(self) -> None:
        """Who answered for the household when never overlaps."""
        household = registered()
        household.assign_grid_worker(name="李网格", phone="13812345678", **when(date(2023, 3, 1)))
        household.end_grid_worker(reason="网格调整", **when(date(2023, 5, 1)))
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.assign_grid_worker(name="赵网格", phone="13912345678",
                                         **{**when(date(2023, 1, 1)), "at": at(date(2023, 5, 2))})
        household.assign_grid_worker(name="赵网格", phone="13912345678", **when(date(2023, 5, 1)))
        assert household.grid_worker_on(date(2023, 4, 1)).name == "李网格"

    def test_ending_or_changing_when_nobody_is_assigned_is_refused(self) -> None:
        household = registered()
        with refused(household, "GRID_WORKER_NOT_ASSIGNED"):
            household.end_grid_worker(**when(D))
        with refused(household, "GRID_WORKER_NOT_ASSIGNED"):
            household.change_grid_worker(name="赵网格", phone="13912345678", reason="调任", **when(D))

    def test_a_change_needs_its_reason_and_another_person_and_a_day_not_before(self) -> None:
        household = registered()
        household.assign_grid_worker(name="李网格", phone="13812345678", **when(D))
        with refused(household, "REQUIRED", "reason"):
            household.change_grid_worker(name="赵网格", phone="13912345678", reason=" ", **when(D))
        with refused(household, "STAFF_UNCHANGED", "worker_name"):
            household.change_grid_worker(name="李网格", phone="13812345678", reason="调任", **when(D))
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.change_grid_worker(name="赵网格", phone="13912345678", reason="调任",
                                         **when(date(2023, 5, 1)))

    @pytest.mark.parametrize(("name", "phone", "code", "field"), [
        ("", "13812345678", "REQUIRED", "worker_name"),
        ("李网格", "", "REQUIRED", "phone"),
        ("李网格", "1381234567", "PHONE_INVALID", "phone"),
        ("李网格", "12812345678", "PHONE_INVALID", "phone"),
        ("李网格", "电话13812345678", "PHONE_INVALID", "phone"),
        ("李网格", "1234567", "PHONE_INVALID", "phone"),
    ])
    def test_a_missing_name_or_a_bad_phone_is_refused_naming_the_field(
            self, name: str, phone: str, code: str, field: str) -> None:
        household = registered()
        with refused(household, code, field) as info:
            household.assign_grid_worker(name=name, phone=phone, **when(D))
        assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.message)


class TestHelper:
    def test_a_monitoring_object_gets_its_helper_changed_and_ended(self) -> None:
        household = monitored()
        household.assign_helper(**HELPER, **when(D, TOWNSHIP))
        assert household.helper is not None and household.helper.unit == "县乡村振兴局"
        household.change_helper(name="陈帮扶", unit="县医保局", phone="0312-6123456",
                                reason="王帮扶退休", **when(date(2023, 9, 1), COUNTY))
        assert household.helper_on(date(2023, 8, 31)).name == "王帮扶"
        assert household.helper_on(date(2023, 9, 1)).name == "陈帮扶"
        household.end_helper(**when(date(2023, 12, 1), COUNTY))
        assert household.helper is None and len(household.helpers) == 2

    def test_an_ordinary_household_that_is_not_monitored_gets_no_helper(self) -> None:
        household = registered()
        with refused(household, "HELPER_NOT_MONITORED"):
            household.assign_helper(**HELPER, **when(D, TOWNSHIP))

    def test_a_lifted_out_household_gets_one_under_four_not_removed(self) -> None:
        """四个不摘: a 脱贫户 that is not a monitoring object still has help followed up."""
        household = registered(HouseholdType.LIFTED_OUT)
        household.assign_helper(**HELPER, **when(D, TOWNSHIP))
        assert household.helper is not None

    @pytest.mark.parametrize(("changes", "code", "field"), [
        ({"unit": ""}, "REQUIRED", "unit"),
        ({"name": "  "}, "REQUIRED", "helper_name"),
        ({"phone": "0312-123"}, "PHONE_INVALID", "phone"),
    ])
    def test_unit_name_and_phone_are_checked(self, changes: dict, code: str, field: str) -> None:
        household = monitored()
        with refused(household, code, field):
            household.assign_helper(**{**HELPER, **changes}, **when(D, TOWNSHIP))

    def test_ending_a_helper_nobody_was_assigned_is_refused(self) -> None:
        household = monitored()
        with refused(household, "HELPER_NOT_ASSIGNED"):
            household.end_helper(**when(D, TOWNSHIP))


class TestNextSteps:
    def test_an_included_case_without_a_helper_prompts_to_assign_one(self) -> None:
        """Given a case just included, then assigning its 帮扶责任人 is among the next steps;
        once assigned, it is not."""
        household = monitored()
        today = date(2023, 3, 20)
        assert "assign_helper" in steps_for(household, today).next
        household.assign_helper(**HELPER, **when(date(2023, 3, 15), TOWNSHIP))
        steps = steps_for(household, today)
        assert "assign_helper" not in steps.next
        assert {"change_helper", "end_helper"} <= steps.possible

    def test_a_household_not_monitored_is_not_prompted_and_not_offered_a_helper(self) -> None:
        steps = steps_for(registered(), date(2023, 3, 20))
        assert "assign_helper" not in steps.possible
        assert "assign_grid_worker" in steps.possible and "end_grid_worker" not in steps.possible


@pytest.mark.parametrize(("text", "stored"), [
    ("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"),
    ("0312-1234567", "0312-1234567"), ("010-12345678", "010-12345678"),
    ("03121234567", "03121234567"), ("0312-1234567-8021", "0312-1234567-8021"),
])
def test_phones_people_write_are_accepted(text: str, stored: str) -> None:
    assert validate_phone(text, "phone") == stored
