"""MsgspecMapper and AggregateCodec: exact round trips, strict decoding, no shared state.

No database: every demo event is mapped to a `StoredEvent` and back in memory.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import JSONTranscoder, MapperDeserialisationError, StoredEvent

from application.demo import generate_county
from application.store.mapper import AggregateCodec, MsgspecMapper
from domain.codes import AppealSubject, RiskType, Role
from domain.household import Household, household_event_classes
from domain.values import Objection

HOUSEHOLDS = 200
SEED = 2025


@pytest.fixture(scope="module")
def county() -> list[tuple[Household, list[Household.Event]]]:
    """200 demo households with their events, collected (so the households hold no pending ones)."""
    return [(household, household.collect_events())
            for household in generate_county(HOUSEHOLDS, seed=SEED)]


@pytest.fixture(scope="module")
def households(county: list[tuple[Household, list[Household.Event]]]) -> list[Household]:
    return [household for household, _ in county]


@pytest.fixture(scope="module")
def events(county: list[tuple[Household, list[Household.Event]]]) -> list[Household.Event]:
    return [event for _, collected in county for event in collected] + appealed()


def appealed() -> list[Household.Event]:
    """The events of a household whose refusal was appealed (the demo lodges none)."""
    from tests.domain.household_kit import VILLAGE, registered, when
    from tests.domain.test_appeals import refused_at_county

    household = registered()
    number = refused_at_county(household)
    household.lodge_appeal(number, AppealSubject.REFUSAL, appeal_id="SS-1", appellant="张三",
                           content="存款是借的", by_household=True, answer_within_days=10,
                           **when(household.cases[0].closed_on, VILLAGE))
    return list(household.collect_events())


@pytest.fixture
def mapper() -> MsgspecMapper:
    return MsgspecMapper(transcoder=None)  # type: ignore[arg-type]


# ------------------------------------------------------------------ type checking helpers

def type_differences(original: Any, decoded: Any, path: str = "event") -> Iterator[str]:
    """Where ``decoded`` holds a value of another type than ``original`` (recursively)."""
    if type(original) is not type(decoded):
        yield f"{path}: {type(original).__name__} → {type(decoded).__name__}"
        return
    if hasattr(original, "__dict__") and not isinstance(original, Enum | type):
        for name in vars(original):
            yield from type_differences(getattr(original, name), getattr(decoded, name),
                                        f"{path}.{name}")
    elif isinstance(original, tuple | list):
        assert len(original) == len(decoded), path
        for index, (a, b) in enumerate(zip(original, decoded, strict=True)):
            yield from type_differences(a, b, f"{path}[{index}]")
    elif isinstance(original, dict):
        assert original.keys() == decoded.keys(), path
        decoded_keys = {key: key for key in decoded}  # the decoded key equal to each original one
        for key, value in original.items():
            yield from type_differences(key, decoded_keys[key], f"{path} key {key!r}")
            yield from type_differences(value, decoded[key], f"{path}[{key!r}]")


def conformance_errors(value: Any, hint: Any, path: str) -> Iterator[str]:
    """Where ``value`` is not exactly of the annotated type ``hint`` (no subclass of int for a
    bool, no datetime for a date, no str for an enum)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any or isinstance(hint, typing.TypeVar):
        return
    if origin in (typing.Union, types.UnionType):
        options = [list(conformance_errors(value, option, path)) for option in args]
        if all(options):
            yield f"{path}: {value!r} fits none of {hint}"
        return
    if origin is tuple:
        if type(value) is not tuple:
            yield f"{path}: {type(value).__name__} is not a tuple"
            return
        item_hints = [args[0]] * len(value) if args[-1] is Ellipsis else list(args)
        for index, (item, item_hint) in enumerate(zip(value, item_hints, strict=True)):
            yield from conformance_errors(item, item_hint, f"{path}[{index}]")
        return
    if origin is dict:
        if type(value) is not dict:
            yield f"{path}: {type(value).__name__} is not a dict"
            return
        for key, item in value.items():
            yield from conformance_errors(key, args[0], f"{path} key {key!r}")
            yield from conformance_errors(item, args[1], f"{path}[{key!r}]")
        return
    if hint is type(None):
        if value is not None:
            yield f"{path}: {value!r} is not None"
        return
    if type(value) is not hint:
        yield f"{path}: {type(value).__name__} is not {hint.__name__}"
        return
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        for field in dataclasses.fields(hint):
            yield from conformance_errors(getattr(value, field.name), hints[field.name],
                                          f"{path}.{field.name}")


