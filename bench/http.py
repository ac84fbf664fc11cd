"""The HTTP API as its clients see it: a real server process (`fangpin serve`, uvicorn) driven
over loopback by concurrent keep-alive clients, beside the same work called in-process.

- commands: ``POST /api/households/{code}/visits`` (all six checks passing), every command on a
  different demo household, from ``COMMAND_CLIENTS`` (8) concurrent clients, against
  `CaseFiles.record_visit` called by as many threads in the bench process on the same store, in
  alternating runs (target: HTTP at least 60% of direct). Three baselines: the application
  alone on households not yet touched ("cold": loaded from snapshot + events, as most of a
  county's visits are), the same on households live in its cache ("warm"), and the application
  with its read models following in a thread of the same process, as the server also keeps
  them (so the HTTP layer's own share shows);
- queries: ``GET /api/monitoring?limit=50`` (the county's first page, and one township's) from
  50 clients, latency p50/p95/p99 as the client sees it, against
  `ReadModels.monitoring_list` called by 50 threads in-process with the same pacing (target:
  p99 under 30 ms). Clients are closed-loop: each sends a request, waits for the answer, thinks
  a random 0–2 s (a county's desks), 0–0.5 s (a busy day) or not at all (saturation: the most
  the server can do), then sends the next; the achieved request rate is reported with each.

The client (`Client`) is a plain HTTP/1.1 client on asyncio streams, one keep-alive connection
per client, in the bench process: it costs ~0.15 ms of CPU a request where httpx costs 1–6 ms,
which matters because client, server and database share the machine (2 CPUs where this was
written); both clients' costs are measured and reported (`_floor`). The server is paused
(SIGSTOP) during the in-process phases, and its read models are caught up after every phase,
so neither side pays for the other's work.

The county is the demo county of ``FANGPIN_BENCH_HOUSEHOLDS`` households (default 175,000: about
a million events; ``--quick``: ``FANGPIN_BENCH_QUICK_HOUSEHOLDS``, default 5,000), with its read
models caught up and the demo users. It is built once and kept (``var/bench/`` for SQLite, a
database ``fangpin_bench_county_<N>_s2025`` for PostgreSQL; ``FANGPIN_BENCH_CACHE=0`` builds a
throw-away one instead); every run works on a fresh copy of it, so the commands it records do
not accumulate. A kept county is brought up to date whenever it is used (`_freshen`: the demo's
push receipts and meetings if an older revision built it without them, and the read models
caught up, a read model whose tables' version changed rebuilt). Drop the kept PostgreSQL county
with ``DROP DATABASE fangpin_bench_county_…``. The indicators benchmark (`bench.indicators`)
reads copies of the same county.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psycopg

from application.accounts.users import Users
from application.app import CaseFiles
from application.commands import RecordVisit
from application.demo import DEMO_TOKENS, demo_users, ensure_demo_users, load_demo
from application.demo.governance import ensure_governance
from application.demo.window import DEMO_UNTIL, DemoWindow
from application.settings import Settings
from bench.common import ALL_PASSED, POSTGRES_URL, Client, Request, Result, postgres_database_url
from domain.codes import Role
from projections.queries import ReadModels
from projections.runner import Projections

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / "var" / "bench"
SEED = 2025
HOUSEHOLDS = int(os.environ.get("FANGPIN_BENCH_HOUSEHOLDS", "175000"))
QUICK_HOUSEHOLDS = int(os.environ.get("FANGPIN_BENCH_QUICK_HOUSEHOLDS", "5000"))
CACHE = os.environ.get("FANGPIN_BENCH_CACHE", "1") != "0"
#: Concurrent clients (and, in-process, threads) sending commands.
COMMAND_CLIENTS = int(os.environ.get("FANGPIN_BENCH_HTTP_CLIENTS", "8"))
#: Server processes on PostgreSQL (`fangpin serve --workers`); SQLite always serves from one.
WORKERS = int(os.environ.get("FANGPIN_BENCH_HTTP_WORKERS", "1"))
QUERY_CLIENTS = 50
LATENCY_LIMIT_MS = 30.0
TOKEN = DEMO_TOKENS[Role.COUNTY_CENTRE]
VISITED_ON = date(2025, 12, 15)
NOTES: list[str] = []


@dataclass(frozen=True)
class Size:
    """How much each measure does: full size or ``--quick``."""

    households: int
    repeats: int
    commands: int  # per run and side
    seconds: float  # per query phase and side
    rounds: int  # alternating HTTP / in-process query phases


def size(quick: bool, repeats: int) -> Size:
    if quick:
        return Size(QUICK_HOUSEHOLDS, repeats, commands=300, seconds=3.0, rounds=1)
    return Size(HOUSEHOLDS, repeats, commands=1500, seconds=6.0, rounds=2)


#: Query pacing: (label, mean think time in seconds between a client's answer and its next
#: request, think drawn uniformly from 0 to twice the mean; 0 = closed loop with no think,
#: the most the server can do), and whether the 30 ms p99 target applies.
PACING = (("think 0–2 s", 1.0, True), ("think 0–0.5 s", 0.25, True), ("no think (saturated)", 0.0, False))


def run(backend: str, *, quick: bool = False, repeats: int = 5) -> list[Result]:
    work = size(quick, repeats)
    began = time.perf_counter()
    with working_county(backend, work.households) as (settings, how):
        NOTES.append(f"{backend}: {how}; the working copy was ready {time.perf_counter() - began:.0f} s "
                     "after the start.")
        app = CaseFiles(settings)
        projections = Projections(app)
        try:
            projections.catch_up()
            codes = [r["code"] for r in projections.store.fetch(
                f"SELECT code FROM {projections.store.qualified('rm_households')} ORDER BY code")]
            township = projections.store.fetch(
                f"SELECT township, COUNT(*) AS n FROM {projections.store.qualified('rm_monitoring')} "
                "GROUP BY township ORDER BY n DESC, township LIMIT 1")[0]["township"]
            with Server(settings, backend) as server:
                results = _commands(backend, server, app, codes, work)
                results += _queries(backend, server, ReadModels(projections.store, app.clock), township, work)
                NOTES.append(f"{backend}: {_floor(server)}")
        finally:
            projections.close()
            app.close()
    return results


# ---------------------------------------------------------------------------------- the county


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def _build(settings: Settings, households: int) -> int:
    """Load the demo county with its users and read models; returns the events in the log."""
    with CaseFiles(settings) as app:
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if done == total or time.monotonic() - last[0] > 10:
                last[0] = time.monotonic()
                print(f"\r  demo county: {done:,}/{total:,} households", end="\n" if done >= total else "",
                      file=sys.stderr, flush=True)

        load_demo(app, households=households, seed=SEED, progress=progress)
        ensure_demo_users(Users(app.factory.datastore, backend=settings.backend))  # type: ignore[attr-defined]
        with Projections(app) as projections:
            projections.catch_up()
        return app.max_position()


@contextlib.contextmanager
def working_county(backend: str, households: int) -> Iterator[tuple[Settings, str]]:
    """Settings on a fresh working copy of the demo county (built first if not kept yet)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="fangpin-http-") as tmp:
            work = Path(tmp) / "county.sqlite3"
            if not CACHE:
                began = time.perf_counter()
                events = _build(Settings(sqlite_path=work), households)
                yield Settings(sqlite_path=work), (f"demo county of {households:,} households, "
                                                   f"{events:,} events, built in "
                                                   f"{time.perf_counter() - began:.0f} s (not kept)")
                return
            kept, how = _kept_sqlite_county(households)
            for source in (kept, _read_models_file(kept)):
                shutil.copyfile(source, work.parent / source.name.replace(kept.stem, work.stem))
            yield Settings(sqlite_path=work), how
        return
    name = f"fangpin_bench_run_{uuid.uuid4().hex[:8]}"
    try:
        if CACHE:
            template, how = _kept_postgres_county(households)
            with _admin() as conn:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            with _admin() as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            began = time.perf_counter()
            events = _build(Settings(database_url=postgres_database_url(name)), households)
            how = (f"demo county of {households:,} households, {events:,} events, built in "
                   f"{time.perf_counter() - began:.0f} s (not kept)")
        yield Settings(database_url=postgres_database_url(name)), how
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _read_models_file(log: Path) -> Path:
    return log.with_name(f"{log.stem}.read-models{log.suffix}")


