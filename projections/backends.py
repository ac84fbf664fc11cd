"""The read-model store on each back end: a SQLite file of its own beside the event log, or
tables in the log's PostgreSQL database and schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime
from operator import attrgetter, methodcaller
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.rows import tuple_row

from projections.rebuilds import PostgresNextTables
from projections.source import LogSource
from projections.store import ReadModelStore, Values, column_type, tracking_name
from projections.tables import join_texts, split_texts


def open_read_models(log: LogSource) -> ReadModelStore:
    """The read-model store that goes with the event log."""
    if log.settings.backend == "postgres":
        with log.creating_tables():  # other processes may be creating them too
            return PostgresReadModels(log.factory.datastore)
    path = log.settings.sqlite_file
    return SQLiteReadModels(path.with_name(f"{path.stem}.read-models{path.suffix or '.sqlite3'}"))


#: Page cache per read-model connection (SQLite's default is 2 MiB). A rebuild writes in key
#: order and gains nothing from more (32 MiB rebuilt a 50,000-household county no faster), while
#: each connection's cache, and a sort for CREATE INDEX, grow to this size in a big county: with
#: 32 MiB a rebuild's peak memory went from 89 to 156 MiB between 10,000 and 250,000 households.
READ_MODEL_CACHE_KIB = 8 * 1024

#: How long a streaming read (`ReadModelStore.stream_with_position`) may wait between pages.
STREAM_IDLE_SECONDS = 300


class _ReadModelPool(SQLiteConnectionPool):
    """Connections to the read-model file: ``synchronous=NORMAL`` (in WAL mode a commit is still
    atomic, and rows and tracking positions commit together; only the last commits before a power
    cut can be lost, and the projections then redo them from the log). With the library's FULL,
    each batch's fsync grew with the tables, and a rebuild's cost per event doubled from a
    10,000- to a 50,000-household county (docs/performance.md). The event log keeps FULL."""

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection._sqlite_conn.execute(f"PRAGMA cache_size = -{READ_MODEL_CACHE_KIB}")
        connection._sqlite_conn.execute("PRAGMA synchronous = NORMAL")
        return connection


class SQLiteReadModels(ReadModelStore):
    """Read models in a SQLite file of their own."""

    backend = "sqlite"
    placeholder = "?"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.datastore = SQLiteDatastore(str(path))
        self.datastore.pool.close()
        self.datastore.pool = _ReadModelPool(db_name=str(path))
        self.tracking = SQLiteTrackingRecorder(self.datastore)
        super().__init__()

    def transaction(self, *, commit: bool = True) -> Any:
        return self.datastore.transaction(commit=commit)

    def _lock_tracking(self, cursor: Any, models: list[str]) -> None:
        # Any write takes SQLite's one write lock; no other writer commits until we do.
        cursor.execute(
            "INSERT INTO tracking VALUES ('__lock__', 0) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = 0"
        )

    @property
    def tracking_table(self) -> str:
        return "tracking"

    def _pages(self, cursor: Any, statement: str, params: Values, size: int) -> Iterator[list[Any]]:
        rows = cursor.sqlite_cursor  # the library's wrapper has no fetchmany
        rows.execute(statement, params)
        while page := rows.fetchmany(size):
            yield page

    def key(self, household_id: UUID) -> Any:
        return household_id.hex

    def adapt(self, row: Values) -> Values:
        return tuple(_to_sqlite(value) for value in row)

    #: SQLite stores ids, dates and times as text.
    writers: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "id": attrgetter("hex"), "date": methodcaller("isoformat"),
        "ts": methodcaller("isoformat"), "list": join_texts,
    }

    def row_dict(self, row: sqlite3.Row) -> dict[str, Any]:
        return {name: _from_sqlite(name, row[name]) for name in row.keys()}  # noqa: SIM118


def _to_sqlite(value: Any) -> Any:
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _from_sqlite(column: str, value: Any) -> Any:
    if value is None:
        return None
    kind = column_type(column)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bool":
        return bool(value)
    if kind == "id":
        return UUID(value)
    if kind == "ts":
        return datetime.fromisoformat(value)
    if kind == "list":
        return split_texts(value)
    return value


class PostgresReadModels(PostgresNextTables, ReadModelStore):
    """Read models as tables in the event log's PostgreSQL database and schema."""

    backend = "postgres"
    placeholder = "%s"

    def __init__(self, datastore: PostgresDatastore, *, read_only: bool = False) -> None:
        """``read_only``: the read models of a hot standby (no table made, nothing written)."""
        self.datastore = datastore
        self.tracking = PostgresTrackingRecorder(
            datastore, tracking_table_name="fangpin_read_model_tracking"
        )
        super().__init__(create=not read_only)

    def transaction(self, *, commit: bool = True) -> Any:
        return self.datastore.transaction(commit=commit)

    def qualified(self, table: str) -> str:
        return f'"{self.datastore.schema}".{table}'

    def _lock_tracking(self, cursor: Any, models: list[str]) -> None:
        for model in sorted(models):
            key = f"{self.datastore.schema}.{tracking_name(model)}"
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))

    @property
    def tracking_table(self) -> str:
        return f'"{self.datastore.schema}".fangpin_read_model_tracking'

    def _snapshot_isolation(self, cursor: Any) -> None:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # The reader works between pages (an indicator replays each page's households): on a
        # busy machine that outlasted the pool's idle-in-transaction timeout (5 s), and the
        # server ended the connection mid-read (500s in the soak). A stream is a read, so it
        # may idle longer; a reader that never finishes is still ended.
        cursor.execute(f"SET LOCAL idle_in_transaction_session_timeout = '{STREAM_IDLE_SECONDS}s'")

    def _pages(self, cursor: Any, statement: str, params: Values, size: int) -> Iterator[list[Any]]:
        # A server-side cursor: the rows are fetched a page at a time, not all at once, as
        # tuples, in binary (text as sent; bytea as the bytes, not escaped).
        with cursor.connection.cursor(name="fangpin_stream", row_factory=tuple_row,
                                      binary=True) as named:
            named.execute(statement, params)
            while page := named.fetchmany(size):
                yield page

    def close(self) -> None:
        pass  # the pool belongs to the application
