"""Stores events as msgspec JSON and reads them back strictly typed.

The library's JSON transcoder returns dates, Decimals, enums and UUIDs as the strings it wrote
unless each type is registered, and it walks every value in Python. This mapper encodes with
msgspec and decodes each topic with a decoder built from the event class's own annotations, so a
stored ``"2025-03-05"`` comes back as a `date`, ``"因病"`` as `RiskType.ILLNESS`, and a value that
does not fit its type fails loudly instead of entering the case file as the wrong type.

It keeps what the default mapper does that we rely on: the optional cipher and compressor, and
``class_version`` upcasting. Snapshots are decoded with the aggregate class's annotations.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, TypedDict
from uuid import UUID

import msgspec
from eventsourcing.domain import CanSnapshotAggregate
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
)
from eventsourcing.utils import get_topic, resolve_topic

#: Event fields the store keeps in columns of their own rather than in the state.
_COLUMN_FIELDS = frozenset({"originator_id", "originator_version"})

#: Attributes every aggregate has besides those its class annotates.
_AGGREGATE_BASE_FIELDS: dict[str, Any] = {"_created_on": datetime, "_modified_on": datetime}


class _SnapshotEnvelope(msgspec.Struct):
    timestamp: datetime
    topic: str
    state: msgspec.Raw


_SNAPSHOT_ENVELOPE = msgspec.msgpack.Decoder(_SnapshotEnvelope)


class _ClassVersion(msgspec.Struct):
    class_version: int = 1


#: The class version a snapshot's state was taken at, the rest of it skipped unread.
_CLASS_VERSION = msgspec.msgpack.Decoder(_ClassVersion)


class _RecordedAt(msgspec.Struct):
    timestamp: datetime


#: An event's recorded time alone, the rest of its state skipped unread.
_RECORDED_AT = msgspec.json.Decoder(_RecordedAt)


@cache
def _snapshot_state_decoder(aggregate_topic: str) -> msgspec.msgpack.Decoder[Any]:
    return msgspec.msgpack.Decoder(_aggregate_state_type(resolve_topic(aggregate_topic)))


@cache
def _plain_defaults(cls: type) -> tuple[tuple[str, Any], ...]:
    """A dataclass's fields that have a plain default (not a factory)."""
    return tuple((f.name, f.default) for f in dataclasses.fields(cls)
                 if f.default is not dataclasses.MISSING)


@cache
def _may_lack_defaults(hint: Any, seen: frozenset[Any] = frozenset()) -> bool:
    """Whether a value of type ``hint`` can hold a dataclass with plainly defaulted fields."""
    if hint in seen:
        return False
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return bool(_plain_defaults(hint)) or any(
            _may_lack_defaults(field_hint, seen | {hint})
            for field_hint in typing.get_type_hints(hint).values())
    return any(_may_lack_defaults(arg, seen | {hint}) for arg in typing.get_args(hint)
               if arg is not Ellipsis)


@cache
def _state_completers(state_type: Any) -> tuple[tuple[str, Callable[[Any], None]], ...]:
    """The keys of a state TypedDict whose values can hold an incomplete dataclass, each with
    how to complete its value."""
    found = ((name, _completer(hint)) for name, hint in typing.get_type_hints(state_type).items())
    return tuple((name, complete) for name, complete in found if complete is not None)


@cache
def _completer(hint: Any) -> Callable[[Any], None] | None:
    """How to give each dataclass instance within a value of type ``hint`` the defaulted fields
    it was decoded without (None: no value of that type can lack one), following the type.

    msgspec leaves a field with a plain default off an instance whose stored form lacks it (the
    class attribute answers reads). Such instances compare equal to complete ones yet encode
    without the field, so a snapshot taken before a field was added would re-encode unlike the
    same state replayed from events. Completed here, an old state reads as a new one.
    """
    if not _may_lack_defaults(hint):
        return None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return functools.partial(_complete_instance, hint)
    origin = typing.get_origin(hint)
    args = [arg for arg in typing.get_args(hint) if arg is not Ellipsis]
    if origin is typing.Union or origin is types.UnionType:
        by_type = {typing.get_origin(arg) or arg: complete for arg in args
                   if (complete := _completer(arg)) is not None}
        return lambda value: (by_type[type(value)](value)  # type: ignore[func-returns-value]
                              if type(value) in by_type else None)
    if isinstance(origin, type) and issubclass(origin, Mapping):
        inner = _completer(args[-1])
        return None if inner is None else lambda value: _each(inner, value.values())
    if isinstance(origin, type) and issubclass(origin, Iterable) and len(set(args)) == 1:
        inner = _completer(args[0])
        return None if inner is None else functools.partial(_each, inner)
    return _complete  # anything else: every value within it, whatever its type


def _each(complete: Callable[[Any], None], values: Iterable[Any]) -> None:
    for value in values:
        complete(value)