def _kept_sqlite_county(households: int) -> tuple[Path, str]:
    """The kept SQLite county (log and read models, WAL checkpointed into the files)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    log = CACHE_DIR / f"county-{households}-s{SEED}.sqlite3"
    marker = log.with_suffix(".json")
    if marker.exists():
        facts = json.loads(marker.read_text())
        began = time.perf_counter()
        events, read = _freshen(Settings(sqlite_path=log))
        how = f"demo county of {households:,} households, {events:,} events (kept in {log}"
        if events == facts["events"] and not read:
            return log, how + ")"
        _checkpoint(log)
        marker.write_text(json.dumps({**facts, "events": events}))
        return log, how + f", brought up to date in {time.perf_counter() - began:.0f} s)"
    for path in CACHE_DIR.glob(f"{log.stem}*"):
        path.unlink()
    began = time.perf_counter()
    events = _build(Settings(sqlite_path=log), households)
    _checkpoint(log)
    elapsed = time.perf_counter() - began
    marker.write_text(json.dumps({"households": households, "seed": SEED, "events": events,
                                  "built_seconds": round(elapsed)}))
    return log, (f"demo county of {households:,} households, {events:,} events, built in "
                 f"{elapsed:.0f} s and kept in {log}")


def _checkpoint(log: Path) -> None:
    """The WAL of the log and of its read models written into their files (so a copy of the two
    files is the whole county)."""
    for path in (log, _read_models_file(log)):
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _freshen(settings: Settings) -> tuple[int, int]:
    """A kept county brought up to date, cheaply when it is: the demo's push receipts and
    meetings unless recorded (a county built before the demo had them; `load_demo` records them
    after the households, and here so without generating the households again), then every
    read model caught up (a read model whose tables' version changed is emptied when its store
    opens, and filled again). Returns the events in the log and the notifications read."""
    with CaseFiles(settings) as app:
        ensure_governance(app, DemoWindow.ending(DEMO_UNTIL), SEED)
        with Projections(app) as projections:
            read = projections.catch_up()
        return app.max_position(), read


def _kept_postgres_county(households: int) -> tuple[str, str]:
    """The name of the kept PostgreSQL county database (used as a template)."""
    name = f"fangpin_bench_county_{households}_s{SEED}"
    with _admin() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists:
        try:
            with psycopg.connect(postgres_database_url(name)) as conn:
                row = conn.execute("SELECT events FROM fangpin_bench_county").fetchone()
        except psycopg.Error:
            row = None  # an interrupted build: start again
        if row:
            began = time.perf_counter()
            events, read = _freshen(Settings(database_url=postgres_database_url(name)))
            how = f"demo county of {households:,} households, {events:,} events (kept in {name}"
            if events == row[0] and not read:
                return name, how + ")"
            with psycopg.connect(postgres_database_url(name), autocommit=True) as conn:
                conn.execute("UPDATE fangpin_bench_county SET events = %s", (events,))
                conn.execute("VACUUM ANALYZE")
            return name, how + f", brought up to date in {time.perf_counter() - began:.0f} s)"
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    began = time.perf_counter()
    events = _build(Settings(database_url=postgres_database_url(name)), households)
    elapsed = time.perf_counter() - began
    with psycopg.connect(postgres_database_url(name), autocommit=True) as conn:
        conn.execute("CREATE TABLE fangpin_bench_county (households int, seed int, events bigint)")
        conn.execute("INSERT INTO fangpin_bench_county VALUES (%s, %s, %s)", (households, SEED, events))
        conn.execute("VACUUM ANALYZE")
    return name, (f"demo county of {households:,} households, {events:,} events, built in "
                  f"{elapsed:.0f} s and kept in {name}")


# ---------------------------------------------------------------------------------- the server


class Server:
    """`fangpin serve` in a process of its own, on a free loopback port, for one back end."""

    def __init__(self, settings: Settings, backend: str, argv: list[str] | None = None) -> None:
        """``argv``: the command that serves (default ``python -m interfaces.cli serve``), given
        ``--host``, ``--port`` and ``--workers``."""
        self.settings = settings
        self.argv = argv or [sys.executable, "-m", "interfaces.cli", "serve"]
        self.backend = backend
        self.workers = WORKERS if backend == "postgres" else 1
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        handle, name = tempfile.mkstemp(prefix="fangpin-serve-", suffix=".log")
        self.log = os.fdopen(handle, "wb")
        self.log_path = Path(name)

    def __enter__(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FANGPIN_")}
        if self.settings.backend == "sqlite":
            env["FANGPIN_SQLITE_PATH"] = str(self.settings.sqlite_file)
        else:
            env["FANGPIN_DATABASE_URL"] = self.settings.database_url or ""
        self.process = subprocess.Popen(
            [*self.argv, "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fangpin serve exited ({self.process.returncode}): {self._tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"fangpin serve did not answer in 180 s: {self._tail()}")

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The server's processes stopped (SIGSTOP to the group it was started in), so that
        nothing of it, its read-model follower least of all, runs during an in-process phase;
        called only when its read models have caught up (`sync`), so it holds no lock."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self.process.pid, signal.SIGCONT)

    def __exit__(self, *exc: object) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the group this server was started in
                process.wait()
        self.log.close()
        self.log_path.unlink(missing_ok=True)

    def _tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-2000:]

    def cpu(self) -> float:
        """CPU seconds used so far by the server process and its children (the projection
        worker on PostgreSQL, uvicorn's workers)."""
        assert self.process is not None
        return _cpu_of_tree(self.process.pid)

    def sync(self, position: int) -> None:
        """Wait until the server's read models have reached ``position`` (so the follower's
        catching up does not land in the next measured phase)."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            answer = httpx.get(f"{self.url}/api/monitoring", params={"limit": 1, "after": position},
                               headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
            if answer.status_code == 200:
                return
            if answer.status_code != 503:
                raise RuntimeError(f"sync: {answer.status_code} {answer.text[:300]}")
        raise RuntimeError(f"the server's read models did not reach {position}")


def _proc_stats() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        stats[int(entry.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    return stats


def _cpu_of_tree(root: int) -> float:
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][2]
        todo.extend(children.get(pid, ()))
    return total


def _postgres_cpu(backend: str) -> float:
    """CPU seconds used so far by every PostgreSQL server process (0 on SQLite, or when the
    database is not on this machine)."""
    if backend != "postgres":
        return 0.0
    return sum(cpu for _, name, cpu in _proc_stats().values() if name.startswith("postgres"))


# ---------------------------------------------------------------------------------- load drivers


@dataclass
class Phase:
    """What one measured phase did, from the client's side."""

    latencies: list[float] = field(default_factory=list)  # seconds
    elapsed: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    database_cpu: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed

    def per_request_us(self, cpu: float) -> float:
        return cpu / max(self.done, 1) * 1e6


def http_phase(server: Server, clients: int, next_request: Callable[[], Request | None], *,
               expect: int, think: float = 0.0, seconds: float | None = None) -> Phase:
    """``clients`` concurrent clients, each on one keep-alive connection, sending
    ``next_request()`` until it gives None or ``seconds`` have passed; each waits for its
    answer, then thinks for a time drawn uniformly from 0 to ``2 * think`` seconds before the
    next (a closed loop; ``think=0``: the next request at once)."""
    return asyncio.run(_http_phase(server, clients, next_request, expect, think, seconds))


async def _http_phase(server: Server, clients: int, next_request: Callable[[], Request | None],
                      expect: int, think: float, seconds: float | None) -> Phase:
    phase = Phase()
    async with contextlib.AsyncExitStack() as stack:
        # Every connection open first: the phase measures requests, not TCP handshakes.
        connections = [await stack.enter_async_context(Client(server.port, TOKEN))
                       for _ in range(clients)]
        deadline = float("inf")

        async def pause(rng: random.Random) -> None:
            await asyncio.sleep(min(rng.uniform(0, 2 * think), max(0.0, deadline - time.perf_counter())))

        async def one(index: int) -> None:
            client, rng = connections[index], random.Random(index)
            if think:  # users start spread out, not in one burst
                await pause(rng)
            while time.perf_counter() < deadline:
                request = next_request()
                if request is None:
                    return
                data = client.encode(request)
                began = time.perf_counter()
                status, body = await client.send(data)
                phase.latencies.append(time.perf_counter() - began)
                if status != expect and len(phase.errors) < 5:
                    phase.errors.append(f"{request[0]} {request[1]}: {status} {body[:200]!r}")
                if think:
                    await pause(rng)

        server_cpu, client_cpu = server.cpu(), time.process_time()
        database_cpu = _postgres_cpu(server.backend)
        began = time.perf_counter()
        if seconds is not None:
            deadline = began + seconds
        await asyncio.gather(*(one(i) for i in range(clients)))
        phase.elapsed = time.perf_counter() - began
        phase.client_cpu = time.process_time() - client_cpu
        phase.server_cpu = server.cpu() - server_cpu
        phase.database_cpu = _postgres_cpu(server.backend) - database_cpu
    if phase.errors:
        raise RuntimeError(f"unexpected answers: {phase.errors}")
    return phase


async def _httpx_phase(server: Server, clients: int, path: str, seconds: float) -> Phase:
    """``GET path`` by httpx.AsyncClient (one pool of ``clients`` keep-alive connections) in a
    closed loop: how much the usual client costs, for comparison with `Client`."""
    phase = Phase()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
        await asyncio.gather(*(client.get(path) for _ in range(clients)))
        deadline = time.perf_counter() + seconds

        async def one() -> None:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                answer = await client.get(path)
                phase.latencies.append(time.perf_counter() - began)
                answer.raise_for_status()

        server_cpu, client_cpu, began = server.cpu(), time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(clients)))
        phase.elapsed = time.perf_counter() - began
        phase.client_cpu = time.process_time() - client_cpu
        phase.server_cpu = server.cpu() - server_cpu
    return phase


