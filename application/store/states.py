"""Each household's current state, kept in one row beside the event log and written with its events.

Loading a case file from its events reads every one of them and applies each; from a snapshot,
the snapshot and the events after it. Here every save of a household also writes its state as
it now stands, in the same transaction as the events (``fangpin_states``: one row per aggregate,
its version, the shape of the state and the state as msgspec msgpack, encrypted when the log
is). A load reads that row and the events after its version in one
statement: normally none, so one row is read and decoded instead of fifty.

The row is a cache outside the hash chain, never ahead of the log it follows:

- it commits with the events or not at all, so two processes saving the same household still
  conflict on the event version and the loser writes nothing; an update never moves a row back
  to an earlier version;
- a load uses it only if the event of its version is in the log and its shape is the class's
  shape now (`state_shape`: the state's fields and types, all the way down, and the class
  version); otherwise the load reads the latest snapshot and the events after it, as before;
- events written without a state (the library's ``events.put``, ``log import``, a process
  running older code) leave the row behind them: the load replays the events after it;
- `stale_states` compares every row with its aggregate replayed from the events, for the audit:
  one changed behind the application is found and named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from application.store.beside import BesideTable, beside_log
from application.store.mapper import AggregateCodec, state_shape

TABLE = "fangpin_states"


class StateRow(NamedTuple):
    """One aggregate's state as stored."""

    originator_id: UUID
    originator_version: int
    shape: str
    state: bytes


@dataclass(frozen=True)
class Current:
    """What a load reads: the state row (if usable), else the latest snapshot, and the events
    after whichever it found (all of them when neither)."""

    state: StateRow | None
    snapshot: Any  # StoredEvent | None
    events: list[Any]  # StoredEvent


class StateCodec:
    """Aggregates of the given kinds to stored state bytes and back (cipher: the log's)."""

    def __init__(self, kinds: Sequence[type], cipher: Any = None) -> None:
        self.kinds = tuple(kinds)
        self.cipher = cipher
        self.codec = AggregateCodec()
        self.classes = {state_shape(kind): kind for kind in self.kinds}
        self.shapes = tuple(self.classes)

    def rows(self, aggregates: Any) -> list[StateRow]:
        """The state rows of the saved aggregates of our kinds."""
        return [StateRow(aggregate.id, aggregate.version, state_shape(type(aggregate)),
                         self.encode(aggregate))
                for aggregate in aggregates if isinstance(aggregate, self.kinds)]

    def encode(self, aggregate: Any) -> bytes:
        """Not compressed: measured here, zlib cost a load more (13 us of ~100 for a 55-event
        household) than its smaller rows saved a command (PostgreSQL compresses a long row in
        its page itself)."""
        data = self.codec.encode(aggregate)
        return self.cipher.encrypt(data) if self.cipher else data

    def decode(self, row: StateRow) -> Any:
        """The aggregate a row holds (its shape must be one of ours); `ValueError` if it is
        another aggregate or another version than the row says."""
        data = self.cipher.decrypt(row.state) if self.cipher else row.state
        aggregate = self.codec.decode(self.classes[row.shape], data)
        if aggregate.id != row.originator_id or aggregate.version != row.originator_version:
            raise ValueError(f"the state row of {row.originator_id} at version "
                             f"{row.originator_version} holds {aggregate.id} at {aggregate.version}")
        return aggregate


