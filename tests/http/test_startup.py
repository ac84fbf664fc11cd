"""Start-up on PostgreSQL: several processes opening one schema at once (as `fangpin serve
--workers N` and `fangpin projections run` do) all start, and a `serve` killed with SIGKILL
leaves none of its processes behind."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from application.app import CaseFiles
from application.settings import Settings
from interfaces.serve import PROJECTION_PROCESS_NAME
from projections.runner import Projections
from tests.builders import COUNTY, registering
from tests.conftest import POSTGRES_URL, TEST_CIPHER_KEY, postgres_problem, shut_down

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
            shut_down(app)
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


def _marked(marker: str) -> dict[int, str]:
    """Live processes (not zombies) whose environment holds ``marker``: pid → command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"FANGPIN_TEST_MARKER={marker}".encode() not in (entry / "environ").read_bytes():
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
    return found


@contextlib.contextmanager
def _serving(schema: str, workers: int, processes: int, *options: str,
             ) -> Iterator[tuple[subprocess.Popen, str]]:
    """`fangpin serve` on ``schema``, up once its ``processes`` (itself included) run; yields
    it and the marker in its processes' environment, and kills what is left of them after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    marker = uuid.uuid4().hex
    env = {**os.environ, "FANGPIN_DATABASE_URL": POSTGRES_URL,
           "FANGPIN_POSTGRES_SCHEMA": schema, "PYTHONPATH": str(ROOT),
           "FANGPIN_TEST_MARKER": marker}
    if TEST_CIPHER_KEY:
        env["FANGPIN_CIPHER_KEY"] = TEST_CIPHER_KEY
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(port), "--workers",
         str(workers), *options], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # up: the workers answer, the projection process and the tracker run
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    pass
                if len(_marked(marker)) >= processes:
                    break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        process.port = port  # type: ignore[attr-defined]
        yield process, marker
    finally:
        for pid in _marked(marker):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_process_of_serve_outlives_it_killed_with_sigkill(postgres_schema: str) -> None:
    with _serving(postgres_schema, workers=2, processes=5) as (process, marker):
        children = set(_marked(marker)) - {process.pid}
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 10
        while _marked(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _marked(marker)
        assert not left, f"left behind of {sorted(children)}: {left}"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_starts_its_projection_process_again_when_it_dies(postgres_schema: str) -> None:
    with _serving(postgres_schema, workers=1, processes=3) as (process, marker):
        deadline = time.monotonic() + 20
        while not _projection_processes(marker):
            assert time.monotonic() < deadline, "no projection process"
            time.sleep(0.2)
        [projection] = _projection_processes(marker)
        os.kill(projection, signal.SIGKILL)

        # Then another takes its place and follows what is recorded after
        deadline = time.monotonic() + 20
        while _projection_processes(marker) in ([], [projection]):
            assert time.monotonic() < deadline, "no projection process took its place"
            time.sleep(0.2)
        settings = Settings(database_url=POSTGRES_URL, postgres_schema=postgres_schema,
                            cipher_key=TEST_CIPHER_KEY)
        with CaseFiles(settings) as app, Projections(app) as projections:
            app.register_household(registering(), by=COUNTY)
            deadline = time.monotonic() + 20
            while projections.position() < app.max_position():
                assert time.monotonic() < deadline, "the new projection process does not follow"
                time.sleep(0.2)
        assert process.poll() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_are_renewed_after_so_many_requests_and_nothing_goes_unanswered(
        postgres_schema: str) -> None:
    """`--max-requests`: a worker that has served about that many requests makes way for a
    fresh one (a long-lived heap never adds up), while the other serves."""
    with _serving(postgres_schema, 2, 5, "--max-requests", "20") as (process, marker):
        first = set(_marked(marker))
        answered, sent, renewed = 0, 0, set()
        # Which worker accepts a connection is the kernel's choice: on a busy machine one may
        # take most of them, so requests go on (up to 600) until two workers were renewed.
        deadline = time.monotonic() + 120
        while len(renewed) < 2 and sent < 600 and time.monotonic() < deadline:
            for _attempt in range(50):  # a renewed worker may still be starting: the call waits
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{process.port}/health",
                                                timeout=10) as response:
                        answered += response.status == 200
                    break
                except OSError:
                    time.sleep(0.2)
            sent += 1
            if sent % 5 == 0:
                renewed = set(_marked(marker)) - first
        renewed = set(_marked(marker)) - first
        waited = 120 - (deadline - time.monotonic())
        assert answered == sent, f"{sent - answered} of {sent} requests went unanswered"
        assert len(renewed) >= 2, (f"{len(renewed)} workers renewed after {sent} requests in "
                                   f"{waited:.0f} s: {first} → {set(_marked(marker))}")
        assert process.poll() is None


def _projection_processes(marker: str) -> list[int]:
    """The projection processes of the `serve` marked so (spawned by multiprocessing)."""
    return [pid for pid in _marked(marker)
            if Path(f"/proc/{pid}/comm").read_text().strip() == PROJECTION_PROCESS_NAME]


def test_serve_says_the_address_it_actually_serves(tmp_path: Path) -> None:
    """The first line names the workbench and the API at the port given (make run's banner
    once named port 8000 whatever was served)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "FANGPIN_DATABASE_URL": f"sqlite:///{tmp_path / 'county.db'}",
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/web/" in first and f"http://127.0.0.1:{port}/schema" in first
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_one_process_follows_every_countys_read_models_and_none_outlives_serve(
        postgres_schema: str) -> None:
    from application.province import Deployment

    settings = Settings(database_url=POSTGRES_URL, postgres_schema=postgres_schema,
                        cipher_key=TEST_CIPHER_KEY)
    codes = ("130630", "130633")
    with Deployment(settings) as deployment:
        for code in codes:
            deployment.add(code, f"县{code}")
        stores = [deployment.county_settings(code) for code in codes]
    # parent, 2 workers, the root's projection process, the counties' one, the tracker
    with _serving(postgres_schema, workers=2, processes=6) as (process, marker):
        assert len(_projection_processes(marker)) == 2
        for n, store in enumerate(stores):
            with CaseFiles(store) as app, Projections(app) as projections:
                app.register_household(registering(f"13063{n}101001"), by=COUNTY)
                deadline = time.monotonic() + 20
                while projections.position() < app.max_position():
                    assert time.monotonic() < deadline, f"{store.postgres_schema} is not followed"
                    time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 10
        while _marked(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _marked(marker)


def test_serve_on_a_port_taken_says_so_and_announces_no_address(tmp_path: Path) -> None:
    """Another server holds the port: `serve` names the port in Chinese and exits 3, and never
    prints the workbench's address (it once announced it, then failed to bind)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "FANGPIN_DATABASE_URL": f"sqlite:///{tmp_path / 'county.db'}",
               "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(port)], env=env,
            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "http://" not in done.stdout and "工作台：" not in done.stdout
    assert f"端口 {port} 已被占用" in done.stderr