def direct_phase(threads: int, next_call: Callable[[], Callable[[], Any] | None], *, backend: str,
                 think: float = 0.0, seconds: float | None = None) -> Phase:
    """The same closed loop in-process: ``threads`` threads each calling ``next_call()()``."""
    phase = Phase()
    lock = threading.Lock()
    failures: list[BaseException] = []
    deadline = [float("inf")]

    def worker(index: int) -> None:
        rng = random.Random(index)
        try:
            if think:
                time.sleep(min(rng.uniform(0, 2 * think), max(0.0, deadline[0] - time.perf_counter())))
            while time.perf_counter() < deadline[0]:
                with lock:
                    call = next_call()
                if call is None:
                    return
                began = time.perf_counter()
                call()
                phase.latencies.append(time.perf_counter() - began)
                if think:
                    time.sleep(min(rng.uniform(0, 2 * think), max(0.0, deadline[0] - time.perf_counter())))
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    database_cpu, cpu = _postgres_cpu(backend), time.process_time()
    began = time.perf_counter()
    if seconds is not None:
        deadline[0] = began + seconds
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    phase.elapsed = time.perf_counter() - began
    phase.client_cpu = time.process_time() - cpu  # here: the application's own CPU
    phase.database_cpu = _postgres_cpu(backend) - database_cpu
    if failures:
        raise failures[0]
    return phase


