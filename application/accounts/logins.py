"""Passwords and browser sessions for the web workbench (the API keeps its bearer tokens).

Passwords are stored as argon2id hashes (``argon2-cffi``, the library's recommended parameters)
in ``fangpin_passwords``; after `MAX_FAILURES` wrong passwords in a row a user is locked out for
`LOCK_MINUTES` minutes, whatever password comes next. A session is a random id given to the
browser in an HttpOnly cookie; the table ``fangpin_web_sessions`` keeps only its SHA-256, the
user and when it expires, so every server process sees every session.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from application.accounts.access import User
from application.accounts.users import Users
from application.store.beside import beside_log
from domain.errors import DomainError, InvalidValue
from domain.rules import CHINA_TIME as _CHINA

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
MIN_PASSWORD = 8


class LoginRefused(DomainError):
    """Wrong user or password, or a locked account (the message says which, in Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, "password")


class Logins:
    """Set and check passwords (with lock-out) and keep browser sessions; either back end."""

    def __init__(self, users: Users, clock: Callable[[], datetime] | None = None) -> None:
        self.users = users
        self.datastore = users.datastore
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = users._p
        self.passwords = beside_log(self.datastore, users.backend, "fangpin_passwords")
        self.sessions = beside_log(self.datastore, users.backend, "fangpin_web_sessions")
        self.hasher = PasswordHasher()
        self._unknown: dict[str, tuple[int, datetime]] = {}
        self._unknown_lock = threading.Lock()
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.passwords} (name TEXT PRIMARY KEY, "
                "password_hash TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, "
                "locked_until TEXT, changed_at TEXT NOT NULL)")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.sessions} (id_hash TEXT PRIMARY KEY, "
                "name TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)")

    # ------------------------------------------------------------------ passwords

    def set_password(self, name: str, password: str) -> None:
        """Set (or replace) a user's password; also lifts a lock-out."""
        self.users.get(name)  # NotFound for an unknown user
        if len(password) < MIN_PASSWORD:
            raise InvalidValue("PASSWORD_TOO_SHORT", f"密码至少 {MIN_PASSWORD} 个字符", "password")
        digest = self.hasher.hash(password)
        now = self.clock().isoformat()
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.passwords} WHERE name = {p}", (name,))
            cursor.execute(f"INSERT INTO {self.passwords} (name, password_hash, failures, "
                           f"changed_at) VALUES ({p}, {p}, 0, {p})", (name, digest, now))
            # A new password signs the user out everywhere (a stolen session ends with it).
            cursor.execute(f"DELETE FROM {self.sessions} WHERE name = {p}", (name,))

    def login(self, name: str, password: str) -> User:
        """The user, if the password is right and the account neither locked nor disabled."""
        now = self.clock()
        p = self._p
        problem: LoginRefused | None = None
        # The failure count must be committed even when the login is refused: decide inside
        # the transaction, raise after it.
        # The row is locked while the password is checked, so parallel guesses queue up behind
        # each other and each one counts (SQLite's write transaction serialises them anyway).
        lock = " FOR UPDATE" if self.users.backend == "postgres" else ""
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"SELECT password_hash, failures, locked_until FROM {self.passwords} "
                           f"WHERE name = {p}{lock}", (name,))
            row = cursor.fetchone()
            if row is None:
                self.hasher.hash(password)  # the same time as a wrong password: no user oracle
                problem = self._unknown_name(name, now)
            else:
                problem = self._check(cursor, name, password, now, *_values(row))
        if problem is not None:
            raise problem
        user = self.users.enabled(name)
        if user is None:
            raise LoginRefused("USER_DISABLED", "该用户已停用")
        return user

    def _unknown_name(self, name: str, now: datetime) -> LoginRefused:
        """An unknown name is refused like a known one, lock-out included, so that the answers
        do not tell which user names exist (counted in memory, a bounded number of names)."""
        with self._unknown_lock:
            failures, since = self._unknown.get(name, (0, now))
            if now - since > timedelta(minutes=LOCK_MINUTES):
                failures, since = 0, now
            failures += 1
            self._unknown[name] = (failures, since)
            if len(self._unknown) > 10_000:
                self._unknown.clear()
        if failures >= MAX_FAILURES:
            lock = since + timedelta(minutes=LOCK_MINUTES)
            return LoginRefused("ACCOUNT_LOCKED", f"连续 {MAX_FAILURES} 次密码错误，账户已锁定至 "
                                f"{lock.astimezone(_CHINA):%H:%M}（北京时间）")
        return LoginRefused("LOGIN_FAILED", "用户名或密码不对")

    def _check(self, cursor: Any, name: str, password: str, now: datetime, digest: str,
               failures: int, locked_until: str | None) -> LoginRefused | None:
        p = self._p
        if locked_until and datetime.fromisoformat(locked_until) > now:
            until = datetime.fromisoformat(locked_until).astimezone(_CHINA)
            return LoginRefused("ACCOUNT_LOCKED", f"连续 {MAX_FAILURES} 次密码错误，账户已锁定至 "
                                f"{until:%H:%M}（北京时间），请稍后再试或请县防贫中心重设密码")
        try:
            self.hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            failures += 1
            lock = (now + timedelta(minutes=LOCK_MINUTES)) if failures >= MAX_FAILURES else None
            cursor.execute(f"UPDATE {self.passwords} SET failures = {p}, locked_until = {p} "
                           f"WHERE name = {p}", (0 if lock else failures,
                                                 lock.isoformat() if lock else None, name))
            if lock:
                return LoginRefused("ACCOUNT_LOCKED", f"连续 {MAX_FAILURES} 次密码错误，账户已锁定至 "
                                    f"{lock.astimezone(_CHINA):%H:%M}（北京时间）")
            return LoginRefused("LOGIN_FAILED", "用户名或密码不对")
        cursor.execute(f"UPDATE {self.passwords} SET failures = 0, locked_until = NULL "
                       f"WHERE name = {p}", (name,))
        return None

    # ------------------------------------------------------------------ sessions

    def open_session(self, user: User) -> str:
        """A new session for ``user``; returns the id to give the browser (shown only once)."""
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.sessions} WHERE expires_at < {p}", (now.isoformat(),))
            cursor.execute(
                f"INSERT INTO {self.sessions} (id_hash, name, created_at, expires_at) "
                f"VALUES ({p}, {p}, {p}, {p})",
                (_hash(session_id), user.name, now.isoformat(),
                 (now + timedelta(hours=SESSION_HOURS)).isoformat()))
        return session_id

    def session_user(self, session_id: str) -> User | None:
        """The enabled user of a live session, or None."""
        if not session_id:
            return None
        p = self._p
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT name, expires_at FROM {self.sessions} WHERE id_hash = {p}",
                           (_hash(session_id),))
            row = cursor.fetchone()
        if row is None:
            return None
        name, expires_at = _values(row)
        if datetime.fromisoformat(expires_at) <= self.clock():
            return None
        return self.users.enabled(name)

    def close_session(self, session_id: str) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.sessions} WHERE id_hash = {self._p}",
                           (_hash(session_id),))


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
