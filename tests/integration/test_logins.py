"""Workbench passwords and sessions on both back ends: argon2 hashes, lock-out that parallel
guesses cannot get past, sessions that end with a new password, no hint of which names exist."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from application.accounts.access import User
from application.accounts.logins import MAX_FAILURES, LoginRefused, Logins
from application.accounts.users import Users
from application.app import CaseFiles
from domain.codes import Role
from tests.builders import COUNTY, registering


@pytest.fixture
def logins(make_app, clock) -> Logins:
    app: CaseFiles = make_app()
    users = Users(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    users.add(User("county-01", Role.COUNTY_CENTRE))
    logins = Logins(users, clock=clock)
    logins.set_password("county-01", "right-passphrase")
    return logins


def _code(logins: Logins, name: str, password: str) -> str:
    try:
        logins.login(name, password)
    except LoginRefused as refused:
        return refused.code
    return "OK"


def test_the_password_is_stored_as_an_argon2_hash_and_checked(logins: Logins) -> None:
    with logins.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT password_hash FROM {logins.passwords}")
        (stored,) = [r["password_hash"] if isinstance(r, dict) else r[0] for r in cursor.fetchall()]
    assert stored.startswith("$argon2id$") and "right-passphrase" not in stored
    assert logins.login("county-01", "right-passphrase").name == "county-01"
    assert _code(logins, "county-01", "wrong") == "LOGIN_FAILED"


def test_parallel_guesses_cannot_get_past_the_lock_out(logins: Logins) -> None:
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda n: _code(logins, "county-01", f"guess-{n}"), range(24)))
    assert codes.count("LOGIN_FAILED") == MAX_FAILURES - 1  # every guess counted, then locked
    assert _code(logins, "county-01", "right-passphrase") == "ACCOUNT_LOCKED"


def test_a_password_being_checked_holds_no_other_write_back(logins: Logins, make_app) -> None:
    """While argon2 checks a login's password, the store takes other writes (a command, another
    login's count): on SQLite the check used to run inside a write transaction, which holds
    the whole store, so under load commands and logins timed out waiting behind it."""
    import threading

    checking, done = threading.Event(), threading.Event()
    hasher = logins.hasher

    class Slow:
        def __getattr__(self, name: str) -> object:
            return getattr(hasher, name)

        def verify(self, digest: str, password: str) -> bool:
            checking.set()
            done.wait(10)  # until the test has written
            return hasher.verify(digest, password)

    logins.hasher = Slow()  # type: ignore[assignment]
    outcome: list[str] = []
    login = threading.Thread(target=lambda: outcome.append(_code(logins, "county-01", "wrong")))
    login.start()
    try:
        assert checking.wait(10)
        app = make_app()  # the same store: a command saves while the password is checked
        app.register_household(registering("130630101001"), by=COUNTY)
        assert login.is_alive()
    finally:
        done.set()
        login.join(10)
    assert outcome == ["LOGIN_FAILED"]


def test_the_lock_lifts_after_fifteen_minutes_or_with_a_new_password(logins: Logins, clock) -> None:
    for n in range(MAX_FAILURES):
        _code(logins, "county-01", f"guess-{n}")
    assert _code(logins, "county-01", "right-passphrase") == "ACCOUNT_LOCKED"
    clock.advance(minutes=16)
    assert _code(logins, "county-01", "right-passphrase") == "OK"
    for n in range(MAX_FAILURES):
        _code(logins, "county-01", f"guess-{n}")
    logins.set_password("county-01", "a-new-passphrase")
    assert _code(logins, "county-01", "a-new-passphrase") == "OK"


def test_an_unknown_name_is_answered_like_a_known_one(logins: Logins) -> None:
    unknown = [_code(logins, "nobody", f"guess-{n}") for n in range(MAX_FAILURES + 1)]
    known = [_code(logins, "county-01", f"guess-{n}") for n in range(MAX_FAILURES + 1)]
    assert unknown == known


def test_a_new_password_ends_every_session_of_the_user(logins: Logins) -> None:
    user = logins.login("county-01", "right-passphrase")
    session = logins.open_session(user)
    assert logins.session_user(session) == user
    logins.set_password("county-01", "a-new-passphrase")
    assert logins.session_user(session) is None


# Issue 19 item 2: the answers and the work must not tell which names exist, whichever process
# (worker) answers.


def _answer(logins: Logins, name: str, password: str) -> tuple[str, str]:
    try:
        logins.login(name, password)
    except LoginRefused as refused:
        return refused.code, refused.message
    return "OK", ""


def test_two_workers_share_the_lock_out_of_an_unknown_name(make_app, clock) -> None:
    workers = []
    for _ in range(2):
        app: CaseFiles = make_app()
        users = Users(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
        workers.append(Logins(users, clock=clock))
    answers = [_answer(workers[n % 2], "nobody", f"guess-{n}")[0] for n in range(MAX_FAILURES + 1)]
    assert answers == ["LOGIN_FAILED"] * (MAX_FAILURES - 1) + ["ACCOUNT_LOCKED"] * 2
    assert _answer(workers[0], "nobody", "x")[0] == _answer(workers[1], "nobody", "y")[0] \
        == "ACCOUNT_LOCKED"


def test_known_and_unknown_names_get_the_same_answers_in_every_state(logins: Logins, clock) -> None:
    def both(password: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return _answer(logins, "county-01", password), _answer(logins, "nobody", password)

    def assert_same(password: str = "wrong-guess") -> tuple[str, str]:
        known, unknown = both(password)
        assert known == unknown
        return known

    assert assert_same() == ("LOGIN_FAILED", "用户名或密码不对")  # fresh
    for _ in range(MAX_FAILURES - 2):
        assert assert_same()[0] == "LOGIN_FAILED"  # after some failures
    locking = assert_same()  # the failure that locks
    assert locking[0] == "ACCOUNT_LOCKED" and "已锁定至 09:15" in locking[1]  # 01:00 UTC + 15 min
    clock.advance(minutes=5)
    assert assert_same() == locking  # locked: same code, words and lock time for both
    assert _answer(logins, "county-01", "right-passphrase") == locking  # even the right password
    clock.advance(minutes=11)  # the lock has expired
    assert assert_same()[0] == "LOGIN_FAILED"  # counting starts again, for both
    for _ in range(MAX_FAILURES - 2):
        assert_same()
    assert assert_same()[0] == "ACCOUNT_LOCKED"  # and locks again after as many


def test_every_refusal_does_the_same_argon2_work(logins: Logins, monkeypatch, clock) -> None:
    from argon2 import PasswordHasher

    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, digest: str, password: str) -> bool:
        calls.append(password)
        return real_verify(self, digest, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)

    def work(name: str, password: str = "wrong-guess") -> int:
        before = len(calls)
        _answer(logins, name, password)
        return len(calls) - before

    for _ in range(MAX_FAILURES + 2):  # fresh, failing, locking, locked
        assert work("county-01") == work("nobody") == 1
    assert work("county-01", "right-passphrase") == work("nobody", "right-passphrase") == 1
    clock.advance(minutes=16)
    assert work("county-01") == work("nobody") == 1  # after the lock expired
    logins.users.disable("county-01")
    assert _answer(logins, "county-01", "wrong-guess") == _answer(logins, "nobody", "wrong-guess")
    assert work("county-01") == work("county-01", "right-passphrase") == 1  # a disabled user
    assert _answer(logins, "county-01", "right-passphrase")[0] == "USER_DISABLED"


def test_the_lock_out_table_keeps_no_typed_name_in_clear(logins: Logins) -> None:
    _answer(logins, "my-secret-password", "oops")
    with logins.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT * FROM {logins.failures}")
        rows = [str(row) for row in cursor.fetchall()]
    assert rows and not any("my-secret-password" in row for row in rows)

