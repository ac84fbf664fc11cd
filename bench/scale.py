"""How each cost grows with the county: the same measures at several county sizes (issue 9).

For each size (households of the synthetic demo county) and each back end, on a fresh store:

- **demo load** (a child process, so its peak RSS is its own): `load_demo`, events/s, against
  plain SQL inserting the same rows into a table of the same shape, a transaction per 1,200 rows
  (what a demo batch of 200 households saves);
- **rebuild** (a child process): `Projections.rebuild()` of every read model, events/s, against
  plain SQL reading the log in batches and upserting a row per household into six tables;
- **monitoring list**: a page of 50 (township + category, with its total), p50 and p95 ms over
  200 queries, against the same SELECT and COUNT in plain SQL;
- **indicators**: every indicator of the year, current (from the indicator-facts read model),
  seconds, against plain SQL reading and JSON-decoding those rows;
- **history replay**: one household's full history (`CaseFiles.history`, a cold application:
  no cached state), ms per household (p50 of 200), against plain SQL reading its rows and
  JSON-decoding them;
- **commands**: a monthly visit on a random household (so mostly cold ones), commands/s, against
  a one-row insert per transaction in plain SQL;
- **verify**: the whole hash chain, events/s, against a plain read of the log;
- **peak memory** of the demo load and of the rebuild (max RSS of their processes).

Every ratio is ours / raw as a rate (for times: raw time / ours), measured in the same run.
A cost is *linear* when its per-event figure (rates), per-household figure (indicators, and list
pages, whose total counts every matching row) or per-query figure (history, commands) at the
largest size stays within 1.5× (per-query: 2×) of the smallest; peak memory should differ by less
than 2×.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench.common import POSTGRES_URL, timed

SIZES = (10_000, 50_000)
LARGE = 250_000
QUERIES = 200
HISTORIES = 200
COMMANDS = 300


@dataclass
class Measure:
    name: str
    unit: str
    ours: float
    raw: float | None
    higher_is_better: bool

    @property
    def ratio(self) -> float | None:
        if not self.raw or not self.ours:
            return None
        return self.ours / self.raw if self.higher_is_better else self.raw / self.ours


@dataclass
class SizeRun:
    backend: str
    households: int
    events: int = 0
    measures: dict[str, Measure] = field(default_factory=dict)

    def add(self, key: str, *args: Any) -> None:
        self.measures[key] = Measure(*args)


# ---------------------------------------------------------------------------------- the child


def child(argv: list[str]) -> None:
    """``python -m bench.scale load|rebuild SETTINGS_JSON HOUSEHOLDS``: do it, print a JSON line
    with the seconds, events and the process's peak RSS."""
    from application.app import CaseFiles
    from application.demo import load_demo
    from application.settings import Settings
    from projections.runner import Projections

    what, raw_settings, households = argv[0], json.loads(argv[1]), int(argv[2])
    settings = Settings(**{k: (Path(v) if k == "sqlite_path" else v)
                           for k, v in raw_settings.items()})
    with CaseFiles(settings) as app:
        began = time.perf_counter()
        if what == "load":
            load_demo(app, households=households)
        else:
            with Projections(app) as projections:
                projections.rebuild()
        seconds = time.perf_counter() - began
        events = app.max_position()
    print(json.dumps({"seconds": seconds, "events": events, "peak_mib": _peak_rss_kib() / 1024}))