def event_conformance_errors(event: Any) -> list[str]:
    hints = typing.get_type_hints(type(event))
    name = type(event).__name__
    return [error for field in vars(event) if field in hints
            for error in conformance_errors(getattr(event, field), hints[field], f"{name}.{field}")]


# ------------------------------------------------------------------ events

def test_sample_has_every_event_class(events: list[Household.Event]) -> None:
    seen = {type(event) for event in events}
    missing = {cls.__name__ for cls in household_event_classes()} - {cls.__name__ for cls in seen}
    # The rarest processes may not occur in 200 households; the bulk of the kinds must.
    assert len(seen) >= 18, f"only {len(seen)} kinds of event; missing {sorted(missing)}"


def test_every_event_round_trips_equal_and_exactly_typed(
    events: list[Household.Event], mapper: MsgspecMapper
) -> None:
    assert len(events) > 1000
    for event in events:
        stored = mapper.to_stored_event(event)
        assert isinstance(stored.state, bytes)
        assert stored.originator_id == event.originator_id
        assert stored.originator_version == event.originator_version
        decoded = mapper.to_domain_event(stored)
        assert decoded == event
        assert type(decoded) is type(event)
        assert list(type_differences(event, decoded)) == []
        assert event_conformance_errors(decoded) == []


def test_decoded_values_have_their_exact_types(
    events: list[Household.Event], mapper: MsgspecMapper
) -> None:
    decoded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]
    for event in decoded:
        assert type(event.occurred_on) is date
        assert type(event.timestamp) is datetime and event.timestamp.tzinfo is not None
        assert type(event.originator_id) is UUID
        assert type(event.recorded_by.role) is Role
    alerts = [e for e in decoded if isinstance(e, Household.AlertRaised)]
    assert alerts
    for alert in alerts:
        assert type(alert.risk_types) is tuple
        assert all(type(risk) is RiskType for risk in alert.risk_types)
        assert type(alert.problems) is tuple
    visits = [e for e in decoded if isinstance(e, Household.VisitRecorded)]
    assert visits
    for visit in visits:
        assert type(visit.income_change) is Decimal
        assert all(type(check).__name__ == "Check" for check in visit.checks)
    registered = [e for e in decoded if isinstance(e, Household.Registered)]
    assert len(registered) == HOUSEHOLDS + 1  # and the appealed one
    for event in registered:
        assert type(event.members) is tuple
        assert all(type(m.relation).__name__ == "Relation" for m in event.members)


def _alter(stored: StoredEvent, **changes: Any) -> StoredEvent:
    state = msgspec.json.decode(stored.state)
    state.update(changes)
    return dataclasses.replace(stored, state=msgspec.json.encode(state))


def _first(events: list[Household.Event], cls: type) -> Any:
    return next(event for event in events if type(event) is cls)


