"""What a user's desk keeps beside the event log: which 网格员 a village user is, and which
notifications each user has read (docs/adr/0011-my-work.md).

Neither is a fact of a case: a link says whose visits the desk lists, a read mark only hides a
notification from the unread count. Both live in tables beside the log (like the users and the
access log), so a read — however often a page is shown — never writes an event, and a mark
survives a restart and is seen by every server process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from application.accounts.users import Users
from application.store.beside import beside_log
from application.store.ddl import schema_lock
from domain.codes import Role
from domain.errors import InvalidValue, RuleViolation
from domain.text import check_text

#: The longest notification key kept (keys are made by `application.tasks`).
MAX_KEY = 200


class DeskMarks:
    """The grid-worker links of village users and the read marks of every user; either back end."""

    def __init__(self, users: Users, clock: Callable[[], datetime] | None = None) -> None:
        self.users = users
        self.datastore = users.datastore
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = users._p
        self.links = beside_log(self.datastore, users.backend, "fangpin_user_grid_workers")
        self.marks = beside_log(self.datastore, users.backend, "fangpin_notifications_read")
        with schema_lock(self.datastore, users.backend), \
                self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.links} (name TEXT PRIMARY KEY, "
                           "grid_worker TEXT NOT NULL, linked_at TEXT NOT NULL)")
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.marks} (name TEXT NOT NULL, "
                           "key TEXT NOT NULL, read_at TEXT NOT NULL, PRIMARY KEY (name, key))")

    # ------------------------------------------------------------------ grid-worker links

    def link_grid_worker(self, name: str, grid_worker: str | None) -> None:
        """Say which 网格员 (as households name them) the village user ``name`` is; None unlinks."""
        user = self.users.get(name)  # NotFound for an unknown user
        if user.role is not Role.VILLAGE_LIAISON:
            raise RuleViolation("LINK_NOT_VILLAGE", f"只有村联络站用户可关联网格员；{name} 是{user.role}",
                                "name")
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.links} WHERE name = {p}", (name,))
            if grid_worker is not None:
                worker = check_text(grid_worker, "grid_worker_name").strip()
                if not worker or len(worker) > 50:
                    raise InvalidValue("REQUIRED", "请填写网格员姓名（50 字以内）", "grid_worker_name")
                cursor.execute(f"INSERT INTO {self.links} (name, grid_worker, linked_at) "
                               f"VALUES ({p}, {p}, {p})", (name, worker, self.clock().isoformat()))

    def grid_worker_of(self, name: str) -> str | None:
        """The 网格员 name the user is linked to, or None."""
        rows = self._fetch(f"SELECT grid_worker FROM {self.links} WHERE name = {self._p}", (name,))
        return rows[0][0] if rows else None

    # ------------------------------------------------------------------ read marks

    def read_keys(self, name: str, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` the user has marked read."""
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ", ".join([self._p] * len(chunk))
            found |= {row[0] for row in self._fetch(
                f"SELECT key FROM {self.marks} WHERE name = {self._p} AND key IN ({marks})",
                (name, *chunk))}
        return found

    def mark_read(self, name: str, keys: Iterable[str]) -> int:
        """Mark ``keys`` read for the user (a key read before stays as it was); how many were new."""
        now = self.clock().isoformat()
        p = self._p
        added = 0
        with self.datastore.transaction(commit=True) as cursor:
            for key in dict.fromkeys(keys):
                cursor.execute(f"INSERT INTO {self.marks} (name, key, read_at) VALUES ({p}, {p}, {p}) "
                               "ON CONFLICT (name, key) DO NOTHING RETURNING key",
                               (name, key[:MAX_KEY], now))
                added += cursor.fetchone() is not None
        return added

    def _fetch(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, params)
            return [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                    for row in cursor.fetchall()]
