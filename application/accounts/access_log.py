"""Who read which household's file, when, and through which route (issue 7's access log).

Reads are not facts of a case, so they are kept outside the event log, in a table beside it
(``fangpin_access_log``, in the same SQLite file or PostgreSQL schema): one row per read of a
case file or its history — including reads by auditors, and attempts refused for the area —
and one per household whose people a department's roster showed.
Auditors query it; nobody changes it through the application.

A server records reads in batches (``batched=True``): a case-file read only appends its row to
memory, and a writer thread inserts what has gathered in one transaction every
`FLUSH_SECONDS` (sooner once `BATCH` rows wait), so the read does not wait for a commit. A query
of the log writes what is waiting first, and `close` writes the rest: a process that stops
without closing loses at most the reads of its last `FLUSH_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import ConnectionPoolClosedError
from psycopg_pool import PoolClosed

from application.accounts.access import User
from application.store.beside import beside_log, placeholder
from application.store.ddl import schema_lock

logger = logging.getLogger(__name__)

#: How long a batched read waits before its row is written (at most).
FLUSH_SECONDS = 0.2
#: A batch is written as soon as this many reads wait.
BATCH = 256


def store_closed(error: BaseException) -> bool:
    """Whether ``error`` says the store itself was closed (SQLite's pool, or PostgreSQL's, which
    eventsourcing wraps in an OperationalError): no retry can succeed."""
    return isinstance(error, ConnectionPoolClosedError) or isinstance(error.__cause__, PoolClosed)


@dataclass(frozen=True)
class AccessRecord:
    id: int
    at: datetime
    user_name: str
    role: str
    household_code: str
    route: str
    outcome: str  # "read", or "refused:<code>"


class AccessLog:
    """Append and query the access log; one table, either back end."""

    def __init__(self, datastore: Any, *, backend: str, clock: Callable[[], datetime] | None = None,
                 batched: bool = False) -> None:
        self.datastore = datastore
        self.batched = batched
        self._pending: list[tuple[str, ...]] = []
        self._guard = threading.Lock()  # the pending rows
        self._writing = threading.Lock()  # one batch written at a time, in order
        self._arrived, self._full = threading.Event(), threading.Event()
        self._writer: threading.Thread | None = None
        self._closed = False
        self.backend = backend
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = placeholder(backend)
        self.table = beside_log(datastore, backend, "fangpin_access_log")
        key = "BIGSERIAL PRIMARY KEY" if backend == "postgres" else "INTEGER PRIMARY KEY AUTOINCREMENT"
        with schema_lock(datastore, backend), datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (id {key}, at TEXT NOT NULL, "
                "user_name TEXT NOT NULL, role TEXT NOT NULL, household_code TEXT NOT NULL, "
                "route TEXT NOT NULL, outcome TEXT NOT NULL)")
            # (on PostgreSQL the index goes into the table's schema)
            cursor.execute("CREATE INDEX IF NOT EXISTS fangpin_access_log_household_idx "
                           f"ON {self.table} (household_code, id)")

    def record(self, user: User, household_code: str, route: str, outcome: str = "read") -> None:
        """Append one read (or refused attempt) of a household's file."""
        at = self.clock().astimezone(UTC).isoformat()
        self._append([(at, user.name, user.role.value, household_code, route, outcome)])

    def record_many(self, user: User, household_codes: Iterable[str], route: str) -> None:
        """Append a read of each household's people a list showed (a department's roster, an
        exchange export, a page of the change feed): one row per household, all in one
        transaction."""
        codes = list(dict.fromkeys(household_codes))
        if not codes:
            return
        at = self.clock().astimezone(UTC).isoformat()
        self._append([(at, user.name, user.role.value, code, route, "read") for code in codes])

    def flush(self) -> None:
        """Write the reads waiting in memory (batched), in one transaction."""
        with self._writing:
            with self._guard:
                rows, self._pending = self._pending, []
            if not rows:
                return
            try:
                self._insert(rows)
            except Exception:  # kept for the next batch: a read is never silently dropped
                with self._guard:
                    self._pending[:0] = rows
                raise

    def close(self) -> None:
        """Write what is waiting and stop the writer (batched)."""
        self._closed = True
        writer = self._writer
        if writer is not None:
            self._arrived.set()
            self._full.set()
            writer.join()
        self.flush()

    def _append(self, rows: list[tuple[str, ...]]) -> None:
        if not self.batched or self._closed:
            self._insert(rows)
            return
        with self._guard:
            first = not self._pending
            self._pending.extend(rows)
            full = len(self._pending) >= BATCH
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_batches, daemon=True,
                                                name="access-log")
                self._writer.start()
        if first:
            self._arrived.set()
        if full:
            self._full.set()

    def _write_batches(self) -> None:
        while not self._closed:
            self._arrived.wait()
            self._full.wait(FLUSH_SECONDS)
            self._arrived.clear()
            self._full.clear()
            try:
                self.flush()
            except Exception as error:
                if store_closed(error):  # closed under it: nothing left to write to
                    logger.error("access log: %d reads not written: the store was closed before "
                                 "the access log", len(self._pending))
                    return
                # tried again after a pause
                logger.exception("access log: %d reads not written yet", len(self._pending))
                self._arrived.set()

    def _insert(self, rows: list[tuple[str, ...]]) -> None:
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.executemany(
                f"INSERT INTO {self.table} (at, user_name, role, household_code, route, outcome) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})", rows)

    def query(
        self, *, household_code: str | None = None, user_name: str | None = None,
        since: datetime | None = None, until: datetime | None = None, before: int | None = None,
        limit: int = 100,
    ) -> list[AccessRecord]:
        """Newest first; ``before``: the id of the last record of the previous page. (The
        reads waiting in memory are written first.)"""
        self.flush()
        p, clauses, params = self._p, [], []
        for clause, value in (("household_code = {p}", household_code), ("user_name = {p}", user_name),
                              ("at >= {p}", since and since.astimezone(UTC).isoformat()),
                              ("at <= {p}", until and until.astimezone(UTC).isoformat()),
                              ("id < {p}", before)):
            if value is not None:
                clauses.append(clause.format(p=p))
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT id, at, user_name, role, household_code, route, outcome FROM {self.table} "
                f"{where}ORDER BY id DESC LIMIT {int(limit)}", tuple(params))
            rows = cursor.fetchall()
        return [AccessRecord(
            int(_get(row, 0, "id")), datetime.fromisoformat(_get(row, 1, "at")), _get(row, 2, "user_name"),
            _get(row, 3, "role"), _get(row, 4, "household_code"), _get(row, 5, "route"),
            _get(row, 6, "outcome"),
        ) for row in rows]


def _get(row: Any, index: int, name: str) -> Any:
    return row[name] if isinstance(row, dict) else row[index]
