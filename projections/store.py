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

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from msgspec.structs import astuple

from projections.rebuilds import NextTables, lease_age, lease_name
from projections.rows import Rows
from projections.stops import STOP_COLUMNS, STOPS_TABLE, Stop
from projections.tables import (
    COLUMNS,
    SCHEMA_VERSIONS,
    TABLE,
    TABLES,
    LedgerRow,
    column_kinds,
    index_name,
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


class ReadModelStore(NextTables):
    """The read-model tables and their tracking, on one back end; a rebuild fills next
    tables beside them (`projections.rebuilds`)."""

    backend: str
    tracking: SQLiteTrackingRecorder | PostgresTrackingRecorder
    placeholder: str

    def __init__(self, *, create: bool = True) -> None:
        """``create``: make (or replace) the tables as this release defines them; False on a
        read-only hot standby, which has the primary's."""
        self._writers: dict[str, list[tuple[int, Any]]] = {}  # per table: (index, writer)
        if create:
            self.create_tables()

    # ------------------------------------------------------------------ schema

    def table_ddl(self, table: str, *, indexes: bool = True, named: str | None = None) -> list[str]:
        """Create ``table`` (under the name ``named``, when given: a rebuild's next table)."""
        types = _SQL_TYPES[self.backend]
        columns = ", ".join(f"{c} {types[column_type(c)]}" for c in COLUMNS[table])
        clustered = " WITHOUT ROWID" if TABLE[table].clustered and self.backend == "sqlite" else ""
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self.qualified(named or table)} "
            f"({columns}, PRIMARY KEY ({', '.join(TABLE[table].key)})){clustered}"
        ]
        return statements + (self.index_ddl(table, named=named) if indexes else [])

    def index_ddl(self, table: str, *, named: str | None = None) -> list[str]:
        """The secondary indexes of a table (the lists' filters and sort orders)."""
        return [
            f"CREATE INDEX IF NOT EXISTS {index_name(named or table, index)} "
            f"ON {self.qualified(named or table)} ({', '.join(index)})"
            for index in TABLE[table].indexes
        ]

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
            self._drop_next(cursor, model)
            for name in (tracking_name(model), schema_name(model), lease_name(model)):
                self._forget(cursor, name)
            self._clear_stop(cursor, model)
            self.tracking._insert_tracking(
                cursor, Tracking(schema_name(model), SCHEMA_VERSIONS[model])
            )

    def drop(self, model: str, *, indexes: bool = True) -> None:
        """Empty a read model and forget its position (it is followed again from 0), and any
        stop, in one transaction: readers and writers never meet a missing table. Ends any
        rebuild of it (its next tables and lease go: it stops at its next chunk)."""
        with self.transaction() as cursor:
            self._lock_tracking(cursor, [model])
            self._empty(cursor, model, indexes=indexes)

    def _empty(self, cursor: Any, model: str, *, indexes: bool) -> None:
        for table in TABLES[model]:
            cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(table)}")
            for statement in self.table_ddl(table, indexes=indexes):
                cursor.execute(statement)
        self._drop_next(cursor, model)
        for name in (tracking_name(model), lease_name(model)):
            self._forget(cursor, name)
        self._clear_stop(cursor, model)

    def _lock_tracking(self, cursor: Any, models: list[str]) -> None:
        """Serialise writers of these read models until the transaction ends."""

    def analyze(self, models: Sequence[str]) -> None:
        """Refresh the planner's statistics of ``models``' tables (after a rebuild filled them
        at once): theirs only, not every table of the database, whose locks a rebuild of
        another schema may hold (two whole-database ANALYZEs deadlocked in the tests)."""
        with self.transaction() as cursor:
            for model in models:
                for table in TABLES[model]:
                    cursor.execute(f"ANALYZE {self.qualified(table)}")

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
        leases = {model: lease_age(values[lease_name(model)]) for model in models
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
        with self.transaction() as cursor:
            self._lock_tracking(cursor, list(rows))
            self._check_positions(cursor, expected)
            for model, tables in rows.items():
                for table in TABLES[model]:
                    self._delete_households(cursor, table, household_ids)
                    self._insert(cursor, table, tables.get(table, []))
                self.tracking._insert_tracking(cursor, Tracking(tracking_name(model), position))
                self._clear_stop(cursor, model, up_to=position)

    def _delete_households(self, cursor: Any, table: str, household_ids: Sequence[UUID]) -> None:
        """Delete the rows of ``household_ids`` from the table named ``table``."""
        keys = [self.key(household_id) for household_id in household_ids]
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ", ".join([self.placeholder] * len(chunk))
            cursor.execute(
                f"DELETE FROM {self.qualified(table)} WHERE household_id IN ({marks})", chunk)

    def _record_position(self, cursor: Any, model: str, position: int) -> None:
        """Record that ``model`` is at ``position`` wherever it was before (a rebuilt read
        model swapped in may be behind the tables it replaced), and clear a stop at an event
        up to it: the read model has applied that event."""
        self._forget(cursor, tracking_name(model))
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

    def _insert(self, cursor: Any, table: str, rows: list[Any], *, into: str | None = None) -> None:
        """Insert rows of ``table`` (into the table named ``into``, when given)."""
        table_rows = self.adapt_rows(table, rows)
        if table_rows:
            marks = ", ".join([self.placeholder] * len(COLUMNS[table]))
            cursor.executemany(
                f"INSERT INTO {self.qualified(into or table)} ({', '.join(COLUMNS[table])}) "
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
        ``size``, as tuples, all read from one snapshot of the database (rows and position
        agree)."""
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