class StatesSQL(BesideTable):
    """The states table's statements for one back end, and the load that reads it."""

    name = TABLE

    def __init__(self, datastore: Any, backend: str, events_table: str) -> None:
        super().__init__(datastore, backend, events_table)
        self._loads: dict[int | str | None, str] = {}

    def create_statements(self) -> list[str]:
        uuid, integer, blob = (("UUID", "BIGINT", "BYTEA") if self.postgres
                               else ("TEXT", "INTEGER", "BLOB"))
        # PostgreSQL: a state stays in its row (no TOAST) and its page keeps room for the next
        # version of it (an update in place, the key's index untouched).
        options = " WITH (toast_tuple_target = 8160, fillfactor = 50)" if self.postgres else ""
        return [f"CREATE TABLE IF NOT EXISTS {self.table} (originator_id {uuid} PRIMARY KEY, "
                f"originator_version {integer} NOT NULL, shape TEXT NOT NULL, "
                f"state {blob} NOT NULL){options}"]

    def upsert(self) -> str:
        """One row written (SQLite: ``executemany`` after the events, in their transaction)."""
        p = self.p
        return (f"INSERT INTO {self.table} AS held (originator_id, originator_version, shape, "
                f"state) VALUES ({p}, {p}, {p}, {p}) " + _ON_CONFLICT)

    def statement_part(self, many: bool) -> str:
        """A common table expression writing a save's states (PostgreSQL), to go in the
        statement that inserts its events: one row as plain parameters, or several as arrays."""
        # (the states sent in binary: as text, each byte would travel as two hex digits)
        rows = ("SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %b::bytea[])" if many
                else "SELECT %s::uuid, %s::bigint, %s::text, %b::bytea")
        return (f"stated AS (INSERT INTO {self.table} AS held "
                f"(originator_id, originator_version, shape, state) {rows} {_ON_CONFLICT}) ")

    def params(self, row: StateRow) -> tuple[Any, ...]:
        return (row.originator_id if self.postgres else row.originator_id.hex,
                row.originator_version, row.shape, row.state)

    @staticmethod
    def array_params(rows: Sequence[StateRow]) -> tuple[list[Any], ...]:
        return ([r.originator_id for r in rows], [r.originator_version for r in rows],
                [r.shape for r in rows], [r.state for r in rows])

    def load(self, shapes: int) -> str:
        """The statement reading an aggregate's state row (of one of ``shapes`` shapes, the
        event of its version in the log) and the events after it: rows of (kind: 0 the state,
        2 an event; version; shape or topic; state). No row of kind 0: no usable state."""
        statement = self._loads.get(shapes)
        if statement is None:
            me, marks = self._marks(shapes)
            usable = f"s.originator_id = {me} AND s.shape IN ({marks})"
            statement = self._loads[shapes] = (
                "SELECT 0 AS kind, s.originator_version, s.shape AS topic, s.state "
                f"FROM {self.table} AS s WHERE {usable} AND EXISTS (SELECT 1 FROM {self.events} "
                f"AS h WHERE h.originator_id = {me} AND h.originator_version = s.originator_version) "
                "UNION ALL SELECT 2, e.originator_version, e.topic, e.state "
                f"FROM {self.table} AS s JOIN {self.events} AS e ON e.originator_id = {me} "
                f"AND e.originator_version > s.originator_version WHERE {usable}")
        return statement

    def load_from_snapshot(self, snapshots: str | None) -> str:
        """The statement reading an aggregate's latest snapshot (from table ``snapshots``) and
        the events after it, or all its events: rows as `load`'s (kind 1: the snapshot)."""
        statement = self._loads.get(snapshots)
        if statement is None:
            me, _ = self._marks(0)
            after, statement = "0", ""
            if snapshots is not None:
                snapshots = beside_log(self.datastore, self.backend, snapshots)
                statement = (
                    f"WITH last AS (SELECT MAX(originator_version) AS v FROM {snapshots} "
                    f"WHERE originator_id = {me}) SELECT 1 AS kind, originator_version, topic, "
                    f"state FROM {snapshots} WHERE originator_id = {me} "
                    "AND originator_version = (SELECT v FROM last) UNION ALL ")
                after = "COALESCE((SELECT v FROM last), 0)"
            statement = self._loads[snapshots] = statement + (
                f"SELECT 2 AS kind, originator_version, topic, state FROM {self.events} "
                f"WHERE originator_id = {me} AND originator_version > {after}")  # (`current` sorts)
        return statement

    def _marks(self, shapes: int) -> tuple[str, str]:
        """The parameter marks of the aggregate id and of ``shapes`` shapes."""
        if self.postgres:
            return "%(id)s", ", ".join(f"%(s{n})s" for n in range(shapes)) or "NULL"
        return ":id", ", ".join(f":s{n}" for n in range(shapes)) or "NULL"

    def load_params(self, originator_id: UUID, shapes: Sequence[str]) -> dict[str, Any]:
        return {"id": originator_id if self.postgres else originator_id.hex,
                **{f"s{n}": shape for n, shape in enumerate(shapes)}}

    @staticmethod
    def current(originator_id: UUID, rows: Sequence[Any]) -> Current:
        """What the rows of `load` or `load_from_snapshot` say (each a mapping or a sequence
        of its four columns)."""
        state, snapshot, events = None, None, []
        for row in rows:
            kind, version, topic, data = (row["kind"], row["originator_version"], row["topic"],
                                          row["state"]) if isinstance(row, dict) else row
            if kind == 0:
                state = StateRow(originator_id, version, topic, bytes(data))
            elif kind == 1:
                snapshot = StoredEvent(originator_id, version, topic, bytes(data))
            else:
                events.append(StoredEvent(originator_id, version, topic, bytes(data)))
        events.sort(key=lambda event: event.originator_version)
        return Current(state, snapshot, events)

    def keys(self) -> Iterator[tuple[UUID, str]]:
        """(aggregate, shape) of every state row, in key order, a page at a time."""
        p = self.p
        after: Any = UUID(int=0) if self.postgres else ""
        while True:
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(f"SELECT originator_id, shape FROM {self.table} "
                               f"WHERE originator_id > {p} ORDER BY originator_id LIMIT 2000",
                               (after,))
                rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r)
                        for r in cursor.fetchall()]
            if not rows:
                return
            for raw_id, shape in rows:
                yield (raw_id if isinstance(raw_id, UUID) else UUID(raw_id)), shape
            after = rows[-1][0]

    def row(self, originator_id: UUID) -> StateRow | None:
        p = self.p
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT originator_version, shape, state FROM {self.table} "
                           f"WHERE originator_id = {p}",
                           (originator_id if self.postgres else originator_id.hex,))
            found = cursor.fetchone()
        if found is None:
            return None
        version, shape, state = tuple(found.values()) if isinstance(found, dict) else found
        return StateRow(originator_id, version, shape, bytes(state))

    def count(self) -> int:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT COUNT(*) AS n FROM {self.table}")
            found = cursor.fetchone()
        return int(found["n"] if isinstance(found, dict) else found[0])


