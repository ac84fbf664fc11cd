"""Shared fixtures: the two storage back ends every persistence test runs on.

PostgreSQL tests use a fresh schema in the ``test`` database per test and drop it afterwards.
When no server answers they skip, unless ``FANGPIN_REQUIRE_POSTGRES=1`` makes them fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from application.settings import Settings

POSTGRES_URL = os.environ.get(
    "FANGPIN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("FANGPIN_REQUIRE_POSTGRES") == "1"
#: Set (to a key from `fangpin log keygen`) to run every test with event state encrypted.
TEST_CIPHER_KEY = os.environ.get("FANGPIN_TEST_CIPHER_KEY") or None


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as error:
        return str(error).strip()
    return None


_postgres_problem: list[str | None] = []


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used (None when it can); asked once per run."""
    if not _postgres_problem:
        _postgres_problem.append(_postgres_available())
    return _postgres_problem[0]


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards; the test skips when no server
    answers, or fails under ``FANGPIN_REQUIRE_POSTGRES=1``."""
    problem = postgres_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (FANGPIN_REQUIRE_POSTGRES=1) but: {problem}")
        pytest.skip(f"PostgreSQL not available: {problem}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            # and the county and province stores of a deployment rooted there (schema_…)
            beside = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                  (f"{schema}\\_%",)).fetchall()
            for (name,) in [(schema,), *beside]:
                conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped after the test."""
    with fresh_postgres_schema() as schema:
        yield schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path) -> Settings:
    """Settings for one back end: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return Settings(sqlite_path=tmp_path / "fangpin.sqlite3", snapshot_interval=5,
                        cipher_key=TEST_CIPHER_KEY)
    schema = request.getfixturevalue("postgres_schema")
    return Settings(database_url=POSTGRES_URL, postgres_schema=schema, snapshot_interval=5,
                    cipher_key=TEST_CIPHER_KEY)


class FakeClock:
    """A recording clock the test moves by hand, so recorded times are known."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2025, 1, 1, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_app(settings: Settings, clock: FakeClock) -> Iterator[Callable[..., object]]:
    """Build CaseFiles applications on the test's back end; all are closed afterwards."""
    from application.app import CaseFiles

    apps: list[CaseFiles] = []

    def make(**overrides: object) -> CaseFiles:
        from dataclasses import replace

        app = CaseFiles(replace(settings, **overrides), clock=clock)  # type: ignore[arg-type]
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def cli_env(settings, monkeypatch) -> None:
    """Point the CLI (which reads FANGPIN_* variables) at the test's back end."""
    if settings.backend == "sqlite":
        monkeypatch.setenv("FANGPIN_SQLITE_PATH", str(settings.sqlite_file))
        monkeypatch.delenv("FANGPIN_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("FANGPIN_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("FANGPIN_POSTGRES_SCHEMA", settings.postgres_schema)
    if settings.cipher_key:
        monkeypatch.setenv("FANGPIN_CIPHER_KEY", settings.cipher_key)
