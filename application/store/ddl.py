"""Creating a store's tables, one process at a time.

On PostgreSQL, ``CREATE TABLE/INDEX IF NOT EXISTS`` and ``CREATE OR REPLACE FUNCTION`` run by two
processes at once can fail: on a new schema both see no table and one hits a unique violation
on ``pg_type``; on an existing one the library replaces its insert function at every start and
the second gets ``tuple concurrently updated``. `fangpin serve --workers N` starts N processes
(and a projection process) that all open the store together, and a CLI command may start beside
them. So every start-up creation of a schema's tables (the log's, those beside it, the read
models') runs under `schema_lock`: a session-level advisory lock keyed by the schema, held on a
pooled connection of its own while the creation lasts; the creation itself runs on other
connections. Within a process the lock is re-entrant (per database and schema, whichever
datastore asks): a start-up holding it may open stores that take it again. A process that dies
holding it loses it with its connection. On SQLite nothing is needed: one writer at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The first key of the lock (the second is the schema's hash): a pair of keys never meets the
#: single-key advisory locks of the event log's writers and the read models' tracking.
LOCK_CLASS = "fangpin-ddl"

_guard = threading.Lock()
_held: dict[str, tuple[threading.RLock, list[int]]] = {}  # per lock: its thread lock, depth


@contextmanager
def schema_lock(datastore: Any, backend: str) -> Iterator[None]:
    """Hold the schema's table-creation lock (PostgreSQL; nothing on SQLite) for the block."""
    if backend != "postgres":
        yield
        return
    kwargs = datastore.pool.kwargs or {}
    name = (f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('dbname')}/"
            f"{datastore.schema}")
    with _guard:
        lock, depth = _held.setdefault(name, (threading.RLock(), [0]))
    with lock:
        if depth[0]:
            depth[0] += 1
            try:
                yield
            finally:
                depth[0] -= 1
            return
        with datastore.get_connection() as connection:
            connection.execute("SELECT pg_advisory_lock(hashtext(%s), hashtext(%s))",
                               (LOCK_CLASS, datastore.schema))
            depth[0] = 1
            try:
                yield
            finally:
                depth[0] = 0
                connection.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))",
                                   (LOCK_CLASS, datastore.schema))
