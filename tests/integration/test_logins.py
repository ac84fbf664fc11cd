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