def _supplier(items: Iterator[Any]) -> Callable[[], Any]:
    lock = threading.Lock()

    def supply() -> Any:
        with lock:
            return next(items, None)

    return supply


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


# ---------------------------------------------------------------------------------- commands


def _visit_body(visit_id: str) -> bytes:
    body = {"visit_id": visit_id, "visitor": "网格员", "checks": {str(c): True for c in ALL_PASSED},
            "occurred_on": VISITED_ON.isoformat()}
    return json.dumps(body, ensure_ascii=False).encode()


def _commands(backend: str, server: Server, app: CaseFiles, codes: list[str], work: Size) -> list[Result]:
    """Visits on households that no command of this run has touched yet ("cold": loaded from
    the last snapshot and the events after it, as most of a county's visits are), and on a
    set visited once before each run ("warm": the live household in the cache); in-process
    by the application alone, and by the application with its read models following in a
    thread of the same process, as the SQLite server runs them."""
    clients = COMMAND_CLIENTS
    by = next(u for u in demo_users() if u.role is Role.COUNTY_CENTRE).actor
    pool = codes[:]
    random.Random(SEED).shuffle(pool)
    needed = 2 * work.commands * (2 * work.repeats + 1) + 2 * 200
    if len(pool) < needed:
        raise RuntimeError(f"{len(pool):,} households are too few for {needed:,} commands on distinct ones")
    run_id = uuid.uuid4().hex[:6]
    serial = iter(range(10**9))

    def take(count: int) -> list[str]:
        taken, pool[:count] = pool[:count], []
        return taken

    def over_http(batch: list[str]) -> Phase:
        requests = iter([("POST", f"/api/households/{code}/visits",
                          _visit_body(f"H{run_id}-{next(serial)}"), None) for code in batch])
        phase = http_phase(server, clients, _supplier(requests), expect=201)
        server.sync(app.max_position())
        return phase

    def in_process(batch: list[str], app: CaseFiles = app) -> Phase:
        def call(code: str) -> Callable[[], Any]:
            visit_id = f"D{run_id}-{next(serial)}"
            visit = RecordVisit(visit_id=visit_id, visitor="网格员", checks=ALL_PASSED,
                                occurred_on=VISITED_ON)
            return lambda: app.execute(code, visit, by=by)
        with server.paused():
            phase = direct_phase(clients, _supplier(call(code) for code in batch), backend=backend)
        server.sync(app.max_position())
        return phase

    def measure(label: str, direct: Callable[[list[str]], Phase], warm: bool = False) -> Result:
        if warm:  # the same households every run, each visited once first: live in the cache
            http_batch, direct_batch = take(work.commands), take(work.commands)
            over_http(http_batch)
            direct(direct_batch)
        http_runs, direct_runs, ratios = [], [], []
        for _ in range(work.repeats):
            if not warm:  # households no command of this run has touched
                http_batch, direct_batch = take(work.commands), take(work.commands)
            http_runs.append(over_http(http_batch))
            direct_runs.append(direct(direct_batch))
            ratios.append(http_runs[-1].rate / direct_runs[-1].rate)
        NOTES.append(f"{backend}: commands, {label}: {_breakdown(http_runs, direct_runs)}")
        return Result(f"HTTP POST …/visits by {clients} clients vs {label}", backend,
                      statistics.median(r.rate for r in http_runs),
                      statistics.median(r.rate for r in direct_runs),
                      target=0.60, paired_ratio=statistics.median(ratios))

    # Warm-up (not measured): first requests, connection pools, the server's cache of users.
    over_http(take(200))
    in_process(take(200))
    results = [
        measure(f"direct `CaseFiles.record_visit` by {clients} threads, cold households", in_process),
        measure(f"direct `CaseFiles.record_visit` by {clients} threads, warm households (live in the cache)",
                in_process, warm=True),
    ]
    def following(batch: list[str]) -> Phase:
        """In-process with a follower thread, open only for the run: so it does not race the
        server's follower on the server's own events."""
        with CaseFiles(app.settings) as other, Projections(other) as projections:
            projections.follow()
            return in_process(batch, other)

    results.append(measure(
        "direct, cold households, with the read models following in the same process", following))
    return results


