"""Recently used aggregates kept live in memory, for commands.

The library's aggregate cache hands every reader a `copy.deepcopy`, which costs more than
replaying a household's 50 events. Here a command takes the live aggregate *out* of the cache
under that aggregate's lock, works on it, and puts it back only after its events are saved; on a
refusal with nothing triggered it goes back unchanged, and on any failure after a change it is
dropped (the next command reloads it from the log). Readers never get the live object: they
get a copy made under the same lock. Another process may have written since the aggregate was
cached: the save then fails on the version number, which the application reports as a conflict.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from application.store.mapper import AggregateCodec

_STRIPES = 64


class AggregateCache:
    """A least-recently-used map from aggregate id to the live aggregate, with striped locks."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._codec = AggregateCodec()
        self._entries: OrderedDict[UUID, Any] = OrderedDict()
        self._guard = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(_STRIPES)]

    def lock(self, aggregate_id: UUID) -> threading.Lock:
        """The lock a command holds while it works on this aggregate."""
        return self._stripes[hash(aggregate_id) % _STRIPES]

    def take(self, aggregate_id: UUID) -> Any | None:
        """Remove and return the live aggregate (call while holding its lock)."""
        with self._guard:
            return self._entries.pop(aggregate_id, None)

    def put(self, aggregate: Any) -> None:
        """Keep ``aggregate`` (saved, nothing pending) for the next command."""
        if self.maxsize <= 0 or aggregate.pending_events:
            return
        with self._guard:
            self._entries[aggregate.id] = aggregate
            self._entries.move_to_end(aggregate.id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def copy(self, aggregate_id: UUID) -> Any | None:
        """A private copy of the cached aggregate for a reader, or None."""
        with self.lock(aggregate_id):
            with self._guard:
                aggregate = self._entries.get(aggregate_id)
            if aggregate is None:
                return None
            data = self._codec.encode(aggregate)
        return self._codec.decode(type(aggregate), data)

    def keep_and_copy(self, aggregate: Any) -> Any:
        """Keep a freshly loaded aggregate (unless a command already holds a live one) and
        return a private copy of it for the reader."""
        if self.maxsize <= 0:
            return aggregate
        with self.lock(aggregate.id):
            with self._guard:
                if aggregate.id in self._entries:
                    return self._codec.decode(type(aggregate), self._codec.encode(aggregate))
            data = self._codec.encode(aggregate)
            self.put(aggregate)
        return self._codec.decode(type(aggregate), data)
