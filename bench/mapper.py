"""Our `MsgspecMapper` against the library's default `Mapper` with a `JSONTranscoder`.

The event mix is every pending event of the first 300 households of the demo county (seed 2025):
registrations, monthly visits, income assessments, alerts, the identification and elimination
steps, measures, payouts, corrections, members joining and leaving. No database is involved: each
run maps the whole batch in memory, ours and the library's in alternating runs (`paired`).

For the library's mapper to store these events at all it needs a transcoding for every non-JSON
type they carry: it ships `UUIDAsHex`, `DecimalAsStr` and `DatetimeAsISO`; this module adds `date`
(ISO) and the frozen value objects `Actor` and `MemberDetails` (as dicts of their fields). Even so
its decode is lossy in ways no transcoding can fix, because Python's ``json`` module writes any
``str`` subclass and any tuple natively, without asking the transcoder:

- `StrEnum` values (roles, risk types, decisions, …) come back as plain ``str``; they still
  compare equal to the enum members, so ``==`` does not notice, but ``value is RiskType.ILLNESS``
  and ``isinstance(value, RiskType)`` fail, and an unknown code is accepted silently;
- tuples (``risk_types``, ``members``, ``problems``, …) come back as lists, which makes the
  events unequal.

Our mapper decodes each topic with the event class's annotations, so it gives back the exact types.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
)

import bench.common as common
from application.demo import generate_county
from application.store.mapper import MsgspecMapper
from bench.common import Result, paired
from domain.values import Actor, MemberDetails

HOUSEHOLDS = 300
SEED = 2025
#: Whole-batch mappings per timed run (so a run of our mapper lasts tens of milliseconds).
BATCHES = 10
BACKEND = "in memory"

#: What the last `run` found about the decoded events, for the report.
NOTES: list[str] = []


# ------------------------------------------------------------------ the library's side

class DateAsISO(Transcoding):
    """`date` as ``YYYY-MM-DD`` (the library has one for `datetime` only, matched by exact type)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class _FrozenDataclassAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields (their values are transcoded in turn)."""

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class ActorAsDict(_FrozenDataclassAsDict):
    type = Actor
    name = "actor"


class MemberDetailsAsDict(_FrozenDataclassAsDict):
    type = MemberDetails
    name = "member_details"


def library_mapper() -> Mapper[Any]:
    """The library's default mapper, with the transcodings our events need."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), ActorAsDict(),
                        MemberDetailsAsDict()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


# ------------------------------------------------------------------ checking what comes back

def type_differences(original: Any, decoded: Any, path: str = "") -> Iterator[str]:
    """Where ``decoded`` holds a value of another type than ``original`` (recursively)."""
    if type(original) is not type(decoded):
        yield f"{path or 'event'}: {type(original).__name__} → {type(decoded).__name__}"
        return
    if dataclasses.is_dataclass(original):
        for name in vars(original):
            yield from type_differences(getattr(original, name), getattr(decoded, name),
                                        f"{path}.{name}" if path else name)
    elif isinstance(original, tuple | list):
        for index, (a, b) in enumerate(zip(original, decoded, strict=False)):
            yield from type_differences(a, b, f"{path}[{index}]")
    elif isinstance(original, dict):
        decoded_keys = {key: key for key in decoded}  # equal keys, possibly of another type
        for key, value in original.items():
            if key in decoded_keys:
                yield from type_differences(key, decoded_keys[key], f"{path} (keys)")
                yield from type_differences(value, decoded[key], f"{path}[{key!r}]")


def _type_report(events: list[Any], decoded: list[Any]) -> tuple[int, int, Counter[str]]:
    """(events unequal, events with a wrong-typed value, events per kind of wrong type found)."""
    unequal = sum(1 for a, b in zip(events, decoded, strict=True) if a != b)
    wrong = 0
    kinds: Counter[str] = Counter()
    for a, b in zip(events, decoded, strict=True):
        found = {_generalise(d) for d in type_differences(a, b)}
        if found:
            wrong += 1
            kinds.update(found)
    return unequal, wrong, kinds