@pytest.mark.parametrize(
    ("event_class", "changes"),
    [
        (Household.VisitRecorded, {"occurred_on": "not-a-date"}),
        (Household.AlertRaised, {"risk_types": ["因穷"]}),
        (Household.VisitRecorded, {"income_change": [1, 2]}),
        (Household.Registered, {"household_type": "无此类型"}),
        (Household.AlertRaised, {"recorded_by": {"user_id": "x", "role": "路人"}}),
    ],
    ids=["bad-date", "unknown-risk-type", "bad-decimal", "unknown-household-type", "unknown-role"],
)
def test_a_stored_value_of_the_wrong_type_is_refused(
    events: list[Household.Event], mapper: MsgspecMapper, event_class: type, changes: dict[str, Any]
) -> None:
    stored = _alter(mapper.to_stored_event(_first(events, event_class)), **changes)
    with pytest.raises(MapperDeserialisationError) as raised:
        mapper.to_domain_event(stored)
    message = str(raised.value)
    assert f"'{stored.topic}'" in message
    assert stored.topic.startswith("fangpin:Household.")
    assert f"originator_version {stored.originator_version}" in message
    assert str(stored.originator_id) in message


def test_a_missing_field_is_refused(events: list[Household.Event], mapper: MsgspecMapper) -> None:
    stored = mapper.to_stored_event(_first(events, Household.AlertRaised))
    state = msgspec.json.decode(stored.state)
    del state["channel"]
    with pytest.raises(MapperDeserialisationError, match=r"fangpin:Household\.AlertRaised"):
        mapper.to_domain_event(dataclasses.replace(stored, state=msgspec.json.encode(state)))


def as_stored_before(stored: StoredEvent, *dropped: str) -> StoredEvent:
    """The event as a log written before its class gained ``dropped`` (version 1) holds it."""
    state = msgspec.json.decode(stored.state)
    for name in (*dropped, "class_version"):
        state.pop(name, None)
    return dataclasses.replace(stored, state=msgspec.json.encode(state))


#: Fields each event gained since its first version, and what an old one reads as.
ADDED_FIELDS: dict[type, dict[str, Any]] = {
    Household.RiskAnalysed: {"reason": ""},
    Household.MeasureAssigned: {"reason": ""},
    Household.VisitRecorded: {"per_capita_income": None, "line_in_force": None},
    Household.AlertRaised: {"target_group": None, "amount": None},
    Household.AppealLodged: {"answer_by": None},  # due as deadlines.APPEAL_DAYS said then
    Household.ReliefInsurancePaid: {"out_of_pocket": None, "insurer": "",
                                    "basic_living_in_difficulty": None, "bands_from": None,
                                    "ceiling": None},
}


@pytest.mark.parametrize("event_class", list(ADDED_FIELDS), ids=lambda cls: cls.__name__)
def test_an_event_stored_before_its_fields_were_added_loads_with_them_not_recorded(
    events: list[Household.Event], mapper: MsgspecMapper, event_class: type
) -> None:
    """Old logs still load: the new fields read as not recorded, the rest as stored."""
    event = _first(events, event_class)
    added = ADDED_FIELDS[event_class]
    old = mapper.to_domain_event(as_stored_before(mapper.to_stored_event(event), *added))
    assert {name: getattr(old, name) for name in added} == added
    kept = {k: v for k, v in vars(event).items() if k not in added}
    assert {k: v for k, v in vars(old).items() if k not in added} == kept
    again = mapper.to_domain_event(mapper.to_stored_event(old))  # stored again: as version 2
    assert vars(again) == vars(old)


def test_a_notice_stored_before_objections_had_outcomes_loads_them_without_one(
    events: list[Household.Event], mapper: MsgspecMapper
) -> None:
    """A village notice of an old log holds its objections as texts: each loads as an objection
    with no outcome and no reason (nobody can say now whether it was upheld)."""
    event = next(e for e in events
                 if isinstance(e, Household.VillageDeliberationConcluded) and e.objections)
    state = msgspec.json.decode(mapper.to_stored_event(event).state)
    assert state.pop("class_version") == 2
    state["objections"] = [objection["content"] for objection in state["objections"]]
    stored = dataclasses.replace(mapper.to_stored_event(event), state=msgspec.json.encode(state))
    old = mapper.to_domain_event(stored)
    assert old.objections == tuple(Objection(o.content, None, "") for o in event.objections)
    assert {k: v for k, v in vars(old).items() if k != "objections"} == {
        k: v for k, v in vars(event).items() if k != "objections"}
    assert mapper.to_domain_event(mapper.to_stored_event(old)) == old