def _breakdown(http_runs: list[Phase], direct_runs: list[Phase]) -> str:
    """Where the time of one command goes, per side, from the CPU the processes used."""

    def median(runs: list[Phase], what: Callable[[Phase], float]) -> float:
        return statistics.median(what(r) for r in runs)

    latency = statistics.median(statistics.median(r.latencies) for r in http_runs) * 1000
    direct_latency = statistics.median(statistics.median(r.latencies) for r in direct_runs) * 1000
    text = (f"HTTP {median(http_runs, lambda r: r.rate):,.0f}/s, median latency {latency:.1f} ms; "
            f"CPU per command: server {median(http_runs, lambda r: r.per_request_us(r.server_cpu)):,.0f} µs, "
            f"client {median(http_runs, lambda r: r.per_request_us(r.client_cpu)):,.0f} µs")
    if any(r.database_cpu for r in http_runs):
        text += f", PostgreSQL {median(http_runs, lambda r: r.per_request_us(r.database_cpu)):,.0f} µs"
    text += (f". Direct {median(direct_runs, lambda r: r.rate):,.0f}/s, median latency "
             f"{direct_latency:.1f} ms; CPU per command: application "
             f"{median(direct_runs, lambda r: r.per_request_us(r.client_cpu)):,.0f} µs")
    if any(r.database_cpu for r in direct_runs):
        text += f", PostgreSQL {median(direct_runs, lambda r: r.per_request_us(r.database_cpu)):,.0f} µs"
    return text + "."


