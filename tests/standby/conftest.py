"""A PostgreSQL primary and hot standby made by `scripts/pg-standby-pair` for the tests marked
``standby``: one pair for the session (torn down at its end, even after a failure), and a fresh
one for a test that kills its primary. Skipped when the PostgreSQL server binaries are absent,
unless ``FANGPIN_REQUIRE_POSTGRES=1`` makes that a failure."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.conftest import REQUIRE_POSTGRES

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg-standby-pair"
#: How long a standby may take to replay what the primary committed, in these tests.
REPLAY_WAIT = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Pair:
    """A primary and its standby, on ports of their own under a directory of their own."""

    directory: Path
    primary_port: int
    standby_port: int

    @property
    def primary_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.primary_port}/fangpin"

    @property
    def standby_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.standby_port}/fangpin"

    def run(self, *args: str) -> str:
        """Run the script on this pair; its output."""
        env = {**os.environ, "PG_PAIR_DIR": str(self.directory),
               "PG_PAIR_PRIMARY_PORT": str(self.primary_port),
               "PG_PAIR_STANDBY_PORT": str(self.standby_port)}
        done = subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"pg-standby-pair {' '.join(args)}: {done.stderr}"
        return done.stdout

    def sql(self, url: str, statement: str) -> list[tuple]:
        with psycopg.connect(url, autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def new_schema(self) -> str:
        """A fresh schema on the primary, there on the standby once it has replayed it."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        self.sql(self.primary_url, f'CREATE SCHEMA "{schema}"')
        self.replayed()
        return schema

    def replayed(self) -> None:
        """Wait until the standby has replayed everything the primary has written."""
        (lsn,), = self.sql(self.primary_url, "select pg_current_wal_lsn()::text")
        deadline = time.monotonic() + REPLAY_WAIT
        while time.monotonic() < deadline:
            (done,), = self.sql(self.standby_url, "select pg_last_wal_replay_lsn() >= "
                                                  f"'{lsn}'::pg_lsn")
            if done:
                return
            time.sleep(0.05)
        raise AssertionError(f"the standby did not replay {lsn} in {REPLAY_WAIT} s")


def _binaries_problem() -> str | None:
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and not os.environ.get("PG_BIN"):
        return "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def make_pair(*args: str) -> Iterator[Pair]:
    """Start a pair (``args``: e.g. ``--sync``), yield it, then destroy it whatever happened."""
    problem = _binaries_problem()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (FANGPIN_REQUIRE_POSTGRES=1) but: {problem}")
        pytest.skip(problem)
    # Under /tmp, not pytest's tmp_path: the server runs as postgres, which must reach it.
    pair = Pair(Path(tempfile.mkdtemp(prefix="fangpin-pg-pair-")), _free_port(), _free_port())
    # A run ended by SIGTERM (a CI timeout) unwinds like Ctrl-C, so the pair is still destroyed.
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        pair.run("start", *args)
        yield pair
    finally:
        pair.run("destroy")
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def pair() -> Iterator[Pair]:
    """The session's primary and standby (asynchronous replication)."""
    yield from make_pair()


@pytest.fixture
def sync_pair() -> Iterator[Pair]:
    """A primary and standby of the test's own, with synchronous replication on (a commit is
    acknowledged once the standby has it)."""
    yield from make_pair("--sync")