# ------------------------------------------------------------------ snapshots

def test_snapshots_round_trip_to_equal_households(
    households: list[Household], mapper: MsgspecMapper
) -> None:
    for household in households:
        original = household
        snapshot_class = getattr(type(original), "Snapshot")  # noqa: B009 (as the application does)
        snapshot = snapshot_class.take(original)
        assert isinstance(snapshot, Snapshot)
        stored = mapper.to_stored_event(snapshot)
        decoded = mapper.to_domain_event(stored)
        assert type(decoded) is type(snapshot)
        assert decoded == snapshot
        restored = decoded.mutate(None)
        assert type(restored) is Household
        assert restored == original
        assert list(type_differences(_state_of(original), _state_of(restored), "household")) == []


def test_a_snapshot_taken_before_objections_had_outcomes_loads_them_without_one(
    households: list[Household], mapper: MsgspecMapper
) -> None:
    """A household snapshot of version 1 holds each case's objections as texts: it loads as the
    household its old events replay to (objections with no outcome), not as a stale one."""
    household = next(h for h in households if any(case.objections for case in h.cases)
                     and not any(case.elimination and case.elimination.village_notice
                                 for case in h.cases))  # (those replay: see below)
    stored = mapper.to_stored_event(Household.Snapshot.take(household))
    envelope = msgspec.msgpack.decode(stored.state)
    assert envelope["state"].pop("class_version") == 5
    for case in envelope["state"]["cases"]:
        case["objections"] = [objection["content"] for objection in case["objections"]]
    old = dataclasses.replace(stored, state=msgspec.msgpack.encode(envelope))
    restored = mapper.to_domain_event(old).mutate(None)
    expected = [tuple(Objection(o.content, None, "") for o in case.objections)
                for case in household.cases]
    assert [case.objections for case in restored.cases] == expected
    for case in restored.cases:
        case.objections = household.cases[case.number - 1].objections
    assert restored == household


def test_a_snapshot_taken_before_households_had_staff_loads_with_nobody_assigned(
    events: list[Household.Event], mapper: MsgspecMapper
) -> None:
    """A household snapshot of version 2 has no 网格员 or 帮扶责任人 lists: nobody was assigned
    then, so it loads with none (not as a snapshot the mapper cannot read). (A demo household
    as registered: the demo names its 网格员 next.)"""
    household = next(e for e in events if isinstance(e, Household.Registered)).mutate(None)
    assert household.grid_workers == [] and household.helpers == []
    stored = mapper.to_stored_event(Household.Snapshot.take(household))
    envelope = msgspec.msgpack.decode(stored.state)
    envelope["state"]["class_version"] = 2
    del envelope["state"]["grid_workers"], envelope["state"]["helpers"]
    old = dataclasses.replace(stored, state=msgspec.msgpack.encode(envelope))
    assert mapper.to_domain_event(old).mutate(None) == household


def test_a_snapshot_taken_before_evidence_loads_with_none_attached(
    households: list[Household], mapper: MsgspecMapper
) -> None:
    """A household snapshot of version 3 has no evidence list: none could be attached then."""
    household = households[0]
    assert household.evidence == []
    stored = mapper.to_stored_event(Household.Snapshot.take(household))
    envelope = msgspec.msgpack.decode(stored.state)
    envelope["state"]["class_version"] = 3
    del envelope["state"]["evidence"]
    old = dataclasses.replace(stored, state=msgspec.msgpack.encode(envelope))
    assert mapper.to_domain_event(old).mutate(None) == household


# ------------------------------------------------------------------ AggregateCodec

