"""An elimination notice's objections belong to its attempt: a new attempt, or an upheld appeal
that reopens the elimination, starts with none — in the household as its events replay and in
a snapshot taken before cases kept them (which the auditor's check compares with the replay)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import msgspec
from household_kit import when
from test_elimination import propose, ready_household

from application.store.mapper import MsgspecMapper
from domain.codes import Decision, ObjectionOutcome
from domain.household import Household
from domain.values import Objection

UPHELD = Objection("村民反映该户务工收入已中断", ObjectionOutcome.UPHELD, "经核实属实")


def test_a_new_attempt_starts_with_no_objections_and_an_old_snapshot_agrees() -> None:
    # Given an elimination whose notice was refused on an upheld objection
    household, ready = ready_household()
    propose(household, ready)
    household.conclude_elimination_notice(
        Decision.REJECTED, objections=[UPHELD], reason="异议成立", notice_from=ready + timedelta(1),
        notice_to=ready + timedelta(5), **when(ready + timedelta(6)))
    assert household.cases[0].elimination_objections == (UPHELD,)
    # When the village verifies the household again: a new attempt
    propose(household, ready + timedelta(7))
    # Then the new attempt has no objections yet
    assert household.cases[0].elimination_objections == ()
    # And a snapshot of it taken before cases kept objections loads as its events replay
    mapper = MsgspecMapper(transcoder=None)  # type: ignore[arg-type]
    household.collect_events()
    stored = mapper.to_stored_event(Household.Snapshot.take(household))
    envelope = msgspec.msgpack.decode(stored.state)
    envelope["state"]["class_version"] = 4
    for case in envelope["state"]["cases"]:
        del case["elimination_objections"]
    old = dataclasses.replace(stored, state=msgspec.msgpack.encode(envelope))
    assert mapper.to_domain_event(old).mutate(None) == household
