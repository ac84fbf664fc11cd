"""The users who may sign in, with bearer tokens stored only as hashes.

Users live in a table beside the event log (``fangpin_users``, in the same SQLite file or
PostgreSQL schema): they are who may act, not facts of a case, and the log records each act's
user on the event itself. A token is shown once when it is issued; the table keeps its SHA-256
(tokens are 256 random bits, so a slow password hash would add nothing but latency).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from application.accounts.access import User
from application.store.beside import beside_log, placeholder
from application.store.ddl import schema_lock
from domain.codes import Department, Role
from domain.errors import DomainError, InvalidValue, NotFound

TOKEN_PREFIX = "fp_"

#: How long a token lookup is remembered in memory (disabling a user takes effect within it).
CACHE_SECONDS = 10.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class UserExists(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__("USER_EXISTS", f"用户 {name} 已存在", "name")


class Users:
    """Add users, issue and check tokens, disable users; one table, either back end."""

    def __init__(self, datastore: Any, *, backend: str, clock: Callable[[], datetime] | None = None,
                 ) -> None:
        self.datastore = datastore
        self.backend = backend
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = placeholder(backend)
        self.table = beside_log(datastore, backend, "fangpin_users")
        self._cache: dict[str, tuple[float, User]] = {}
        self._cache_lock = threading.Lock()
        self._create_table()

    def _create_table(self) -> None:
        with schema_lock(self.datastore, self.backend), \
                self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                "name TEXT PRIMARY KEY, role TEXT NOT NULL, township TEXT, village TEXT, "
                "department TEXT, display_name TEXT NOT NULL DEFAULT '', "
                "token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, "
                "token_issued_at TEXT NOT NULL, disabled_at TEXT)"
            )

    # ------------------------------------------------------------------ changes

    def add(self, user: User, token: str | None = None) -> str:
        """Add a user; returns their bearer token (shown once, stored as a hash)."""
        token = token or new_token()
        _check_token(token)
        now = self.clock().isoformat()
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"SELECT 1 FROM {self.table} WHERE name = {p}", (user.name,))
            if cursor.fetchone():
                raise UserExists(user.name)
            cursor.execute(
                f"INSERT INTO {self.table} (name, role, township, village, department, "
                f"display_name, token_hash, created_at, token_issued_at) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
                (user.name, str(user.role), user.township, user.village,
                 str(user.department) if user.department else None, user.display_name,
                 hash_token(token), now, now),
            )
        return token

    def issue_token(self, name: str, token: str | None = None) -> str:
        """A new token for a user (the old one stops working); enables a disabled user."""
        token = token or new_token()
        _check_token(token)
        self._update(name, f"token_hash = {self._p}, token_issued_at = {self._p}, disabled_at = NULL",
                     (hash_token(token), self.clock().isoformat()))
        return token

    def disable(self, name: str) -> None:
        """The user's token stops working (within `CACHE_SECONDS` in other processes)."""
        self._update(name, f"disabled_at = {self._p}", (self.clock().isoformat(),))

    def _update(self, name: str, assignments: str, params: tuple[Any, ...]) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"SELECT 1 FROM {self.table} WHERE name = {self._p}", (name,))
            if cursor.fetchone() is None:
                raise NotFound("USER_NOT_FOUND", f"没有用户 {name}", "name")
            cursor.execute(f"UPDATE {self.table} SET {assignments} WHERE name = {self._p}",
                           (*params, name))
        with self._cache_lock:
            self._cache.clear()

    # ------------------------------------------------------------------ reads

    def get(self, name: str) -> User:
        rows = self._select(f"WHERE name = {self._p}", (name,))
        if not rows:
            raise NotFound("USER_NOT_FOUND", f"没有用户 {name}", "name")
        return _user(rows[0])

    def enabled(self, name: str) -> User | None:
        """The user of that name if they exist and are not disabled."""
        rows = self._select(f"WHERE name = {self._p} AND disabled_at IS NULL", (name,))
        return _user(rows[0]) if rows else None

    def all(self) -> list[tuple[User, bool]]:
        """Every user and whether they are enabled, by name."""
        return [(_user(row), row[6] is None) for row in self._select("ORDER BY name", ())]

    def authenticate(self, token: str) -> User | None:
        """The enabled user a bearer token belongs to, or None. A known token is remembered
        for `CACHE_SECONDS`; an unknown one is looked up each time."""
        if not token.startswith(TOKEN_PREFIX) and not token.startswith("demo-"):
            return None
        digest = hash_token(token)
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(digest)
        if cached and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        rows = self._select(f"WHERE token_hash = {self._p} AND disabled_at IS NULL", (digest,))
        if not rows:
            return None  # not remembered: a token issued a moment later works at once
        user = _user(rows[0])
        with self._cache_lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, user)
        return user

    def _select(self, tail: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT name, role, township, village, department, display_name, disabled_at "
                f"FROM {self.table} {tail}", params,
            )
            return [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                    for row in cursor.fetchall()]


def _user(row: tuple[Any, ...]) -> User:
    name, role, township, village, department, display_name, _disabled = row
    return User(name=name, role=Role(role), township=township, village=village,
                department=Department(department) if department else None,
                display_name=display_name or "")


def _check_token(token: str) -> None:
    if not (token.startswith(TOKEN_PREFIX) or token.startswith("demo-")) or len(token) < 8 \
            or not token.isascii() or any(c.isspace() for c in token):
        raise InvalidValue("TOKEN_FORMAT", f"令牌须以 {TOKEN_PREFIX} 或 demo- 开头、至少 8 个字符", "token")
