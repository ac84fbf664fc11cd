"""Snapshots: taken from the aggregates a save has just written, written in batches, and checked.

The library reloads an aggregate from the store to snapshot it, in a transaction of its own after
every interval-th command. The aggregate just saved is that state already, so it is used as it
is; and since a snapshot is only a shortcut for loading (a missing one costs a longer replay,
never a wrong state), snapshots are written in batches. Snapshots are a cache outside the hash
chain: one changed behind the application would change what a case file shows, so auditors check
them against the events (`stale_snapshots`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import ProcessingEvent
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    MapperDeserialisationError,
    StoredEvent,
)

from application.store.mapper import AggregateCodec
from domain.replay import SnapshotOutdated

#: Snapshots are written this many at a time (they are a cache: losing some costs only time).
SNAPSHOT_BATCH = 32


class SnapshotBatches:
    """Snapshots of saved aggregates of the ``kinds`` given, waiting to be written together."""

    def __init__(self, interval: int, kinds: tuple[type, ...], size: int = SNAPSHOT_BATCH) -> None:
        self.interval = interval
        self.kinds = kinds
        self.size = size
        self._pending: list[StoredEvent] = []
        self._lock = threading.Lock()

    def take(self, store: EventStore[UUID] | None, processing: ProcessingEvent[UUID]) -> None:
        """Snapshot each saved aggregate whose events crossed a multiple of the interval; write
        the batch once it is full."""
        if not self.interval or store is None:
            return
        crossed = {
            event.originator_id for event in processing.events
            if event.originator_version % self.interval == 0
        }
        # Encoded now: a snapshot object shares the aggregate's dicts and lists, and the live
        # aggregate goes on changing with the next commands before the batch is written.
        encoded = [
            store.mapper.to_stored_event(type(aggregate).Snapshot.take(aggregate))
            for aggregate_id, aggregate in processing.aggregates.items()
            if aggregate_id in crossed and isinstance(aggregate, self.kinds)
        ]
        if not encoded:
            return
        with self._lock:
            self._pending.extend(encoded)
            if len(self._pending) < self.size:
                return
            batch, self._pending = self._pending, []
        _write(store, batch)

    def flush(self, store: EventStore[UUID] | None) -> None:
        """Write the snapshots taken since the last batch."""
        with self._lock:
            batch, self._pending = self._pending, []
        if batch and store is not None:
            _write(store, batch)


def _write(store: EventStore[UUID], batch: list[StoredEvent]) -> None:
    try:
        store.recorder.insert_events(batch)
    except IntegrityError:  # one of them exists already (taken by hand): write the others
        for snapshot in batch:
            with contextlib.suppress(IntegrityError):
                store.recorder.insert_events([snapshot])


def outdated(error: BaseException) -> bool:
    """Whether a snapshot failed to load as outdated (`SnapshotOutdated`): never used, its
    aggregate is replayed from the events instead."""
    return isinstance(error, MapperDeserialisationError) and isinstance(
        error.__cause__, SnapshotOutdated)


def stale_snapshots(
    snapshots: EventStore[UUID] | None, backend: str, replayed: Callable[[UUID, int], Any],
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[UUID, int]]:
    """(aggregate, version) of every snapshot that differs from ``replayed(aggregate, version)``,
    the aggregate rebuilt from its events up to that version."""
    if snapshots is None:
        return
    recorder: Any = snapshots.recorder
    table = recorder.events_table_name
    if backend == "postgres":
        table = f'"{recorder.datastore.schema}".{table}'
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {table}")
        found = cursor.fetchone()
    total = found["n"] if isinstance(found, dict) else found[0]
    codec = AggregateCodec()
    for done, (raw_id, version) in enumerate(_snapshot_keys(recorder, table, backend), 1):
        aggregate_id = raw_id if isinstance(raw_id, UUID) else UUID(raw_id)
        try:
            (stored,) = recorder.select_events(aggregate_id, gt=version - 1, lte=version)
            from_snapshot = snapshots.mapper.to_domain_event(stored).mutate(None)
            from_events = replayed(aggregate_id, version)
            same = (from_events is not None and msgspec.msgpack.decode(codec.encode(from_snapshot))
                    == msgspec.msgpack.decode(codec.encode(from_events)))
        except Exception as error:  # one that does not decode is stale, unless never used
            same = outdated(error)
        if not same:
            yield aggregate_id, version
        if progress and (done % 1000 == 0 or done == total):
            progress(done, total)


def _snapshot_keys(recorder: Any, table: str, backend: str) -> Iterator[tuple[Any, int]]:
    """(aggregate, version) of every snapshot, in key order, a page at a time."""
    p = "%s" if backend == "postgres" else "?"
    after: tuple[Any, int] = (UUID(int=0) if backend == "postgres" else "", 0)
    while True:
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT originator_id, originator_version FROM {table} "
                f"WHERE (originator_id, originator_version) > ({p}, {p}) "
                "ORDER BY originator_id, originator_version LIMIT 2000", after)
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r)
                    for r in cursor.fetchall()]
        if not rows:
            return
        yield from rows
        after = rows[-1]
