"""Recently used aggregates kept in memory as their encoded bytes, for commands and readers.

The cache holds each aggregate as the msgspec bytes of its whole state (`AggregateCodec`), not
as a live object: a household costs about a third of its live size, and the cache is bounded by
the bytes it holds (`Settings.aggregate_cache_mb`), so a server's memory stops growing once the
cache is full, however many households the county has. The least recently used go first.

A command takes the aggregate *out* of the cache under that aggregate's lock (one of a few
striped locks), decodes its own live aggregate from the bytes, works on it, and puts its
encoding back only after its events are saved; on a refusal with nothing triggered it goes back
unchanged, and on any failure after a change it is dropped (the next command reloads it from
the log). Readers decode a private copy of the bytes, taken under the same lock, so they never
see a command half-way. Another process may have written since the aggregate was cached: the
save then fails on the version number, which the application reports as a conflict.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.store.mapper import AggregateCodec

_STRIPES = 64
#: Memory an entry holds besides its encoded bytes, counted against the bound: the bytes
#: object's header, the (class, bytes) pair, the id it is keyed by (a `UUID` and its int) and
#: the ordered map's slot and link: 290–320 bytes measured with tracemalloc, as the map's table
#: grows; counted with room to spare, so that the bound is never under-counted.
ENTRY_OVERHEAD = 400
MB = 1024 * 1024


@dataclass(frozen=True)
class CacheFill:
    """How full the cache is: aggregates held, the bytes counted for them, and the bound."""

    entries: int
    bytes: int
    bound: int


class AggregateCache:
    """A least-recently-used map from aggregate id to the aggregate's encoded state, holding at
    most ``max_bytes`` (0: nothing), with striped locks for the commands."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._codec = AggregateCodec()
        self._entries: OrderedDict[UUID, tuple[type, bytes]] = OrderedDict()
        self._bytes = 0
        self._guard = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]

    def lock(self, aggregate_id: UUID) -> threading.Lock:
        """The lock a command holds while it works on this aggregate."""
        return self._stripes[hash(aggregate_id) % _STRIPES]

    def take(self, aggregate_id: UUID) -> Any | None:
        """Remove the aggregate and return it live, the command's own (call while holding its
        lock); None when it is not cached."""
        entry = self._pop(aggregate_id)
        return None if entry is None else self._codec.decode(*entry)

    def put(self, aggregate: Any) -> None:
        """Keep ``aggregate`` (saved, nothing pending) for the next command, as its bytes."""
        if self.max_bytes <= 0 or aggregate.pending_events:
            return
        # msgspec's bytes keep the room its buffer grew to (a quarter more, often): a copy of
        # exactly their length is what the cache keeps and counts.
        data = bytes(memoryview(self._codec.encode(aggregate)))
        self._keep(aggregate.id, type(aggregate), data)

    def copy(self, aggregate_id: UUID) -> Any | None:
        """A private copy of the cached aggregate for a reader, or None."""
        with self.lock(aggregate_id), self._guard:  # not while a command has it out
            entry = self._entries.get(aggregate_id)
            if entry is not None:
                self._entries.move_to_end(aggregate_id)
        return None if entry is None else self._codec.decode(*entry)

    def keep_and_copy(self, aggregate: Any) -> Any:
        """Keep a freshly loaded aggregate (unless the cache already has it) and return it: the
        cache keeps its bytes, so the object itself is the reader's own."""
        if self.max_bytes <= 0:
            return aggregate
        with self.lock(aggregate.id):
            with self._guard:
                cached = aggregate.id in self._entries
            if not cached:
                self.put(aggregate)
        return aggregate

    def fill(self) -> CacheFill:
        """How full the cache is now."""
        with self._guard:
            return CacheFill(len(self._entries), self._bytes, self.max_bytes)

    def _pop(self, aggregate_id: UUID) -> tuple[type, bytes] | None:
        with self._guard:
            entry = self._entries.pop(aggregate_id, None)
            if entry is not None:
                self._bytes -= _cost(entry[1])
            return entry

    def _keep(self, aggregate_id: UUID, cls: type, data: bytes) -> None:
        """Hold ``data`` as the most recently used, dropping the least recently used until it
        fits; an aggregate larger than the whole bound is not kept."""
        cost = _cost(data)
        with self._guard:
            old = self._entries.pop(aggregate_id, None)
            if old is not None:
                self._bytes -= _cost(old[1])
            if cost > self.max_bytes:
                return
            while self._bytes + cost > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= _cost(evicted)
            self._entries[aggregate_id] = (cls, data)
            self._bytes += cost


def _cost(data: bytes) -> int:
    """The bytes an entry is counted for: its encoding and what holds it."""
    return len(data) + ENTRY_OVERHEAD
