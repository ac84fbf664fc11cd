"""Household snapshots taken by earlier code: those an upcast can bring up to date load as the
household their events replay to (and store again the same way, so the audit finds nothing
changed); one that cannot say a fact its events hold is refused as outdated.

No database: snapshots are mapped to `StoredEvent`s and back in memory (the demo households
`tests.test_mapper` uses).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from application.demo import generate_county
from application.store.mapper import AggregateCodec, MsgspecMapper
from domain.household import Household
from domain.replay import SnapshotOutdated
from tests.test_mapper import HOUSEHOLDS, SEED


@pytest.fixture(scope="module")
def households() -> list[Household]:
    """The demo households, their events collected (none pending)."""
    county = list(generate_county(HOUSEHOLDS, seed=SEED))
    for household in county:
        household.collect_events()
    return county


@pytest.fixture
def mapper() -> MsgspecMapper:
    return MsgspecMapper(transcoder=None)  # type: ignore[arg-type]


def _as_version_4(household: Household, mapper: MsgspecMapper) -> StoredEvent:
    """The household's snapshot as taken before cases kept their elimination objections."""
    stored = mapper.to_stored_event(Household.Snapshot.take(household))
    envelope = msgspec.msgpack.decode(stored.state)
    envelope["state"]["class_version"] = 4
    for case in envelope["state"]["cases"]:
        del case["elimination_objections"]
    return dataclasses.replace(stored, state=msgspec.msgpack.encode(envelope))


def test_a_snapshot_taken_before_elimination_objections_loads_where_it_can_say_them(
    households: list[Household], mapper: MsgspecMapper
) -> None:
    """A version-4 snapshot of a household whose elimination notice was never concluded loads
    with no elimination objections (there were none); one whose notice was concluded cannot
    say what they were: it is refused as outdated, and the application replays the events."""
    plain = next(h for h in households if h.cases and all(
        c.elimination is None or c.elimination.village_notice is None for c in h.cases))
    assert mapper.to_domain_event(_as_version_4(plain, mapper)).mutate(None) == plain
    noticed = next(h for h in households if any(
        c.elimination is not None and c.elimination.village_notice is not None for c in h.cases))
    with pytest.raises(MapperDeserialisationError) as refused:
        mapper.to_domain_event(_as_version_4(noticed, mapper))
    assert isinstance(refused.value.__cause__, SnapshotOutdated)


#: Value-object fields a household snapshot taken before issue 17 lacks: where they sit in the
#: snapshot's state and the value each means when absent.
FIELDS_ADDED_TO_VALUES = {
    "visits": {"per_capita_income": None, "line_in_force": None},
    "analyses": {"reason": ""},
    "measures": {"reason": ""},
    "payouts": {"insurer": ""},
}


def _values(state: dict[str, Any], where: str) -> list[Any]:
    held = state[where]
    return list(held.values()) if isinstance(held, dict) else list(held)


def test_a_snapshot_taken_before_values_had_new_fields_loads_as_its_events_replay(
    households: list[Household], mapper: MsgspecMapper
) -> None:
    """A snapshot written before visits kept income, analyses and measures a reason and payouts
    an insurer loads with those fields as not recorded, and stores again exactly as the household
    its events replay to: an auditor's snapshot check finds nothing changed."""
    household = next(h for h in households
                     if h.visits and h.analyses and h.measures and h.payouts)
    stored = mapper.to_stored_event(Household.Snapshot.take(household))
    envelope = msgspec.msgpack.decode(stored.state)
    for where, fields in FIELDS_ADDED_TO_VALUES.items():
        for value in _values(envelope["state"], where):
            for name in fields:
                del value[name]
    old = dataclasses.replace(stored, state=msgspec.msgpack.encode(envelope))
    restored = mapper.to_domain_event(old).mutate(None)
    for where, fields in FIELDS_ADDED_TO_VALUES.items():
        for value in _values(vars(restored), where):
            assert {name: vars(value)[name] for name in fields} == fields, where
    codec = AggregateCodec()
    replayed = codec.decode(Household, codec.encode(household))  # as the old events replay
    for where, fields in FIELDS_ADDED_TO_VALUES.items():
        for value in _values(vars(replayed), where):
            vars(value).update(fields)
    assert _stored_form(restored) == _stored_form(replayed)


def _stored_form(household: Household) -> Any:
    """What a household's state stores as, field by field (as the audit compares snapshots)."""
    return msgspec.msgpack.decode(AggregateCodec().encode(household))
