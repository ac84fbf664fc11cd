"""Passwords and browser sessions for the web workbench (the API keeps its bearer tokens).

Passwords are stored as argon2id hashes (``argon2-cffi``, the library's recommended parameters)
in ``fangpin_passwords``. After `MAX_FAILURES` refused logins in a row under a name, that name is
locked out for `LOCK_MINUTES` minutes, whatever password comes next. The count is kept in
``fangpin_login_failures`` for *every* name typed, known or not, so every server process sees the
same lock-out and the answers do not tell which user names exist; the table holds a keyed hash
of the name (HMAC with a secret kept in the store), never the name itself — people do type
passwords into the name field. Every attempt does the same argon2 work: one verification, against
a dummy hash when the name has no password. A session is a random id given to the browser in an
HttpOnly cookie; the table ``fangpin_web_sessions`` keeps only its SHA-256, the user and when it
expires, so every server process sees every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from application.accounts.access import User
from application.accounts.users import Users
from application.store.beside import beside_log
from application.store.ddl import schema_lock
from application.store.encryption import store_secret
from domain.errors import DomainError, InvalidValue
from domain.rules import CHINA_TIME as _CHINA

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8
#: A phone's session (the grid worker's offline app): long enough to walk the villages for weeks
#: without a signal; ended by signing out, a new password or disabling the user.
DEVICE_SESSION_DAYS = 30
#: What a device session's id begins with: the API takes it as a bearer token (a browser
#: session of the workbench never is one).
DEVICE_PREFIX = "fpd_"
#: How long an expired session is remembered as expired (not unknown): a phone back from weeks
#: without a signal is told "sign in again", not "revoked", and keeps its unsent queue.
EXPIRED_KEPT_DAYS = 365


class SessionEnd(StrEnum):
    """Why a device token is no longer taken (the API's 401 ``code``; the phone keeps its unsent
    queue for `EXPIRED` and wipes its copy for every other)."""

    EXPIRED = "SESSION_EXPIRED"
    SIGNED_OUT = "SIGNED_OUT"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    USER_DISABLED = "USER_DISABLED"
    REVOKED = "SESSION_REVOKED"

    @property
    def message(self) -> str:
        return _END_MESSAGES[self]


_END_MESSAGES = {
    SessionEnd.EXPIRED: f"登录已过期（手机登录有效 {DEVICE_SESSION_DAYS} 天），请重新登录",
    SessionEnd.SIGNED_OUT: "该设备已退出登录",
    SessionEnd.PASSWORD_CHANGED: "密码已更改，原有登录已失效",
    SessionEnd.USER_DISABLED: "该用户已停用",
    SessionEnd.REVOKED: "登录已被撤销或无效",
}
MIN_PASSWORD = 8
FORGET_FAILURES = timedelta(days=1)  # a count untouched this long is dropped (the table stays small)


class LoginRefused(DomainError):
    """Wrong user or password, or a locked account (the message says which, in Chinese)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, "password")


def failed() -> LoginRefused:
    """The answer to a wrong name or password: the same words for both."""
    return LoginRefused("LOGIN_FAILED", "用户名或密码不对")


def locked(until: datetime) -> LoginRefused:
    """The answer while a name is locked out, known or not: only the time differs."""
    return LoginRefused("ACCOUNT_LOCKED", f"连续 {MAX_FAILURES} 次密码错误，账户已锁定至 "
                        f"{until.astimezone(_CHINA):%H:%M}（北京时间），请稍后再试或请县防贫中心重设密码")