#: A state is replaced only by a later version of it (never moved back).
_ON_CONFLICT = ("ON CONFLICT (originator_id) DO UPDATE SET "
                "originator_version = excluded.originator_version, shape = excluded.shape, "
                "state = excluded.state WHERE held.originator_version < excluded.originator_version")


def stale_states(
    sql: StatesSQL, codec: StateCodec, replayed: Callable[[UUID, int], Any],
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[UUID, int]]:
    """(aggregate, version) of every state row of a shape in use that differs from
    ``replayed(aggregate, version)``, the aggregate rebuilt from its events up to that version
    (a row whose version's event is not in the log differs: nothing replays to it). A row of
    another shape is never used by a load, so it is not compared."""
    total = sql.count()
    for done, (aggregate_id, shape) in enumerate(sql.keys(), 1):
        if shape in codec.classes:
            found = _differs(sql, codec, aggregate_id, replayed)
            if found is not None:
                yield aggregate_id, found
        if progress and (done % 1000 == 0 or done == total):
            progress(done, total)


def _differs(sql: StatesSQL, codec: StateCodec, aggregate_id: UUID,
             replayed: Callable[[UUID, int], Any]) -> int | None:
    """The version of the aggregate's state row if it differs from its events, else None.
    (Read again: a command may have moved it on since its key was read.)"""
    row = sql.row(aggregate_id)
    if row is None or row.shape not in codec.classes:
        return None  # gone, or of a shape no load uses
    try:
        from_row = codec.codec.encode(codec.decode(row))
    except Exception:  # a row that does not decode was changed
        return row.originator_version
    try:
        from_events = replayed(aggregate_id, row.originator_version)
    except Exception:  # events that no longer decode (altered, the chain names them): unconfirmed
        return row.originator_version
    if from_events is not None and (msgspec.msgpack.decode(from_row)
                                    == msgspec.msgpack.decode(codec.codec.encode(from_events))):
        return None
    return row.originator_version