def _peak_rss_kib() -> float:
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries the parent's high
    water mark from before ``exec`` into it, so a child started by a big parent reported the
    parent's size (the first table showed 149 MiB for a 61 MiB demo load)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _in_child(what: str, settings: Any, households: int) -> dict[str, Any]:
    raw = {"database_url": settings.database_url, "postgres_schema": settings.postgres_schema,
           "sqlite_path": str(settings.sqlite_path)}
    done = subprocess.run([sys.executable, "-m", "bench.scale", "child", what, json.dumps(raw),
                           str(households)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------- one size


@contextmanager
def _fresh(backend: str) -> Iterator[Any]:
    from application.settings import Settings

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="fangpin-scale-") as tmp:
            yield Settings(sqlite_path=Path(tmp) / "county.sqlite3")
        return
    schema = f"scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(database_url=POSTGRES_URL, postgres_schema=schema)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run_size(backend: str, households: int) -> SizeRun:
    from application.app import CaseFiles
    from projections.runner import Projections

    run = SizeRun(backend, households)
    with _fresh(backend) as settings:
        loaded = _in_child("load", settings, households)
        run.events = events = loaded["events"]
        raw = _Raw(settings)
        run.add("load", "demo load", "ev/s", events / loaded["seconds"], raw.insert_rate(), True)
        run.add("load_memory", "demo load peak RSS", "MiB", loaded["peak_mib"], None, False)
        rebuilt = _in_child("rebuild", settings, households)
        from bench.rebuild import _raw_rebuild

        with CaseFiles(settings) as app:
            raw_rebuild = _raw_rebuild(app)
        run.add("rebuild", "rebuild all read models", "ev/s", events / rebuilt["seconds"],
                raw_rebuild, True)
        run.add("rebuild_memory", "rebuild peak RSS", "MiB", rebuilt["peak_mib"], None, False)
        with CaseFiles(settings) as app, Projections(app) as projections:
            projections.catch_up()
            _queries(run, projections, raw)
            _indicators(run, app, projections, raw)
            _verify(run, app, raw)
            codes = [row["code"] for row in projections.store.fetch(
                f"SELECT code FROM {projections.store.qualified('rm_households')}")]
        with CaseFiles(settings) as cold:  # nothing cached: each history read from the store
            _histories(run, cold, raw)
        with CaseFiles(settings) as app:  # a new process: households loaded as commands come
            _commands(run, app, raw, codes)
        raw.close()
    return run



def _queries(run: SizeRun, projections: Any, raw: _Raw) -> None:
    from projections.queries import ReadModels

    read = ReadModels(projections.store, projections.app.clock)
    combos = [(r["township"], r["category"]) for r in projections.store.fetch(
        f"SELECT DISTINCT township, category FROM {projections.store.qualified('rm_monitoring')}")]
    rng = random.Random(1)
    ours, plain = [], []
    for _ in range(QUERIES):
        township, category = rng.choice(combos)
        ours.append(timed(lambda t=township, c=category: read.monitoring_list(
            township=t, category=c, limit=50)) * 1000)
        plain.append(timed(lambda t=township, c=category: raw.monitoring_page(
            projections, t, c)) * 1000)
    ours.sort()
    plain.sort()
    p95 = int(len(ours) * 0.95) - 1
    run.add("list_p50", "monitoring list page p50", "ms", statistics.median(ours),
            statistics.median(plain), False)
    run.add("list_p95", "monitoring list page p95", "ms", ours[p95], plain[p95], False)


def _indicators(run: SizeRun, app: Any, projections: Any, raw: _Raw) -> None:
    from application.indicators import Indicators

    indicators = Indicators(app, projections.store)
    indicators.compute("2025")  # adopts the cadence table and warms the caches
    ours = statistics.median(timed(lambda: indicators.compute("2025")) for _ in range(3))
    plain = statistics.median(timed(lambda: raw.facts(projections)) for _ in range(3))
    run.add("indicators", "indicators of the year (current)", "s", ours, plain, False)


def _verify(run: SizeRun, app: Any, raw: _Raw) -> None:
    from application.audit import verify

    tables = app.log_tables()
    seconds = timed(lambda: verify(tables))
    run.add("verify", "verify the hash chain", "ev/s", run.events / seconds,
            run.events / timed(raw.read_log), True)


def _histories(run: SizeRun, app: Any, raw: _Raw) -> None:
    ids = list(app.iter_households())
    rng = random.Random(2)
    picked = rng.sample(ids, min(HISTORIES, len(ids)))
    ours = [timed(lambda i=i: app.history(i)) * 1000 for i in picked]
    plain = [timed(lambda i=i: raw.history(i)) * 1000 for i in picked]
    run.add("history", "one household's history (cold)", "ms", statistics.median(ours),
            statistics.median(plain), False)


def _commands(run: SizeRun, app: Any, raw: _Raw, codes: list[str]) -> None:
    from application.commands import RecordVisit
    from domain.codes import Check, Role
    from domain.values import Actor

    by = Actor("bench", Role.COUNTY_CENTRE)
    rng = random.Random(3)
    picked = [rng.choice(codes) for _ in range(COMMANDS)]
    checks = dict.fromkeys(Check, True)
    began = time.perf_counter()
    for n, code in enumerate(picked):
        app.execute(code, RecordVisit(visit_id=f"BENCH-{n}", visitor="基准", checks=checks,
                                      occurred_on=date(2025, 12, 20)), by=by)
    ours = COMMANDS / (time.perf_counter() - began)
    run.add("commands", "command (visit, random household)", "cmd/s", ours,
            raw.one_row_transactions(COMMANDS), True)


# ---------------------------------------------------------------------------------- raw SQL


class _Raw:
    """The same reads and writes in plain sqlite3 / psycopg, with no framework."""

    def __init__(self, settings: Any) -> None:
        self.sqlite = settings.backend == "sqlite"
        if self.sqlite:
            import sqlite3

            self.conn: Any = sqlite3.connect(settings.sqlite_file, isolation_level=None)
            self.events, self.pos, self.p = "stored_events", "rowid", "?"
        else:
            self.conn = psycopg.connect(settings.database_url, autocommit=True)
            self.events = f'"{settings.postgres_schema}".fangpin_events'
            self.pos, self.p = "notification_id", "%s"

    def close(self) -> None:
        self.conn.close()

    def _begin(self) -> None:
        self.conn.execute("BEGIN")

    def _commit(self) -> None:
        self.conn.execute("COMMIT")

    def insert_rate(self) -> float:
        """Copy the log into a table of the same shape, 1,200 rows per transaction."""
        self.conn.execute("DROP TABLE IF EXISTS raw_copy")
        blob = "BLOB" if self.sqlite else "BYTEA"
        self.conn.execute(f"CREATE TABLE raw_copy (originator_id TEXT, originator_version "
                          f"INTEGER, topic TEXT, state {blob}, PRIMARY KEY (originator_id, "
                          "originator_version))")
        insert = f"INSERT INTO raw_copy VALUES ({', '.join([self.p] * 4)})"
        last, count, seconds = 0, 0, 0.0
        while rows := self.conn.execute(
                f"SELECT {self.pos}, originator_id, originator_version, topic, state FROM "
                f"{self.events} WHERE {self.pos} > {self.p} ORDER BY {self.pos} LIMIT 1200",
                (last,)).fetchall():
            batch = [(str(r[1]), r[2], r[3], r[4]) for r in rows]
            began = time.perf_counter()
            self._begin()
            self.conn.cursor().executemany(insert, batch)
            self._commit()
            seconds += time.perf_counter() - began
            count += len(rows)
            last = rows[-1][0]
        self.conn.execute("DROP TABLE raw_copy")
        return count / seconds

    def read_log(self) -> None:
        last = 0
        while rows := self.conn.execute(
                f"SELECT {self.pos}, state FROM {self.events} WHERE {self.pos} > {self.p} "
                f"ORDER BY {self.pos} LIMIT 5000", (last,)).fetchall():
            last = rows[-1][0]

    def monitoring_page(self, projections: Any, township: str, category: str) -> None:
        table = projections.store.qualified("rm_monitoring")
        p = projections.store.placeholder
        projections.store.fetch(f"SELECT COUNT(*) AS n FROM {table} WHERE township = {p} "
                                f"AND category = {p}", (township, category))
        projections.store.fetch(f"SELECT * FROM {table} WHERE township = {p} AND category = {p} "
                                "ORDER BY code, household_id LIMIT 50", (township, category))

    def facts(self, projections: Any) -> None:
        table = projections.store.qualified("rm_indicator_facts")
        for row in projections.store.fetch(f"SELECT facts FROM {table} ORDER BY household_id"):
            json.loads(row["facts"])

    def history(self, household: Any) -> None:
        key = household.hex if self.sqlite else household
        for row in self.conn.execute(
                f"SELECT originator_version, topic, state FROM {self.events} "
                f"WHERE originator_id = {self.p} ORDER BY originator_version", (key,)).fetchall():
            json.loads(row[2])

    def one_row_transactions(self, count: int) -> float:
        self.conn.execute("CREATE TABLE IF NOT EXISTS raw_commands (id TEXT PRIMARY KEY, body TEXT)")
        insert = f"INSERT INTO raw_commands VALUES ({self.p}, {self.p})"
        began = time.perf_counter()
        for n in range(count):
            self._begin()
            self.conn.execute(insert, (uuid.uuid4().hex, json.dumps({"visit": n})))
            self._commit()
        rate = count / (time.perf_counter() - began)
        self.conn.execute("DROP TABLE raw_commands")
        return rate


# ---------------------------------------------------------------------------------- the table


def table(runs: list[SizeRun]) -> tuple[str, list[str]]:
    """The Markdown table (a row per measure and back end, a column per size) and the verdicts."""
    sizes = sorted({r.households for r in runs})
    header = ("| measure | back end | " + " | ".join(f"{s:,} households" for s in sizes)
              + " | growth (largest ÷ smallest, per unit) |\n|---|---|"
              + "---:|" * len(sizes) + "---|")
    lines, verdicts = [header], []
    for backend in ("sqlite", "postgres"):
        by_size = {r.households: r for r in runs if r.backend == backend}
        if not by_size:
            continue
        keys = list(next(iter(by_size.values())).measures)
        for key in keys:
            cells = []
            for size in sizes:
                run = by_size.get(size)
                measure = run.measures.get(key) if run else None
                if measure is None:
                    cells.append("—")
                    continue
                digits = {"ms": 2, "s": 2, "MiB": 0}.get(measure.unit, 0)
                cell = f"{measure.ours:,.{digits}f} {measure.unit}"
                if measure.ratio is not None:
                    cell += f" (raw {measure.raw:,.{digits}f}, {measure.ratio:.0%})"
                cells.append(cell)
            growth, verdict = _growth(key, [by_size[s].measures[key] for s in sizes if s in by_size
                                            and key in by_size[s].measures],
                                      [by_size[s] for s in sizes if s in by_size])
            name = next(iter(by_size.values())).measures[key].name
            lines.append(f"| {name} | {backend} | " + " | ".join(cells) + f" | {growth} |")
            if verdict:
                verdicts.append(f"{backend}: {name}: {verdict}")
    return "\n".join(lines), verdicts


#: Times that cover the whole county (indicators) or count all its matching rows (a list page
#: with its total): linear in households at best, so compared per household.
_PER_HOUSEHOLD = frozenset({"indicators", "list_p50", "list_p95"})


def _growth(key: str, measures: list[Measure], runs: list[SizeRun]) -> tuple[str, str]:
    if len(measures) < 2:
        return "", ""
    first, last = measures[0], measures[-1]
    if key.endswith("memory"):
        factor = last.ours / first.ours
        return f"{factor:.2f}× memory", "" if factor < 2 else f"peak memory grew {factor:.1f}×"
    if first.higher_is_better:  # a rate: per-unit cost is its inverse
        factor = first.ours / last.ours
        limit = 1.5
    else:
        factor = last.ours / first.ours
        if key in _PER_HOUSEHOLD:  # grows with the county by nature: per household
            factor /= runs[-1].households / runs[0].households
        limit = 1.5 if key in _PER_HOUSEHOLD else 2.0
    verdict = "" if factor <= limit else f"per-unit cost grew {factor:.1f}× (more than linear)"
    return f"{factor:.2f}× per unit {'(linear)' if not verdict else '**superlinear**'}", verdict


def run(sizes: tuple[int, ...], backends: list[str]) -> tuple[str, list[str], list[SizeRun]]:
    runs = []
    for backend in backends:
        for size in sizes:
            began = time.perf_counter()
            print(f"  scale: {backend} {size:,} households …", file=sys.stderr, flush=True)
            runs.append(run_size(backend, size))
            print(f"  scale: {backend} {size:,} households done in "
                  f"{time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    text, verdicts = table(runs)
    return text, verdicts, runs


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(sys.argv[2:])