class Logins:
    """Set and check passwords (with lock-out) and keep browser sessions; either back end."""

    def __init__(self, users: Users, clock: Callable[[], datetime] | None = None) -> None:
        self.users = users
        self.datastore = users.datastore
        self.clock = clock or (lambda: datetime.now(UTC))
        self._p = users._p
        backend = users.backend
        self.passwords = beside_log(self.datastore, backend, "fangpin_passwords")
        self.failures = beside_log(self.datastore, backend, "fangpin_login_failures")
        self.sessions = beside_log(self.datastore, backend, "fangpin_web_sessions")
        self.ended = beside_log(self.datastore, backend, "fangpin_ended_sessions")
        self.hasher = PasswordHasher()
        self._name_key = store_secret(self.datastore, backend, "login_name_key").encode()
        self._forgotten_at: datetime | None = None
        with schema_lock(self.datastore, backend), self.datastore.transaction(commit=True) as cursor:
            # failures/locked_until of fangpin_passwords are no longer read (the lock-out moved
            # to fangpin_login_failures); the columns stay so older stores keep their shape.
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.passwords} (name TEXT PRIMARY KEY, "
                "password_hash TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, "
                "locked_until TEXT, changed_at TEXT NOT NULL)")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.failures} (name_key TEXT PRIMARY KEY, "
                "failures INTEGER NOT NULL, locked_until TEXT, touched_at TEXT NOT NULL)")
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.sessions} (id_hash TEXT PRIMARY KEY, "
                "name TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)")
            # why a session ended before its time (`SessionEnd`), kept as long as it would have
            # lasted, so the phone is told why its token is refused
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.ended} (id_hash TEXT PRIMARY KEY, "
                "name TEXT NOT NULL, reason TEXT NOT NULL, expires_at TEXT NOT NULL)")

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
            cursor.execute(f"DELETE FROM {self.failures} WHERE name_key = {p}", (self._key(name),))
            # A new password signs the user out everywhere (a stolen session ends with it).
            self._end_all(cursor, name, SessionEnd.PASSWORD_CHANGED)

    def disable_user(self, name: str) -> None:
        """Disable the user and end every session of theirs, on desks and phones alike (a
        session only hidden while disabled came back when the user was enabled again)."""
        self.users.disable(name)
        with self.datastore.transaction(commit=True) as cursor:
            self._end_all(cursor, name, SessionEnd.USER_DISABLED)

    def _end_all(self, cursor: Any, name: str, reason: SessionEnd) -> None:
        """End every live session of ``name``, remembering why (an expired one stays expired:
        its phone signs in again, with the new password, and sends its queue)."""
        p, now = self._p, self.clock().isoformat()
        cursor.execute(f"INSERT INTO {self.ended} (id_hash, name, reason, expires_at) "
                       f"SELECT id_hash, name, {p}, expires_at FROM {self.sessions} "
                       f"WHERE name = {p} AND expires_at > {p} ON CONFLICT (id_hash) DO NOTHING",
                       (reason.value, name, now))
        cursor.execute(f"DELETE FROM {self.sessions} WHERE name = {p} AND expires_at > {p}",
                       (name, now))

    def login(self, name: str, password: str) -> User:
        """The user, if the password is right and the account neither locked nor disabled.

        Known or unknown, locked or not, a refused name costs one argon2 verification and gets
        the same answers in the same order, from a count every server process shares."""
        now = self.clock()
        self._forget_old_failures(now)
        p = self._p
        key = self._key(name)
        problem: LoginRefused | None = None
        # The password is checked before the transaction, not in it: argon2 takes a tenth of a
        # second (seconds on a loaded machine), and on SQLite a write transaction holds the
        # whole store, so every login held every command and every other login behind it.
        digest = self._password_hash(name)
        right = self._verify(digest, password)
        # The failure count must be committed even when the login is refused: decide inside
        # the transaction, raise after it. The upsert makes the name's row if missing and locks
        # it to the commit, so parallel guesses are counted one after the other, each one; a
        # guess checked while others locked the account is refused as locked, right or not.
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {self.failures} (name_key, failures, touched_at) "
                           f"VALUES ({p}, 0, {p}) ON CONFLICT (name_key) DO UPDATE SET "
                           "touched_at = excluded.touched_at RETURNING failures, locked_until",
                           (key, now.isoformat()))
            failures, locked_until = _values(cursor.fetchone())
            if right:  # and the password it was checked against is still the user's
                cursor.execute(f"SELECT password_hash FROM {self.passwords} WHERE name = {p}",
                               (name,))
                row = cursor.fetchone()
                right = row is not None and _values(row)[0] == digest
            until = datetime.fromisoformat(locked_until) if locked_until else None
            if until is not None and until > now:
                problem = locked(until)  # the password was checked all the same: the same work
            elif right:
                cursor.execute(f"UPDATE {self.failures} SET failures = 0, locked_until = NULL "
                               f"WHERE name_key = {p}", (key,))
            else:
                failures += 1
                until = (now + timedelta(minutes=LOCK_MINUTES)) if failures >= MAX_FAILURES else None
                cursor.execute(
                    f"UPDATE {self.failures} SET failures = {p}, locked_until = {p} "
                    f"WHERE name_key = {p}",
                    (0 if until else failures, until.isoformat() if until else None, key))
                problem = locked(until) if until else failed()
        if problem is not None:
            raise problem
        user = self.users.enabled(name)
        if user is None:  # only someone who knows the password learns this
            raise LoginRefused("USER_DISABLED", "该用户已停用")
        return user

    def _password_hash(self, name: str) -> str | None:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT password_hash FROM {self.passwords} WHERE name = {self._p}",
                           (name,))
            row = cursor.fetchone()
        return _values(row)[0] if row is not None else None

    def _verify(self, digest: str | None, password: str) -> bool:
        """Whether ``password`` fits ``digest``; with no digest, the same work against a dummy."""
        try:
            self.hasher.verify(digest or _dummy_hash(self.hasher), password)
        except (VerificationError, InvalidHashError):
            return False
        return digest is not None

    def _key(self, name: str) -> str:
        return hmac.new(self._name_key, name.encode(), hashlib.sha256).hexdigest()

    def _forget_old_failures(self, now: datetime) -> None:
        """Drop counts nobody touched for a day (once an hour per process, in its own
        transaction so it never holds a row a login waits for)."""
        if self._forgotten_at is not None and now - self._forgotten_at < timedelta(hours=1):
            return
        self._forgotten_at = now
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {self.failures} WHERE touched_at < {self._p}",
                           ((now - FORGET_FAILURES).isoformat(),))

    # ------------------------------------------------------------------ sessions

    def open_session(self, user: User, *, device: bool = False) -> str:
        """A new session for ``user``; returns the id to give the browser (shown only once).
        ``device``: a phone's session (`DEVICE_SESSION_DAYS`), its id a bearer token of the API."""
        session_id = (DEVICE_PREFIX if device else "") + secrets.token_urlsafe(32)
        lasts = timedelta(days=DEVICE_SESSION_DAYS) if device else timedelta(hours=SESSION_HOURS)
        now = self.clock()
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            self._forget_expired(cursor, now)
            cursor.execute(
                f"INSERT INTO {self.sessions} (id_hash, name, created_at, expires_at) "
                f"VALUES ({p}, {p}, {p}, {p})",
                (_hash(session_id), user.name, now.isoformat(), (now + lasts).isoformat()))
        return session_id

    def _forget_expired(self, cursor: Any, now: datetime) -> None:
        """Drop expired workbench sessions, and phones' sessions `EXPIRED_KEPT_DAYS` after
        they expired (until then a phone is told its session expired, not that it is unknown)."""
        p = self._p
        cursor.execute(f"SELECT id_hash, created_at, expires_at FROM {self.sessions} "
                       f"WHERE expires_at < {p}", (now.isoformat(),))
        forgotten = now - timedelta(days=EXPIRED_KEPT_DAYS)
        for id_hash, created_at, expires_at in map(_values, cursor.fetchall()):
            expires = datetime.fromisoformat(expires_at)
            if expires - datetime.fromisoformat(created_at) <= timedelta(hours=SESSION_HOURS) \
                    or expires < forgotten:
                cursor.execute(f"DELETE FROM {self.sessions} WHERE id_hash = {p}", (id_hash,))
        cursor.execute(f"DELETE FROM {self.ended} WHERE expires_at < {p}", (now.isoformat(),))

    def session_expires(self, session_id: str) -> datetime | None:
        """When a live session ends (None: no such session)."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT expires_at FROM {self.sessions} WHERE id_hash = {self._p}",
                           (_hash(session_id),))
            row = cursor.fetchone()
        return datetime.fromisoformat(_values(row)[0]) if row is not None else None

    def device_user(self, token: str) -> User | None:
        """The enabled user of a live device session given as a bearer token, or None."""
        return self._live_session_user(token) if token.startswith(DEVICE_PREFIX) else None

    def session_user(self, session_id: str) -> User | None:
        """The enabled user of a live workbench session, or None (a phone's device session is
        a bearer token for the API only: set as the workbench's cookie it opens nothing)."""
        if session_id.startswith(DEVICE_PREFIX):
            return None
        return self._live_session_user(session_id)

    def _live_session_user(self, session_id: str) -> User | None:
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

    def device_refusal(self, token: str) -> SessionEnd:
        """Why a device token the API did not take is refused: expired, ended (and how), or
        unknown (`SessionEnd.REVOKED`)."""
        p = self._p
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(f"SELECT reason FROM {self.ended} WHERE id_hash = {p}", (_hash(token),))
            ended = cursor.fetchone()
            cursor.execute(f"SELECT name, expires_at FROM {self.sessions} WHERE id_hash = {p}",
                           (_hash(token),))
            row = cursor.fetchone()
        if ended is not None:
            return SessionEnd(_values(ended)[0])
        if row is None:
            return SessionEnd.REVOKED
        name, expires_at = _values(row)
        if self.users.enabled(name) is None:
            return SessionEnd.USER_DISABLED
        if datetime.fromisoformat(expires_at) <= self.clock():
            return SessionEnd.EXPIRED
        return SessionEnd.REVOKED

    def close_session(self, session_id: str) -> None:
        """Sign a session out (a phone told so later wipes its copy)."""
        p = self._p
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"INSERT INTO {self.ended} (id_hash, name, reason, expires_at) "
                           f"SELECT id_hash, name, {p}, expires_at FROM {self.sessions} "
                           f"WHERE id_hash = {p} ON CONFLICT (id_hash) DO NOTHING",
                           (SessionEnd.SIGNED_OUT.value, _hash(session_id)))
            cursor.execute(f"DELETE FROM {self.sessions} WHERE id_hash = {p}",
                           (_hash(session_id),))


_dummy: dict[tuple[Any, ...], str] = {}
_dummy_lock = threading.Lock()


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password with ``hasher``'s parameters, made once per process: what a
    name without a password is checked against, so that it costs what a real check costs."""
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len,
              hasher.salt_len, hasher.type)
    with _dummy_lock:
        if params not in _dummy:
            _dummy[params] = hasher.hash(secrets.token_urlsafe(24))
        return _dummy[params]


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)
