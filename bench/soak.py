"""`make soak` (``python -m bench.soak``): the served API on PostgreSQL for a set time, with a
county's staff at work, and what it did to the server written to ``docs/soak.md``.

1. A fresh database (``fangpin_soak_<hex>``) with the demo county (``fangpin demo``,
   ``SOAK_HOUSEHOLDS`` households, default 2,000) and its users: one user per simulated worker,
   of every role (the demo's six, and more of each made with `Users.add`, their tokens also their
   workbench passwords).
2. `fangpin serve --workers SOAK_WORKERS` (default 2) in a process of its own: the parent, its
   uvicorn workers and the projection process that follows the log.
3. ``SOAK_USERS`` (default 50) simulated users (`bench.soak_users`) for ``SOAK_MINUTES``
   (default 60), each thinking ``SOAK_THINK`` seconds (default ``1-5``) between actions.
4. At a third of the time the projection process is killed (SIGKILL), and serve starts another
   in its place (`interfaces.serve.ProjectionProcess`); at two thirds the server is stopped
   gracefully (SIGINT) and started again (its own projection process with it). Requests that
   fail while the server restarts are counted as ``restart``, apart from errors.
5. Every ``SOAK_SAMPLE_SECONDS`` (default 60; 15 for runs under 10 minutes) the resident memory
   (VmRSS) of every process of the server and the requests so far.
6. At the end: the read models caught up (every read model's position equal to the log's),
   events in the log against read-model rows (households registered / directory rows, alerts
   raised / alert rows, inclusions / monitoring periods), ``fangpin audit verify``.

``SOAK_SERVER_ENV`` passes settings to the server, e.g. ``FANGPIN_CACHE_MB=0`` to tell the
aggregate cache filling from a leak (other ``FANGPIN_`` variables are not passed on). Each sample
also asks ``/health`` how full each worker's aggregate cache is.

The report goes to ``SOAK_REPORT`` (default ``docs/soak.md``), the server's log beside the
run's other files in ``var/soak/<database>/``. The database is dropped at the end unless
``SOAK_KEEP=1``. Exit status 1 if any request had a 5xx or a connection failure outside a
restart, memory was not flat after warm-up, a count differs, or the audit was not clean.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from application.accounts.access import ROLE_ALIASES, User
from application.accounts.logins import Logins
from application.accounts.users import Users
from application.app import CaseFiles
from application.demo import DEMO_TOKENS, demo_users
from application.settings import Settings
from bench.common import POSTGRES_URL, postgres_database_url
from bench.soak_report import Facts, Sample, flat_verdicts, write_report
from bench.soak_users import DEPARTMENT_RISKS, County, Identity, SimulatedUser, Tally
from domain.codes import Department, Role
from domain.rules import local_date
from interfaces.serve import PROJECTION_PROCESS_NAME

ROOT = Path(__file__).resolve().parent.parent
#: Each role's share of the simulated users (at least one of each).
ROLE_SHARES = {Role.VILLAGE_LIAISON: 0.36, Role.TOWNSHIP_WORKSTATION: 0.16, Role.COUNTY_CENTRE: 0.12,
               Role.DEPARTMENT: 0.16, Role.AUDITOR: 0.08, Role.ASSESSMENT_TEAM: 0.12}
#: Read-model rows that must equal a count of events in the log once the read models caught up.
EQUALITIES = (
    ("households registered (Household.Registered) vs directory rows (rm_households)",
     "fangpin:Household.Registered", "rm_households"),
    ("alerts raised (Household.AlertRaised) vs alert rows (rm_alerts)",
     "fangpin:Household.AlertRaised", "rm_alerts"),
    ("inclusions (Household.MonitoringObjectIncluded) vs monitoring periods (rm_monitoring_periods)",
     "fangpin:Household.MonitoringObjectIncluded", "rm_monitoring_periods"),
)


@dataclass(frozen=True)
class Plan:
    """The run's settings, from the environment."""

    minutes: float = float(os.environ.get("SOAK_MINUTES", "60"))
    users: int = int(os.environ.get("SOAK_USERS", "50"))
    households: int = int(os.environ.get("SOAK_HOUSEHOLDS", "2000"))
    think: tuple[float, float] = tuple(float(x) for x in os.environ.get("SOAK_THINK", "1-5").split("-"))  # type: ignore[assignment]
    workers: int = int(os.environ.get("SOAK_WORKERS", "2"))
    keep: bool = os.environ.get("SOAK_KEEP", "0") == "1"
    report: Path = Path(os.environ.get("SOAK_REPORT", str(ROOT / "docs" / "soak.md")))
    sample_seconds: float = float(os.environ.get("SOAK_SAMPLE_SECONDS", "0")) or (
        60.0 if float(os.environ.get("SOAK_MINUTES", "60")) >= 10 else 15.0)