# ---------------------------------------------------------------------------------- queries


def _queries(backend: str, server: Server, read: ReadModels, township: str, work: Size) -> list[Result]:
    """The monitoring list's first page of 50, for the county and for one township, at 50
    clients with each pacing, HTTP and in-process in alternating phases."""
    results = []
    variants: list[tuple[str, dict[str, Any], tuple[Any, ...]]] = [
        ("", {}, PACING),
        (f"&township={township}", {"township": township}, PACING[:1]),
    ]
    for query, filters, pacings in variants:
        for label, think, limited in pacings:
            http_runs, direct_runs = [], []
            for _ in range(work.rounds):
                requests = _forever(("GET", "/api/monitoring", None, {"limit": 50, **filters}))
                http_runs.append(http_phase(server, QUERY_CLIENTS, requests, expect=200, think=think,
                                            seconds=work.seconds))
                calls = _forever(lambda filters=filters: read.monitoring_list(limit=50, **filters))
                with server.paused():
                    direct_runs.append(direct_phase(QUERY_CLIENTS, calls, backend=backend, think=think,
                                                    seconds=work.seconds))
            http = _pooled(http_runs)
            direct = _pooled(direct_runs)
            h50, h95, h99 = (_percentile(http.latencies, f) * 1000 for f in (0.5, 0.95, 0.99))
            d50, d95, d99 = (_percentile(direct.latencies, f) * 1000 for f in (0.5, 0.95, 0.99))
            results.append(Result(
                f"GET /api/monitoring?limit=50{query} p99 at {QUERY_CLIENTS} clients, {label}: "
                f"{http.rate:,.0f} req/s, p50 {h50:.1f} / p95 {h95:.1f} ms; vs direct "
                f"`monitoring_list` p99 ({direct.rate:,.0f}/s, p50 {d50:.1f} / p95 {d95:.1f} ms)",
                backend, h99, d99, unit=" ms", limit=LATENCY_LIMIT_MS if limited else None))
            cpu = (f"server {http.per_request_us(http.server_cpu):,.0f} µs, "
                   f"client {http.per_request_us(http.client_cpu):,.0f} µs")
            if http.database_cpu:
                cpu += f", PostgreSQL {http.per_request_us(http.database_cpu):,.0f} µs"
            NOTES.append(f"{backend}: monitoring list{query or ' (county)'}, {label}: {http.done:,} requests "
                         f"in {http.elapsed:.0f} s; CPU per request: {cpu}; in-process "
                         f"{direct.per_request_us(direct.client_cpu):,.0f} µs.")
    return results


