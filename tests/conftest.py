"""Shared fixtures: the two storage back ends every persistence test runs on.

PostgreSQL tests use a fresh schema in the ``test`` database per test and drop it afterwards.
When no server answers they skip, unless ``FANGPIN_REQUIRE_POSTGRES=1`` makes them fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def shut_down(app: Any) -> None:
    """What a served app's lifespan does at shutdown (test servers and fixtures run without it):
    the access log is written and stopped before the store it writes to is closed."""
    for hook in app.on_shutdown:
        hook(app)


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


#: The evening `make run` is tried on in the tests: the demo of the default seed and size (no
#: --seed, no --until: the twelve months up to the clock's today).
MAKE_RUN_DAY = datetime(2026, 12, 7, 10, tzinfo=UTC)  # 18:00 Beijing time


@pytest.fixture(scope="session")
def make_run_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county file `make run` loads on MAKE_RUN_DAY (`fangpin demo --households 300`),
    built once per test session; `copy_of_county` gives a module its own copy to write to."""
    from interfaces.cli import main  # the CLI's own path, as `make run` takes it

    path = tmp_path_factory.mktemp("make-run") / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FANGPIN_SQLITE_PATH", str(path))
        env.delenv("FANGPIN_DATABASE_URL", raising=False)
        if TEST_CIPHER_KEY:
            env.setenv("FANGPIN_CIPHER_KEY", TEST_CIPHER_KEY)
        assert main(["demo", "--households", "300", "--quiet"], clock=FakeClock(MAKE_RUN_DAY)) == 0
    return path


def copy_of_county(county_file: Path, folder: Path) -> Path:
    """A copy of a county's SQLite file (with its write-ahead log, if one is left), for a test
    module that changes it: modules then never depend on which ran before them, or where."""
    copy = folder / county_file.name
    for suffix in ("", "-wal"):
        source = county_file.with_name(county_file.name + suffix)
        if source.exists():
            shutil.copyfile(source, copy.with_name(copy.name + suffix))
    return copy


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With `make test`'s workers (pytest-xdist, ``--dist loadgroup``): each test file goes to
    one worker whole, so its module fixtures are made once. (A worker that runs browser tests
    serves its own county: `tests/web/conftest.py`.)"""
    for item in items:
        item.add_marker(pytest.mark.xdist_group(str(item.path.relative_to(Path(__file__).parent))))
