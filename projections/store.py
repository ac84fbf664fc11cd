"""Where the read models live: SQL tables plus the library's tracking records.

On SQLite the read models have a file of their own beside the event log (a projection writing
a batch never holds the lock the commands need); on PostgreSQL they are tables in the log's
database and schema (`projections.backends`). Each batch replaces the rows of the households
it touched and records the log position reached, per read model, in one transaction, with the
library's tracking recorder: its single-row tracking refuses a position that does not advance,
so a batch is applied once. A read model held at an event it cannot apply has a row in the
stops table (`projections.stops`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from msgspec.structs import astuple

from projections.rows import Rows
from projections.stops import STOP_COLUMNS, STOPS_TABLE, Stop
from projections.tables import (
    COLUMNS,
    SCHEMA_VERSIONS,
    TABLE,
    TABLES,
    LedgerRow,
    column_kinds,
    join_texts,
    split_texts,
)

UPSTREAM = "fangpin"

#: Query parameters, or a row as the driver reads or writes it.
Values = tuple[Any, ...]

#: The kind of each column by name (`projections.tables.column_kind`): of every table's row,
#: of the push ledger's sums, and of the stops table.
_KINDS: dict[str, str] = column_kinds(*(t.row for t in TABLE.values()), LedgerRow, Stop)
_SQL_TYPES = {
    "sqlite": {"id": "TEXT", "int": "INTEGER", "bool": "INTEGER", "date": "TEXT", "ts": "TEXT",
               "text": "TEXT", "list": "TEXT"},
    "postgres": {"id": "UUID", "int": "INTEGER", "bool": "BOOLEAN", "date": "DATE",
                 "ts": "TIMESTAMPTZ", "text": "TEXT", "list": "TEXT"},
}
#: A log position may pass 2**31 on PostgreSQL.
_STOP_SQL_TYPES = {"position": "BIGINT"}
def column_type(column: str) -> str:
    """The kind of a column (or of a query's column named like one): text if unknown."""
    return _KINDS.get(column, "text")


class ReadModelStore:
    """The read-model tables and their tracking, on one back end."""

    backend: str
    tracking: SQLiteTrackingRecorder | PostgresTrackingRecorder
    placeholder: str

    def __init__(self) -> None:
        self._writers: dict[str, list[tuple[int, Any]]] = {}  # per table: (index, writer)
        self.create_tables()

    # ------------------------------------------------------------------ schema

    def table_ddl(self, table: str, *, indexes: bool = True) -> list[str]:
        types = _SQL_TYPES[self.backend]
        columns = ", ".join(f"{c} {types[column_type(c)]}" for c in COLUMNS[table])
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.qualified(table)} "
            f"({columns}, PRIMARY KEY ({', '.join(TABLE[table].key)}))"
        ]
        return statements + (self.index_ddl(table) if indexes else [])

    def index_ddl(self, table: str) -> list[str]:
        """The secondary indexes of a table (the lists' filters and sort orders)."""
        statements = []
        for index in TABLE[table].indexes:
            name = f"{table}_{'_'.join(index)}_idx"
            statements.append(
                f"CREATE INDEX IF NOT EXISTS {name} ON {self.qualified(table)} ({', '.join(index)})"
            )
        return statements

    def create_tables(self, models: Iterable[str] = TABLES) -> None:
        self.tracking.create_table()
        self._create_stops_table()
        current = []
        for model in models:
            stored = self.tracking.max_tracking_id(schema_name(model))
            if stored is not None and stored > SCHEMA_VERSIONS[model]:
                raise RuntimeError(
                    f"read model {model} was written by a newer release (tables version {stored}, "
                    f"this release knows {SCHEMA_VERSIONS[model]}): upgrade this installation"
                )
            if stored == SCHEMA_VERSIONS[model]:
                current.append(model)
            else:  # new, or left by another version (its indexes may not even apply)
                self._replace_schema(model)
        with self.transaction() as cursor:
            for model in current:
                for table in TABLES[model]:
                    for statement in self.table_ddl(table):
                        cursor.execute(statement)

    def _replace_schema(self, model: str) -> None:
        """Tables of another version: drop them (their rows come back from the log)."""
        with self.transaction() as cursor:
            for table in TABLES[model]:
                cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")
                for statement in self.table_ddl(table):
                    cursor.execute(statement)
            cursor.execute(
                f"DELETE FROM {self.tracking_table} WHERE application_name IN "
                f"({self.placeholder}, {self.placeholder})",
                (tracking_name(model), schema_name(model)),
            )
            self._clear_stop(cursor, model)
            self.tracking._insert_tracking(
                cursor, Tracking(schema_name(model), SCHEMA_VERSIONS[model])
            )

    def drop(self, model: str, *, indexes: bool = True) -> None:
        """Empty a read model and forget its position (it is followed again from 0), and any
        stop, in one transaction: readers and writers never meet a missing table. Ends any
        rebuild's lease on it, so a rebuild still filling it stops at its next chunk."""
        with self.transaction() as cursor:
            self._lock_tracking(cursor, [model])
            self._empty(cursor, model, indexes=indexes)

    def _empty(self, cursor: Any, model: str, *, indexes: bool) -> None:
        for table in TABLES[model]:
            cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")
            for statement in self.table_ddl(table, indexes=indexes):
                cursor.execute(statement)
        cursor.execute(
            f"DELETE FROM {self.tracking_table} WHERE application_name IN "
            f"({self.placeholder}, {self.placeholder})",
            (tracking_name(model), lease_name(model)),
        )
        self._clear_stop(cursor, model)

    # ------------------------------------------------------------------ rebuild leases

    def begin_rebuild(self, models: Sequence[str]) -> int:
        """Empty ``models`` (secondary indexes left to `create_indexes`) and take a lease on
        them, in one transaction; returns the lease. While the lease is fresh, other processes
        leave these read models alone (`leases`); `add_rows` renews it."""
        lease = _new_lease()
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(models))
            for model in models:
                self._empty(cursor, model, indexes=False)
                self._write_lease(cursor, model, lease)
        return lease

    def add_rows(self, rows: dict[str, Rows], lease: int) -> int:
        """Add rows to read models being rebuilt under ``lease``, in one transaction, and renew
        the lease; returns the renewed one. `IntegrityError` when the lease is no longer held
        (the read models were emptied again, or another process took them over). The caller
        adds each household once."""
        renewed = _new_lease()
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(rows))
            self._check_lease(cursor, list(rows), lease)
            for model, tables in rows.items():
                for table in TABLES[model]:
                    self._insert(cursor, table, tables.get(table, []))
                self._write_lease(cursor, model, renewed)
        return renewed

    def end_rebuild(self, position: int, models: Sequence[str], lease: int) -> None:
        """Record that the rebuilt ``models`` have reached ``position`` and release the lease,
        in one transaction (`IntegrityError` when the lease is no longer held)."""
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(models))
            self._check_lease(cursor, list(models), lease)
            for model in models:
                cursor.execute(
                    f"DELETE FROM {self.tracking_table} WHERE application_name = "
                    f"{self.placeholder}", (lease_name(model),))
                self.tracking._insert_tracking(cursor, Tracking(tracking_name(model), position))
                self._clear_stop(cursor, model, up_to=position)

    def leases(self, models: Sequence[str]) -> dict[str, float]:
        """The read models among ``models`` that a rebuild holds, with the seconds since its
        lease was last renewed."""
        return self.positions_and_leases(models)[1]

    def drop_if_abandoned(self, model: str, older_than: float) -> bool:
        """Empty a read model whose rebuild lease has not been renewed for ``older_than``
        seconds (its rebuilder stopped), so that it is followed again from 0; True if done."""
        with self.transaction() as cursor:
            self._lock_tracking(cursor, [model])
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} "
                f"WHERE application_name = {self.placeholder}", (lease_name(model),))
            found = cursor.fetchone()
            if found is None:
                return False
            lease = found[0] if not isinstance(found, dict) else found["notification_id"]
            if _lease_age(lease) < older_than:
                return False
            self._empty(cursor, model, indexes=True)
        return True

    def _write_lease(self, cursor: Any, model: str, lease: int) -> None:
        cursor.execute(
            f"DELETE FROM {self.tracking_table} WHERE application_name = {self.placeholder}",
            (lease_name(model),))
        cursor.execute(
            f"INSERT INTO {self.tracking_table} (application_name, notification_id) "
            f"VALUES ({self.placeholder}, {self.placeholder})", (lease_name(model), lease))

    def _check_lease(self, cursor: Any, models: list[str], lease: int) -> None:
        self._check_positions(cursor, dict.fromkeys(models, 0))
        for model in models:
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} "
                f"WHERE application_name = {self.placeholder}", (lease_name(model),))
            found = cursor.fetchone()
            held = (found[0] if not isinstance(found, dict) else found["notification_id"]
                    ) if found else None
            if held != lease:
                raise IntegrityError(f"read model {model}: the rebuild's lease is no longer held")

    def create_indexes(self, model: str) -> None:
        """Build a read model's secondary indexes (after a rebuild filled its tables)."""
        with self.transaction() as cursor:
            for table in TABLES[model]:
                for statement in self.index_ddl(table):
                    cursor.execute(statement)

    def _lock_tracking(self, cursor: Any, models: list[str]) -> None:
        """Serialise writers of these read models until the transaction ends."""

    def analyze(self) -> None:
        """Refresh the planner's statistics (after a rebuild filled the tables at once)."""
        with self.transaction() as cursor:
            cursor.execute("ANALYZE")

    # ------------------------------------------------------------------ positions and writes

    def position(self, model: str) -> int:
        """The log position this read model has applied up to (0: none)."""
        return self.tracking.max_tracking_id(tracking_name(model)) or 0

    def least_position(self, models: Sequence[str]) -> int:
        """The position every one of ``models`` has reached, read in one query (a list
        request reports it, so it must cost less than a read per model)."""
        return min(self.positions(models).values())

    def positions(self, models: Sequence[str]) -> dict[str, int]:
        """The position each of ``models`` has reached (0: none), read in one query."""
        return self.positions_and_leases(models)[0]

    def positions_and_leases(self, models: Sequence[str]) -> tuple[dict[str, int], dict[str, float]]:
        """The position of each of ``models``, and the seconds since each one a rebuild holds
        had its lease renewed, read in one query (a catch-up starts with it)."""
        names = [tracking_name(model) for model in models] + [lease_name(m) for m in models]
        marks = ", ".join([self.placeholder] * len(names))
        with self.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT application_name AS name, MAX(notification_id) AS value "
                f"FROM {self.tracking_table} WHERE application_name IN ({marks}) "
                "GROUP BY application_name", names)
            values = {row["name"]: row["value"] for row in cursor.fetchall()}
        positions = {model: values.get(tracking_name(model)) or 0 for model in models}
        leases = {model: _lease_age(values[lease_name(model)]) for model in models
                  if values.get(lease_name(model)) is not None}
        return positions, leases

    def apply(
        self, position: int, household_ids: Sequence[UUID], rows: dict[str, Rows],
        expected: dict[str, int],
    ) -> None:
        """Replace the rows of ``household_ids`` in each read model of ``rows`` and record that
        each has reached ``position`` — all in one transaction, and only if each read model is
        still at the position in ``expected`` (else `IntegrityError`: someone else moved it, or
        dropped it for a rebuild, since the batch was read)."""
        keys = [self.key(household_id) for household_id in household_ids]
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(rows))
            self._check_positions(cursor, expected)
            for model, tables in rows.items():
                for table in TABLES[model]:
                    for start in range(0, len(keys), 500):
                        chunk = keys[start:start + 500]
                        marks = ", ".join([self.placeholder] * len(chunk))
                        cursor.execute(
                            f"DELETE FROM {self.qualified(table)} WHERE household_id IN ({marks})",
                            chunk,
                        )
                    self._insert(cursor, table, tables.get(table, []))
                self.tracking._insert_tracking(cursor, Tracking(tracking_name(model), position))
                self._clear_stop(cursor, model, up_to=position)

    def _check_positions(self, cursor: Any, expected: dict[str, int]) -> None:
        for model, position in expected.items():
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} "
                f"WHERE application_name = {self.placeholder}",
                (tracking_name(model),),
            )
            found = cursor.fetchone()
            current = (found[0] if not isinstance(found, dict) else found["notification_id"]
                       ) if found else 0
            if current != position:
                raise IntegrityError(f"read model {model} is at {current}, not {position}")

    def _insert(self, cursor: Any, table: str, rows: list[Any]) -> None:
        table_rows = self.adapt_rows(table, rows)
        if table_rows:
            marks = ", ".join([self.placeholder] * len(COLUMNS[table]))
            cursor.executemany(
                f"INSERT INTO {self.qualified(table)} ({', '.join(COLUMNS[table])}) "
                f"VALUES ({marks})",
                table_rows,
            )

    # ------------------------------------------------------------------ stops

    def _create_stops_table(self) -> None:
        types = _SQL_TYPES[self.backend]
        columns = ", ".join(f"{c} {_STOP_SQL_TYPES.get(c) or types[column_type(c)]}"
                            for c in STOP_COLUMNS)
        with self.transaction() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.qualified(STOPS_TABLE)} "
                           f"({columns}, PRIMARY KEY (model))")

    def record_stop(self, stop: Stop) -> None:
        """Hold ``stop.model`` at ``stop``, in a transaction of its own (the batch it could not
        apply wrote nothing of that read model). Stopped again at the same event, the read
        model keeps the time it first stopped there."""
        table, p = self.qualified(STOPS_TABLE), self.placeholder
        updates = ", ".join(f"{c} = excluded.{c}" for c in STOP_COLUMNS[2:-1])
        with self.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {table} AS s ({', '.join(STOP_COLUMNS)}) "
                f"VALUES ({', '.join([p] * len(STOP_COLUMNS))}) "
                f"ON CONFLICT (model) DO UPDATE SET {updates}, stopped_at = CASE WHEN "
                "s.position = excluded.position THEN s.stopped_at ELSE excluded.stopped_at END, "
                "position = excluded.position",
                self.adapt(stop.row()))

    def stops(self, models: Sequence[str] | None = None) -> dict[str, Stop]:
        """The read models (of ``models``, or all) held at an event, with their stop."""
        rows = self.fetch(f"SELECT {', '.join(STOP_COLUMNS)} FROM {self.qualified(STOPS_TABLE)}")
        return {row["model"]: Stop(**row) for row in rows
                if models is None or row["model"] in models}

    def _clear_stop(self, cursor: Any, model: str, *, up_to: int | None = None) -> None:
        """Forget the stop of ``model`` (only one at an event up to ``up_to``, when given: the
        read model has now applied that event)."""
        p = self.placeholder
        cursor.execute(
            f"DELETE FROM {self.qualified(STOPS_TABLE)} WHERE model = {p}"
            + (f" AND position <= {p}" if up_to is not None else ""),
            (model,) if up_to is None else (model, up_to))

    # ------------------------------------------------------------------ reads

    def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a query as dicts, with dates, booleans and ids in Python types."""
        with self.transaction(commit=False) as cursor:
            cursor.execute(statement, self.adapt(tuple(params)))
            rows = cursor.fetchall()
        return [self.row_dict(row) for row in rows]

    def stream_with_position(
        self, model: str, statement: str, params: Sequence[Any] = (), size: int = 2000,
    ) -> Iterator[tuple[int, list[Any]]]:
        """The position ``model`` has reached, then the rows of ``statement`` in pages of
        ``size``, all read from one snapshot of the database (rows and position agree)."""
        with self.transaction(commit=False) as cursor:
            self._snapshot_isolation(cursor)
            cursor.execute(
                f"SELECT notification_id FROM {self.tracking_table} "
                f"WHERE application_name = {self.placeholder}", (tracking_name(model),))
            found = cursor.fetchone()
            position = (found[0] if not isinstance(found, dict) else found["notification_id"]
                        ) if found else 0
            for page in self._pages(cursor, statement, self.adapt(tuple(params)), size):
                yield position, page

    def _snapshot_isolation(self, cursor: Any) -> None:
        """Make the rest of the transaction read one snapshot."""

    def _pages(self, cursor: Any, statement: str, params: Values, size: int) -> Iterator[list[Any]]:
        cursor.execute(statement, params)
        while page := cursor.fetchmany(size):
            yield page

    # ------------------------------------------------------------------ per back end

    def transaction(self, *, commit: bool = True) -> Any:
        raise NotImplementedError

    def qualified(self, table: str) -> str:
        return table

    @property
    def tracking_table(self) -> str:
        raise NotImplementedError

    def key(self, household_id: UUID) -> Any:
        return household_id

    def adapt(self, row: Values) -> Values:
        """Query parameters in the driver's types."""
        return row

    #: How each kind of column is written where the driver does not take the Python value.
    writers: ClassVar[dict[str, Callable[[Any], Any]]] = {"list": join_texts}

    def adapt_rows(self, table: str, rows: list[Any]) -> list[Values]:
        """The values of ``table``'s rows (its Struct's instances) as the driver writes them,
        converting only the columns whose kind needs it."""
        convert = self._writers.get(table)
        if convert is None:
            convert = self._writers[table] = [
                (i, self.writers[column_type(c)]) for i, c in enumerate(COLUMNS[table])
                if column_type(c) in self.writers]
        if not convert:
            return [astuple(row) for row in rows]
        adapted = []
        for row in rows:
            values = list(astuple(row))
            for i, write in convert:
                if values[i] is not None:
                    values[i] = write(values[i])
            adapted.append(tuple(values))
        return adapted

    def row_dict(self, row: Any) -> dict[str, Any]:
        """A row read, by column name, in Python types."""
        values = dict(row)
        for name in _LIST_COLUMNS.intersection(values):
            if values[name] is not None:
                values[name] = split_texts(values[name])
        return values

    def close(self) -> None:
        self.datastore.close()


_LIST_COLUMNS = frozenset(name for name, kind in _KINDS.items() if kind == "list")


def schema_name(model: str) -> str:
    """The tracking record holding the version of a read model's tables."""
    return f"schema:{model}"


def tracking_name(model: str) -> str:
    """The tracking record of a read model: its position in the fangpin log."""
    return f"{UPSTREAM}:{model}"


def lease_name(model: str) -> str:
    """The tracking record a rebuild holds on a read model while it fills it."""
    return f"rebuilding:{model}"


def _new_lease() -> int:
    """A lease: when it was taken or renewed (milliseconds since the epoch), and three random
    digits, so that two rebuilds never hold the same one."""
    return int(time.time() * 1000) * 1000 + secrets.randbelow(1000)


def _lease_age(lease: int) -> float:
    return time.time() - lease // 1000 / 1000