def _generalise(difference: str) -> str:
    """``members[1].relation: …`` and ``members[0].relation: …`` are the same finding."""
    head, _, tail = difference.partition(": ")
    parts = []
    depth = 0
    for char in head:
        if char == "[":
            depth += 1
            parts.append("[]")
        elif char == "]":
            depth -= 1
        elif depth == 0:
            parts.append(char)
    return f"{''.join(parts)}: {tail}"


# ------------------------------------------------------------------ the measurement

def sample_events(households: int = HOUSEHOLDS, seed: int = SEED) -> list[Any]:
    return [event for household in generate_county(households, seed=seed)
            for event in household.collect_events()]


def run(repeats: int | None = None) -> list[Result]:
    repeats = repeats or common.REPEATS
    events = sample_events()
    count = len(events)
    ours, library = MsgspecMapper(transcoder=None), library_mapper()  # type: ignore[arg-type]

    ours_stored = [ours.to_stored_event(e) for e in events]
    library_stored = [library.to_stored_event(e) for e in events]
    ours_decoded = [ours.to_domain_event(s) for s in ours_stored]
    library_decoded = [library.to_domain_event(s) for s in library_stored]

    # Ours must give back the very events, with the very types.
    assert ours_decoded == events, "MsgspecMapper changed an event on the round trip"
    ours_unequal, ours_wrong, ours_kinds = _type_report(events, ours_decoded)
    assert ours_wrong == 0, f"MsgspecMapper returned wrong types: {ours_kinds.most_common(5)}"
    lib_unequal, lib_wrong, lib_kinds = _type_report(events, library_decoded)

    kinds = Counter(type(e).__name__ for e in events)
    NOTES.clear()
    NOTES.append(f"Sample: {count:,} events of {len(kinds)} kinds from {HOUSEHOLDS} demo households "
                 f"(seed {SEED}); most common: "
                 + ", ".join(f"{name} {n}" for name, n in kinds.most_common(4)) + ".")
    NOTES.append(f"Stored state size per event: ours {_mean_size(ours_stored):,.0f} bytes, "
                 f"library JSON {_mean_size(library_stored):,.0f} bytes.")
    NOTES.append(f"MsgspecMapper round trip: {count - ours_unequal:,}/{count:,} events equal to the "
                 "originals, none with a value of the wrong type.")
    NOTES.append(f"Library Mapper round trip: {count - lib_unequal:,}/{count:,} events equal to the "
                 f"originals (tuples come back as lists; enums compare equal to their str); "
                 f"{lib_wrong:,}/{count:,} hold a value of the wrong type ({len(lib_kinds)} distinct "
                 "fields), e.g. "
                 + "; ".join(f"`{kind}` in {n:,}" for kind, n in lib_kinds.most_common(8)) + ".")

    def batch(operation: Callable[[Any], Any], items: list[Any]) -> Callable[[], None]:
        def run_batch() -> None:
            for item in items:
                operation(item)
        return run_batch

    def round_trip(mapper: Mapper[Any]) -> Callable[[Any], Any]:
        def operation(event: Any) -> Any:
            return mapper.to_domain_event(mapper.to_stored_event(event))
        return operation

    measures: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
        ("encode", batch(ours.to_stored_event, events), batch(library.to_stored_event, events)),
        ("decode", batch(ours.to_domain_event, ours_stored),
         batch(library.to_domain_event, library_stored)),
        ("round trip", batch(round_trip(ours), events), batch(round_trip(library), events)),
    ]
    results = []
    for label, ours_op, library_op in measures:
        ours_op()  # warm up
        library_op()
        ours_rate, library_rate, ratio = paired(ours_op, library_op, BATCHES, repeats)
        results.append(Result(f"{label} events (msgspec vs library JSON)", BACKEND,
                              ours_rate * count, library_rate * count, unit=" ev/s",
                              target=1.0, paired_ratio=ratio))
    return results


def _mean_size(stored: list[StoredEvent]) -> float:
    return sum(len(s.state) for s in stored) / len(stored)


if __name__ == "__main__":
    for result in run():
        print(result.row())
    print("\n".join(NOTES))