def _forever(item: Any) -> Callable[[], Any]:
    return lambda: item


def _pooled(runs: list[Phase]) -> Phase:
    pooled = Phase()
    for run in runs:
        pooled.latencies += run.latencies
        pooled.elapsed += run.elapsed
        pooled.client_cpu += run.client_cpu
        pooled.server_cpu += run.server_cpu
        pooled.database_cpu += run.database_cpu
    return pooled


def _floor(server: Server) -> str:
    """The fastest the client and the server's HTTP stack go together: ``GET /health`` (an
    async handler: no token, no thread, no database) in a closed loop, by our client and by
    httpx."""
    ours = http_phase(server, COMMAND_CLIENTS, _forever(("GET", "/health", None, None)), expect=200,
                      seconds=3.0)
    theirs = asyncio.run(_httpx_phase(server, COMMAND_CLIENTS, "/health", 3.0))

    def line(phase: Phase) -> str:
        return (f"{phase.rate:,.0f} req/s, median {statistics.median(phase.latencies) * 1000:.1f} ms, "
                f"CPU per request: server {phase.per_request_us(phase.server_cpu):,.0f} µs, "
                f"client {phase.per_request_us(phase.client_cpu):,.0f} µs")

    return (f"HTTP floor, `GET /health` by {COMMAND_CLIENTS} clients in a closed loop: {line(ours)}; "
            f"the same by httpx.AsyncClient: {line(theirs)}.")
