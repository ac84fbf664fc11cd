"""Start-up on PostgreSQL: several processes opening one schema at once (as `fangpin serve
--workers N` and `fangpin projections run` do) all start."""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import POSTGRES_URL, TEST_CIPHER_KEY, postgres_problem

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 6
ROUNDS = 3


@pytest.fixture
def fresh_schemas() -> Iterator[list[str]]:
    """`ROUNDS` empty schemas, dropped afterwards."""
    if postgres_problem():
        pytest.skip(f"PostgreSQL not available: {postgres_problem()}")
    schemas = [f"t_{uuid.uuid4().hex[:12]}" for _ in range(ROUNDS)]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schemas
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _open_each(schemas: list[str], barrier: Any, results: Any) -> None:
    """In a process of its own: open the served app on each schema in turn, new and then again
    with its tables made, all processes together (what a uvicorn worker does when it starts).
    Before the schema's lock, a new schema failed on ``pg_type`` unique violations and an
    existing one on ``tuple concurrently updated``, in most rounds."""
    from application.settings import Settings
    from interfaces.http import create_app

    for schema, phase in [(s, p) for s in schemas for p in ("new", "existing")]:
        barrier.wait(timeout=60)
        try:
            app = create_app(Settings(database_url=POSTGRES_URL, postgres_schema=schema,
                                      cipher_key=TEST_CIPHER_KEY), follow=False)
            app.state.projections.close()
            app.state.case_files.close()
        except Exception as error:
            results.put((schema, phase, f"{type(error).__name__}: {error}"))
        else:
            results.put((schema, phase, None))


def test_processes_opening_one_new_schema_at_once_all_start(fresh_schemas: list[str]) -> None:
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(PROCESSES), spawn.Queue()
    processes = [spawn.Process(target=_open_each, args=(fresh_schemas, barrier, results))
                 for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=120) for _ in range(PROCESSES * ROUNDS * 2)]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    failures = [outcome for outcome in outcomes if outcome[2] is not None]
    assert failures == []