def test_codec_gives_an_equal_household_sharing_no_mutable_object(households: list[Household]) -> None:
    codec = AggregateCodec()
    for household in households:
        original = household
        copy = codec.decode(Household, codec.encode(original))
        assert type(copy) is Household
        assert copy == original
        assert list(type_differences(_state_of(original), _state_of(copy), "household")) == []
        shared = _mutable_ids(original) & _mutable_ids(copy)
        assert not shared, f"{household.code}: shares {len(shared)} mutable objects"


def test_mutating_a_codec_copy_leaves_the_original_alone(households: list[Household]) -> None:
    codec = AggregateCodec()
    original = next(h for h in households if h.cases and len(h.members) > 1)
    before = codec.encode(original)
    copy = codec.decode(Household, before)
    first_id = next(iter(copy.members))
    copy.members[first_id].name = "改过的名字"
    del copy.members[next(reversed(copy.members))]
    copy.members["X"] = copy.members[first_id]
    copy.cases[0].alert_ids.append("NEW")
    copy.command_ids.clear()
    assert codec.encode(original) == before
    assert original.members[first_id].name != "改过的名字"
    assert "X" not in original.members
    assert "NEW" not in original.cases[0].alert_ids
    assert original.command_ids


def _state_of(household: Household) -> dict[str, Any]:
    return {k: v for k, v in vars(household).items() if k != "_pending_events"}


def _mutable_ids(value: Any, seen: set[int] | None = None) -> set[int]:
    """Ids of every mutable container or record reachable from ``value``."""
    seen = set() if seen is None else seen
    if isinstance(value, str | bytes | int | float | Decimal | date | UUID | Enum | type(None)):
        return seen
    if isinstance(value, dict | list | set) or (
        dataclasses.is_dataclass(value) and not value.__dataclass_params__.frozen  # type: ignore[union-attr]
    ) or isinstance(value, Household):
        if id(value) in seen:
            return seen
        seen.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            _mutable_ids(key, seen)
            _mutable_ids(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _mutable_ids(item, seen)
    elif hasattr(value, "__dict__"):
        for item in vars(value).values():
            _mutable_ids(item, seen)
    return seen


class Versioned(Aggregate):
    """A test aggregate whose state gained a field in version 2."""

    TOPIC = "tests.test_mapper:Versioned"
    class_version = 2
    label: str
    count: int

    class Event(Aggregate.Event):
        TOPIC = "tests.test_mapper:Versioned.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "tests.test_mapper:Versioned.Started"

        def apply(self, aggregate: Any) -> None:
            aggregate.label = "new"
            aggregate.count = 1

    class Snapshot(Aggregate.Snapshot):
        TOPIC = "tests.test_mapper:Versioned.Snapshot"

    def __init__(self) -> None:
        pass

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["label"] = "v1-default"


def test_a_snapshot_of_the_current_class_version_is_not_upcast_again():
    mapper = MsgspecMapper(transcoder=JSONTranscoder())
    aggregate = Versioned._create(Versioned.Started, id=uuid4())
    aggregate.collect_events()
    stored = mapper.to_stored_event(Versioned.Snapshot.take(aggregate))
    restored = mapper.to_domain_event(stored).mutate(None)
    assert (restored.label, restored.count) == ("new", 1)


def test_a_snapshot_from_before_a_class_version_bump_is_upcast_once():
    mapper = MsgspecMapper(transcoder=JSONTranscoder())
    aggregate = Versioned._create(Versioned.Started, id=uuid4())
    aggregate.collect_events()
    snapshot = Versioned.Snapshot.take(aggregate)
    old_state = {k: v for k, v in snapshot.state.items() if k not in ("label", "class_version")}
    old = Versioned.Snapshot(originator_id=snapshot.originator_id, originator_version=1,
                             timestamp=snapshot.timestamp, topic=snapshot.topic, state=old_state)
    restored = mapper.to_domain_event(mapper.to_stored_event(old)).mutate(None)
    assert (restored.label, restored.count) == ("v1-default", 1)
