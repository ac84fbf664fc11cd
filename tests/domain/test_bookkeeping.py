"""Idempotency bookkeeping (command ids kept in the aggregate) and replay from the events."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from household_kit import (
    COUNTY,
    PAYOUT,
    TOWNSHIP,
    all_checks,
    eliminate,
    help_until_eliminable,
    include,
    make_id,
    member,
    raise_alert,
    registered,
    replay,
    when,
)

from domain.codes import (
    AppealSubject,
    Category,
    Channel,
    Check,
    Decision,
    DisasterKind,
    Finding,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureType,
    ObjectionOutcome,
    Relation,
    RiskType,
    SuddenHardship,
)
from domain.errors import DomainError
from domain.household import Household, household_event_classes
from domain.values import Objection

D = date(2023, 3, 1)


class TestCommandIds:
    def test_each_event_s_command_id_maps_to_its_version(self):
        household = registered()
        household.raise_alert(
            alert_id="A-1",
            channel=Channel.SELF_DECLARATION,
            person_id_number=household.head.id_number,
            risk_types=[RiskType.ILLNESS],
            **when(D, command_id="c-alert"),
        )
        household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D, command_id="c-visit"))
        assert household.command_ids["c-alert"] == 2
        assert household.command_ids["c-visit"] == 3
        assert len(household.command_ids) == 3  # with the registration's

    def test_a_command_with_two_events_maps_to_the_last(self):
        household = registered()
        household.record_visit(
            visit_id="V-1", visitor="王", checks=all_checks(Check.FOOD), **when(D, command_id="c-visit")
        )
        assert household.version == 3
        assert household.command_ids["c-visit"] == 3
        assert [e.command_id for e in household.pending_events[-2:]] == ["c-visit", "c-visit"]

    def test_an_empty_command_id_is_not_kept(self):
        household = registered()
        before = dict(household.command_ids)
        household.record_visit(visit_id="V-1", visitor="王", checks=all_checks(), **when(D, command_id=""))
        assert household.command_ids == before

    def test_a_refused_command_leaves_no_command_id(self):
        household = registered()
        with pytest.raises(DomainError):
            household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D, command_id="c-x"))
        assert "c-x" not in household.command_ids

    def test_every_event_of_a_whole_lifecycle_lands_in_command_ids(self):
        household = full_lifecycle()
        events = list(household.collect_events())
        assert {e.command_id for e in events} <= set(household.command_ids)
        for event in events:
            assert household.command_ids[event.command_id] >= event.originator_version


def full_lifecycle() -> Household:
    """A household that goes through most of what can happen to it."""
    household = registered()
    baby = make_id(date(2023, 2, 1), male=False)
    household.join_member(member("张妞", baby, Relation.DAUGHTER), JoinReason.BIRTH, **when(date(2023, 2, 2)))
    household.update_member(baby, {"health": "患有大病"}, **when(date(2023, 2, 20)))
    household.assign_grid_worker(name="李网格", phone="13812345678", **when(date(2023, 2, 21)))
    raise_alert(household, D, risk_types=(RiskType.NATURAL_DISASTER,), disaster_kind=DisasterKind.FLOOD)
    household.verify_at_home(1, Finding.RISK_CONFIRMED, **when(D + timedelta(1)))
    household.open_green_channel(
        1,
        SuddenHardship.NATURAL_DISASTER,
        studied_on=D + timedelta(1),
        approved_on=D + timedelta(2),
        **when(D + timedelta(2), COUNTY),
    )
    household.analyse_risk(
        causes=[RiskType.NATURAL_DISASTER],
        labour_capacity=LabourCapacity.ORDINARY,
        needs=[MeasureType.HOUSING_SAFETY],
        **when(D + timedelta(3)),
    )
    household.complete_township_review(1, Decision.PASSED, **when(D + timedelta(3), TOWNSHIP))
    household.conclude_village_deliberation(
        1,
        Decision.PASSED,
        notice_from=D + timedelta(2),
        notice_to=D + timedelta(6),
        objections=[Objection("有异议", ObjectionOutcome.UPHELD, "经核实属实")],
        **when(D + timedelta(7)),
    )
    household.decide_at_county(
        1,
        Decision.PASSED,
        category=Category.SUDDEN_SEVERE_HARDSHIP,
        asset_comparison="无异常",
        **when(D + timedelta(8), COUNTY),
    )
    included = D + timedelta(8)
    household.assign_helper(name="王帮扶", unit="县乡村振兴局", phone="13912345678",
                            **when(included, TOWNSHIP))
    household.change_helper(name="陈帮扶", unit="县医保局", phone="0312-7654321", reason="调任",
                            **when(included + timedelta(2), TOWNSHIP))
    household.change_grid_worker(name="赵网格", phone="13712345678", reason="调任",
                                 **when(included + timedelta(2)))
    household.subsidise_medical_insurance(baby, 2023, Decimal("380"), **when(included))
    household.pay_relief_insurance(
        payout_id="P-1",
        cause=RiskType.NATURAL_DISASTER,
        amount=Decimal("8000"),
        **PAYOUT,
        **when(included + timedelta(1)),
    )
    ready = help_until_eliminable(household, included)
    household.correct(2, {"name": "张二妞"}, "录错", **when(ready - timedelta(1), COUNTY))
    eliminate(household, ready)
    household.end_helper(reason="风险已消除", **when(ready + timedelta(8), TOWNSHIP))
    household.end_grid_worker(reason="网格调整", **when(ready + timedelta(9)))
    household.lodge_appeal(1, AppealSubject.ELIMINATION, appeal_id="SS-1", appellant="张三",
                           content="收入还不稳定", by_household=True, **when(ready + timedelta(10)))
    household.answer_appeal(1, "SS-1", ObjectionOutcome.NOT_UPHELD, reason="连续六个月收入高于标准",
                            **when(ready + timedelta(12), COUNTY))
    household.leave_member(baby, LeaveReason.MOVED_OUT, **when(ready + timedelta(30)))
    raise_alert(household, ready + timedelta(40), risk_types=(RiskType.ILLNESS,))
    return household


class TestReplay:
    def test_replaying_the_collected_events_gives_an_equal_household(self):
        household = full_lifecycle()
        events = list(household.collect_events())
        assert household.pending_events == []
        rebuilt = replay(events)
        assert rebuilt == household
        assert rebuilt.version == household.version == len(events)
        assert rebuilt.cases[1].re_entry

    def test_replaying_twice_gives_equal_but_independent_households(self):
        events = list(full_lifecycle().collect_events())
        first, second = replay(events), replay(events)
        assert first == second
        first.cases[0].risk_types = ()
        assert first != second

    def test_the_lifecycle_touched_every_kind_of_event_but_a_few(self):
        events = list(full_lifecycle().collect_events())
        seen = {type(e).__name__ for e in events}
        every = {cls.__name__ for cls in household_event_classes()}
        # not exercised here: a measure ending, the two county refusals, a published notice
        # (test_notices), evidence attached (test_evidence), and the library's generated
        # ``Created`` class (households are created by ``Registered``), a 帮扶责任人 confirmed at
        # inclusion (test_my_work over HTTP)
        assert every - seen <= {"MeasureEnded", "IdentificationRejected", "EliminationRejected",
                                "NoticePublished", "EvidenceAttached", "Created", "HelperConfirmed"}

    def test_replay_to_an_earlier_version_gives_the_household_as_it_was(self):
        household = registered()
        include(household, D)
        events = list(household.collect_events())
        before_inclusion = replay(events[:-1])
        assert not before_inclusion.is_monitoring_object
        assert before_inclusion.cases[0].identification.owed_steps == ("county_decision",)