# ---------------------------------------------------------------------------------- processes


def _proc(pid: int, name: str) -> str:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (VmRSS), MB; None once it is gone."""
    for line in _proc(pid, "status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _proc(int(entry.name), "stat")
            if stat:
                parent = int(stat[stat.rindex(")") + 2:].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


class ServeProcess:
    """`fangpin serve` on PostgreSQL in a process group of its own, its output appended to a log."""

    def __init__(self, database_url: str, workers: int, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.database_url, self.workers, self.log = database_url, workers, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start it; seconds until ``/health`` answered 200."""
        began = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "interfaces.cli", "serve", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=ROOT, env=fangpin_env(self.database_url), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        while time.monotonic() - began < 180:
            if self.process.poll() is not None:
                raise RuntimeError(f"fangpin serve exited ({self.process.returncode}); see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200:
                    return time.monotonic() - began
            time.sleep(0.2)
        raise RuntimeError(f"fangpin serve did not answer in 180 s; see {self.log}")

    def stop(self) -> tuple[float, int | None]:
        """Stop it gracefully (SIGINT, as Ctrl-C); seconds it took and its exit status (None:
        it had to be killed after 60 s)."""
        process, began = self.process, time.monotonic()
        if process is None or process.poll() is not None:
            return 0.0, process.returncode if process else None
        process.send_signal(signal.SIGINT)
        try:
            status: int | None = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            status = None
        # no child may outlive it
        deadline = time.monotonic() + 10
        while len(descendants(process.pid)) > 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        return time.monotonic() - began, status

    def processes(self) -> dict[int, str]:
        """pid -> what it is, for every live process of the server."""
        assert self.process is not None
        found: dict[int, str] = {}
        workers = []
        for pid in descendants(self.process.pid):
            if pid == self.process.pid:
                found[pid] = "serve (parent)"
            elif "resource_tracker" in _proc(pid, "cmdline"):
                found[pid] = "resource tracker"
            elif _proc(pid, "comm").strip() == PROJECTION_PROCESS_NAME:
                found[pid] = "projections"
            elif "spawn_main" in _proc(pid, "cmdline"):
                workers.append(pid)
        for number, pid in enumerate(sorted(workers), 1):
            found[pid] = f"worker {number}"
        return found

    def projection_pid(self) -> int | None:
        return next((pid for pid, what in self.processes().items() if what == "projections"), None)


def fangpin_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGPIN_")}
    env["FANGPIN_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(ROOT)
    env.update(pair.split("=", 1) for pair in os.environ.get("SOAK_SERVER_ENV", "").split())
    return env


def fangpin(database_url: str, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "interfaces.cli", *args], cwd=ROOT,
                          env=fangpin_env(database_url), capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------------------------- the county


def identities(plan: Plan, database_url: str) -> tuple[list[Identity], County]:
    """The simulated users (made in the database) and what they know of the county."""
    with psycopg.connect(database_url) as conn:
        households = [dict(zip(("code", "township", "village"), row, strict=True)) for row in conn.execute(
            "SELECT code, township, village FROM rm_households ORDER BY code")]
        id_numbers: dict[str, list[str]] = {}
        for code, id_number in conn.execute(
                "SELECT h.code, m.id_number FROM rm_members m JOIN rm_households h USING (household_id) "
                "WHERE m.current"):
            id_numbers.setdefault(code, []).append(id_number)
    county = County(today=local_date(datetime.now().astimezone()), households=households,
                    id_numbers=id_numbers)
    counts = {role: max(1, int(plan.users * share)) for role, share in ROLE_SHARES.items()}
    counts[Role.VILLAGE_LIAISON] += plan.users - sum(counts.values())
    demo = {user.role: user for user in demo_users()}
    villages = sorted(county.by_village, key=lambda v: (v != (demo[Role.VILLAGE_LIAISON].township,
                                                               demo[Role.VILLAGE_LIAISON].village),
                                                          -len(county.by_village[v]), v))
    townships = sorted(county.by_township, key=lambda t: (t != demo[Role.TOWNSHIP_WORKSTATION].township,
                                                          -len(county.by_township[t]), t))
    departments = [Department.MEDICAL_INSURANCE,
                   *(d for d in DEPARTMENT_RISKS if d is not Department.MEDICAL_INSURANCE)]
    alias = {role: name for name, role in ROLE_ALIASES.items()}
    people: list[Identity] = []
    with CaseFiles(Settings(database_url=database_url)) as app:
        users = Users(app.factory.datastore, backend="postgres")  # type: ignore[attr-defined]
        logins = Logins(users)
        for role, count in counts.items():
            for index in range(count):
                area: dict[str, Any] = {}
                if role is Role.VILLAGE_LIAISON:
                    area = dict(zip(("township", "village"), villages[index % len(villages)], strict=True))
                elif role is Role.TOWNSHIP_WORKSTATION:
                    area = {"township": townships[index % len(townships)]}
                elif role is Role.DEPARTMENT:
                    area = {"department": departments[index % len(departments)]}
                if index == 0 and all(getattr(demo[role], k) == v for k, v in area.items()):
                    people.append(Identity(demo[role].name, role, DEMO_TOKENS[role], **area))
                    continue
                name = f"soak-{alias[role]}-{index:02d}"
                token = users.add(User(name, role, display_name=f"压测{name}", **area))
                logins.set_password(name, token)
                people.append(Identity(name, role, token, **area))
    return people, county


# ---------------------------------------------------------------------------------- the run


@dataclass
class Run:
    plan: Plan
    database: str
    database_url: str
    directory: Path
    tally: Tally = field(default_factory=Tally)
    samples: list[Sample] = field(default_factory=list)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    began: float = 0.0

    def note(self, text: str) -> None:
        elapsed = time.monotonic() - self.began
        self.timeline.append((elapsed, text))
        print(f"[{elapsed / 60:5.1f} min] {text}", file=sys.stderr, flush=True)

    def log_position(self) -> tuple[int, int]:
        """The log's last position and the lowest position a read model has reached."""
        with psycopg.connect(self.database_url) as conn:
            last = conn.execute("SELECT COALESCE(MAX(notification_id), 0) FROM fangpin_events").fetchone()
            lowest = conn.execute("SELECT MIN(notification_id) FROM fangpin_read_model_tracking "
                                  "WHERE application_name LIKE 'fangpin:%'").fetchone()
        return int(last[0]), int(lowest[0] or 0)  # type: ignore[index]

    def wait_caught_up(self, timeout: float) -> float | None:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            last, lowest = self.log_position()
            if lowest >= last:
                return time.monotonic() - began
            time.sleep(0.5)
        return None


def restart_projections(run: Run, server: ServeProcess) -> None:
    pid = server.projection_pid()
    if pid is None:
        run.note("no projection process found to kill")
        return
    last, lowest = run.log_position()
    os.kill(pid, signal.SIGKILL)
    run.note(f"projection process {pid} killed (SIGKILL) at log position {last:,} "
             f"(read models at {lowest:,})")
    began = time.monotonic()
    replacement = None
    while time.monotonic() - began < 60:  # serve starts another (`interfaces.serve.ProjectionProcess`)
        replacement = server.projection_pid()
        if replacement not in (None, pid):
            break
        time.sleep(0.1)
    if replacement in (None, pid):
        run.note("serve started NO projection process in its place within 60 s")
        return
    run.note(f"serve started projection process {replacement} in its place "
             f"{time.monotonic() - began:.1f} s later")
    caught = run.wait_caught_up(120)
    run.note("read models caught up " + (f"{caught:.1f} s later" if caught is not None
                                         else "NOT within 120 s"))


def restart_server(run: Run, server: ServeProcess) -> None:
    run.tally.restarting = True
    run.note("server restart: stopping (SIGINT)")
    took, status = server.stop()
    run.note(f"server stopped in {took:.1f} s (exit status {status})")
    up = server.start()
    run.note(f"server started again, healthy {up:.1f} s later")
    time.sleep(2)
    run.tally.restarting = False
    run.note("restart window closed")


def cache_fills(port: int, workers: set[int], asks: int = 20) -> dict[int, tuple[int, int, int]]:
    """pid -> (entries, bytes, bound) of each worker's aggregate cache, from ``/health`` asked on
    a new connection each time (whichever worker accepts it answers) until every worker has."""
    fills: dict[int, tuple[int, int, int]] = {}
    for _ in range(asks):
        if workers <= fills.keys():
            break
        with contextlib.suppress(httpx.HTTPError, KeyError, TypeError, ValueError):
            cache = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["cache"]
            fills[int(cache["process"])] = (int(cache["entries"]), int(cache["bytes"]),
                                            int(cache["bound"]))
    return fills


async def sample_memory(run: Run, server: ServeProcess, deadline: float) -> None:
    while True:
        processes = server.processes() if server.process and server.process.poll() is None else {}
        memory = {(what, pid): rss for pid, what in processes.items() if (rss := rss_mb(pid)) is not None}
        memory[("soak clients", os.getpid())] = rss_mb(os.getpid()) or 0.0
        last, lowest = run.log_position()
        workers = ({pid for pid, what in processes.items() if what.startswith("worker")}
                   or {pid for pid, what in processes.items() if what == "serve (parent)"})
        cache = await asyncio.to_thread(cache_fills, server.port, workers)
        run.samples.append(Sample(time.monotonic() - run.began, memory, run.tally.total("requests"),
                                  run.tally.total("server_errors") + run.tally.total("connection"),
                                  last - lowest, cache))
        if time.monotonic() >= deadline:
            return
        await asyncio.sleep(min(run.plan.sample_seconds, max(0.0, deadline - time.monotonic())))


async def drive(run: Run, server: ServeProcess, people: list[Identity], county: County) -> None:
    plan = run.plan
    run.began = time.monotonic()
    deadline = run.began + plan.minutes * 60
    users = [SimulatedUser(who, county, run.tally, server.port, plan.think, seed)
             for seed, who in enumerate(people)]

    async def scheduled(at: float, action: Any) -> None:
        await asyncio.sleep(max(0.0, run.began + at - time.monotonic()))
        await asyncio.to_thread(action, run, server)

    await asyncio.gather(*(user.run(deadline) for user in users), sample_memory(run, server, deadline),
                         scheduled(plan.minutes * 60 / 3, restart_projections),
                         scheduled(plan.minutes * 60 * 2 / 3, restart_server))


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in _proc(1, "../cpuinfo").splitlines()
                  if line.startswith("model name")), "?")
    memory = next((int(line.split()[1]) // 1024 for line in _proc(1, "../meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} CPUs ({model}), {memory:,} MB RAM, Python {sys.version.split()[0]}"


def finish(run: Run, server: ServeProcess, events_before: int) -> Facts:
    facts = Facts(events_before=events_before)
    caught = run.wait_caught_up(300)
    facts.caught_up = caught
    run.note("read models caught up" + (f" {caught:.1f} s after the last request" if caught is not None else
                                         ": NOT within 300 s"))
    facts.projection_status = fangpin(run.database_url, "projections", "status").stdout.strip()
    with psycopg.connect(run.database_url) as conn:
        facts.events_after = int(conn.execute("SELECT COUNT(*) FROM fangpin_events").fetchone()[0])  # type: ignore[index]
        last = int(conn.execute("SELECT MAX(notification_id) FROM fangpin_events").fetchone()[0])  # type: ignore[index]
        for name, position in conn.execute(
                "SELECT application_name, notification_id FROM fangpin_read_model_tracking "
                "WHERE application_name LIKE 'fangpin:%' ORDER BY 1"):
            model = name.split(":", 1)[1]
            facts.equalities.append((f"log position vs read model {model}", last, int(position)))
        for label, topic, table in EQUALITIES:
            events = conn.execute("SELECT COUNT(*) FROM fangpin_events WHERE topic = %s", (topic,)).fetchone()
            rows = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # our own table names
            facts.equalities.append((label, int(events[0]), int(rows[0])))  # type: ignore[index]
        facts.postgres = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
    took, status = server.stop()
    run.note(f"server stopped in {took:.1f} s (exit status {status})")
    verify = fangpin(run.database_url, "audit", "verify", "--format", "json")
    facts.audit = verify.stdout.strip() or verify.stderr.strip()
    with contextlib.suppress(json.JSONDecodeError):
        facts.audit_clean = verify.returncode == 0 and bool(json.loads(verify.stdout)["clean"])
    log = server.log.read_text(errors="replace")
    facts.tracebacks = [block for block in log.split("Traceback (most recent call last):")[1:]][:5]
    facts.traceback_count = log.count("Traceback (most recent call last):")
    return facts


def main() -> int:
    plan = Plan()
    database = f"fangpin_soak_{uuid.uuid4().hex[:8]}"
    database_url = postgres_database_url(database)
    directory = ROOT / "var" / "soak" / database
    directory.mkdir(parents=True, exist_ok=True)
    run = Run(plan, database, database_url, directory)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    server = ServeProcess(database_url, plan.workers, directory / "serve.log")
    try:
        began = time.monotonic()
        demo = fangpin(database_url, "demo", "--households", str(plan.households))
        if demo.returncode:
            raise RuntimeError(f"fangpin demo failed: {demo.stderr[-2000:]}")
        people, county = identities(plan, database_url)
        events_before, _ = run.log_position()
        print(f"demo county of {plan.households:,} households ({events_before:,} events) and "
              f"{len(people)} users ready in {time.monotonic() - began:.0f} s; database {database}",
              file=sys.stderr)
        up = server.start()
        print(f"fangpin serve --workers {plan.workers} on port {server.port}, healthy in {up:.1f} s; "
              f"soaking for {plan.minutes:g} minutes", file=sys.stderr)
        asyncio.run(drive(run, server, people, county))
        run.note("users stopped")
        facts = finish(run, server, events_before)
        facts.machine, facts.database = machine(), database
        facts.households, facts.users = len(county.households), people
        verdicts = flat_verdicts(run.samples, plan.minutes)
        ok = write_report(plan.report, plan, run, facts, verdicts)
        print(f"report: {plan.report}; server log: {server.log}", file=sys.stderr)
        return 0 if ok else 1
    finally:
        server.stop()
        if not plan.keep:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