def _complete_instance(cls: type, value: Any) -> None:
    """Complete a dataclass instance and the values its fields hold (`_completer`)."""
    attributes = vars(value)
    for name, default in _plain_defaults(cls):
        attributes.setdefault(name, default)  # frozen instances too: their __dict__ is open
    for name, complete in _field_completers(cls):
        field_value = attributes.get(name)
        if field_value is not None:
            complete(field_value)


@cache
def _field_completers(cls: type) -> tuple[tuple[str, Callable[[Any], None]], ...]:
    found = ((name, _completer(hint)) for name, hint in typing.get_type_hints(cls).items()
             if name in _dataclass_fields(cls))
    return tuple((name, complete) for name, complete in found if complete is not None)


def _complete(value: Any) -> None:
    """`_completer`'s walk for a value of a type it does not follow: every dataclass within."""
    if isinstance(value, dict):
        for item in value.values():
            _complete(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _complete(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        attributes = vars(value)
        for name, default in _plain_defaults(type(value)):
            attributes.setdefault(name, default)
        for item in attributes.values():
            _complete(item)


def _complete_state(state: dict[str, Any], state_type: Any) -> dict[str, Any]:
    """``state`` with its dataclass values completed (`_completer`), where its type allows any."""
    for key, complete in _state_completers(state_type):
        value = state.get(key)
        if value is not None:
            complete(value)
    return state


def _encode_hook(value: Any) -> Any:
    """Values msgspec does not encode natively (frozensets of enums are the only ones we use)."""
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise NotImplementedError(f"cannot store a {type(value).__name__}")


@cache
def _state_type(cls: type) -> Any:
    """A TypedDict describing the stored state of an event class (its fields minus columns)."""
    hints = typing.get_type_hints(cls)
    fields = {name: hint for name, hint in hints.items()
              if name not in _COLUMN_FIELDS and not _is_classvar(hint)
              and name in _dataclass_fields(cls)}
    return TypedDict(f"{cls.__qualname__}State", fields)  # type: ignore[operator]


@cache
def _aggregate_state_type(cls: type, with_identity: bool = False) -> Any:
    """A TypedDict describing an aggregate's state, from the aggregate class's annotations.

    Snapshots keep the id and version in columns; the in-memory state cache keeps them inside.
    """
    hints = {name: hint for name, hint in typing.get_type_hints(cls).items()
             if not name.startswith("__") and not _is_classvar(hint)
             and name in _state_annotations(cls)}
    base = {**_AGGREGATE_BASE_FIELDS, **(_IDENTITY_FIELDS if with_identity else {})}
    return TypedDict(f"{cls.__qualname__}State", {**base, **hints})  # type: ignore[operator]


_IDENTITY_FIELDS: dict[str, Any] = {"_id": UUID, "_version": int}


@cache
def state_shape(cls: type) -> str:
    """A digest of the shape of an aggregate's encoded state: its class, class version and
    every field's name and type, down through the value objects it holds (and the members of
    each code table). A state stored under another shape may lack a field or hold a code that
    no longer exists: it is not decoded as if it had this one."""
    seen: set[type] = set()

    def describe(hint: Any) -> str:
        args = typing.get_args(hint)
        if typing.get_origin(hint) is not None:
            return f"{typing.get_origin(hint)!r}[{','.join(map(describe, args))}]"
        if not isinstance(hint, type):
            return repr(hint)
        name = f"{hint.__module__}.{hint.__qualname__}"
        if hint in seen:
            return name
        seen.add(hint)
        if dataclasses.is_dataclass(hint):
            hints = typing.get_type_hints(hint)
            return name + "(" + ",".join(f"{f.name}:{describe(hints[f.name])}"
                                         for f in dataclasses.fields(hint)) + ")"
        if typing.is_typeddict(hint):
            return name + "{" + ",".join(f"{key}:{describe(value)}" for key, value
                                         in typing.get_type_hints(hint).items()) + "}"
        if issubclass(hint, enum.Enum):
            return name + "<" + ",".join(repr(member.value) for member in hint) + ">"
        return name

    described = describe(_aggregate_state_type(cls, with_identity=True))
    text = f"{get_topic(cls)}/{getattr(cls, 'class_version', 1)}/{described}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _state_annotations(cls: type) -> set[str]:
    """The names an aggregate's own classes annotate: the class and its plain bases (a
    household declares its state on `HouseholdState`), not the library's aggregate classes."""
    return {name for klass in cls.__mro__ if not klass.__module__.startswith("eventsourcing")
            for name in vars(klass).get("__annotations__", {})}


class AggregateCodec:
    """Encodes an aggregate's whole state to bytes and back into a fresh, typed object.

    Used to keep recently used aggregates in memory as immutable bytes: every reader gets its
    own object (no shared mutable state between threads), far cheaper than `copy.deepcopy`.
    """

    def __init__(self) -> None:
        self._encoder = msgspec.msgpack.Encoder(enc_hook=_encode_hook)
        self._decoders: dict[type, msgspec.msgpack.Decoder[Any]] = {}

    def encode(self, aggregate: Any) -> bytes:
        state = dict(vars(aggregate))
        del state["_pending_events"]
        return self._encoder.encode(state)

    def decode(self, cls: type, data: bytes) -> Any:
        decoder = self._decoders.get(cls)
        if decoder is None:
            decoder = msgspec.msgpack.Decoder(_aggregate_state_type(cls, with_identity=True))
            self._decoders[cls] = decoder
        state = decoder.decode(data)
        state["_pending_events"] = []
        aggregate = object.__new__(cls)
        object.__setattr__(aggregate, "__dict__", state)
        return aggregate


def _dataclass_fields(cls: type) -> frozenset[str]:
    return frozenset(getattr(cls, "__dataclass_fields__", {}))


def _is_classvar(hint: Any) -> bool:
    return typing.get_origin(hint) is typing.ClassVar


class MsgspecMapper(Mapper[UUID]):
    """A `Mapper` that encodes event state with msgspec and decodes it into typed values."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._encoder = msgspec.json.Encoder(enc_hook=_encode_hook)
        self._snapshot_encoder = msgspec.msgpack.Encoder(enc_hook=_encode_hook)
        self._decoders: dict[str, tuple[type, msgspec.json.Decoder[Any], bool]] = {}

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        if isinstance(domain_event, CanSnapshotAggregate):
            # Snapshots are a disposable cache of state: the compact, faster binary form.
            data = self._snapshot_encoder.encode(state)
        else:
            data = self._encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls, decoder, upcasts = self._decoder(stored_event.topic)
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            if issubclass(cls, CanSnapshotAggregate):
                state = self._decode_snapshot(data)
            elif upcasts:
                state = _complete_state(self._decode_upcasting(cls, data), _state_type(cls))
            else:
                state = _complete_state(decoder.decode(data), _state_type(cls))
        except Exception as error:
            msg = (
                f"Failed to deserialise state of stored event with topic "
                f"'{stored_event.topic}', originator_id '{stored_event.originator_id}' "
                f"and originator_version {stored_event.originator_version}: {error}"
            )
            raise MapperDeserialisationError(msg) from error
        originator_id = stored_event.originator_id
        state["originator_id"] = originator_id if isinstance(originator_id, UUID) else UUID(
            str(originator_id)
        )
        state["originator_version"] = stored_event.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    def recorded_at(self, state: bytes) -> datetime:
        """When a stored event was recorded (its ``timestamp``), from its stored state alone,
        without decoding the rest of it (the log is read backwards by time this way)."""
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        return _RECORDED_AT.decode(state).timestamp

    def _decoder(self, topic: str) -> tuple[type, msgspec.json.Decoder[Any], bool]:
        try:
            return self._decoders[topic]
        except KeyError:
            cls = resolve_topic(topic)
            upcasts = getattr(cls, "class_version", 1) > 1
            state_type = dict if issubclass(cls, CanSnapshotAggregate) else _state_type(cls)
            entry = (cls, msgspec.json.Decoder(state_type), upcasts)
            self._decoders[topic] = entry
            return entry

    @staticmethod
    def _decode_snapshot(data: bytes) -> dict[str, Any]:
        envelope = _SNAPSHOT_ENVELOPE.decode(data)
        aggregate_cls = resolve_topic(envelope.topic)
        class_version = getattr(aggregate_cls, "class_version", 1)
        if class_version == 1:
            state = _snapshot_state_decoder(envelope.topic).decode(envelope.state)
        elif _CLASS_VERSION.decode(envelope.state).class_version == class_version:
            # taken at the class's version: typed straight from the bytes, nothing to upcast
            state = _snapshot_state_decoder(envelope.topic).decode(envelope.state)
            state["class_version"] = class_version
        else:
            # Upcast the stored state as plain data first, then type it as the class is now;
            # the version is kept so that the snapshot does not upcast it a second time.
            raw: dict[str, Any] = msgspec.msgpack.decode(envelope.state)
            from_version = raw.pop("class_version", 1)
            while from_version < class_version:
                getattr(aggregate_cls, f"upcast_v{from_version}_v{from_version + 1}")(raw)
                from_version += 1
            state = msgspec.convert(raw, _aggregate_state_type(aggregate_cls), strict=False)
            state["class_version"] = class_version
        _complete_state(state, _aggregate_state_type(aggregate_cls))
        return {"timestamp": envelope.timestamp, "topic": envelope.topic, "state": state}

    @staticmethod
    def _decode_upcasting(cls: type, data: bytes) -> dict[str, Any]:
        raw: dict[str, Any] = msgspec.json.decode(data)
        from_version = raw.pop("class_version", 1)
        while from_version < cls.class_version:  # type: ignore[attr-defined]
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(raw)
            from_version += 1
        return msgspec.convert(raw, _state_type(cls), strict=False)
