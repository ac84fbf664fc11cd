"""A province on one PostgreSQL cluster: N counties (default 10) of H demo households (default
20,000) each, every county a schema of one database, the province's store a schema beside them.

- **provincial catch-up**: `ProvincialPeople` following every county's log from zero (log
  positions followed per second), against plain psycopg in one process reading the same
  counties' membership events (the same topics, batches of 1,000, `json.loads` of each) and
  upserting as many index rows as ours wrote, with a tracking row, one transaction per batch;
- **provincial indicators**: `ProvincialFigures.refresh` of every county's year from its log
  (per county and in all), against plain psycopg reading that county's whole log and
  `json.loads` of each state; and reading the provincial table (`figures(year)`, what the page
  and the API read), against a plain SELECT of the same rows;
- **commands**: N worker *processes* (not threads: the command path is Python, and threads of
  one process would measure the GIL rather than the stores), each recording monthly visits
  (`RecordVisit`, one event) on households of its own, for a fixed time: one worker on one
  county, N workers on N counties at once, N workers on one county; against N processes of
  plain autocommit inserts, into N schemas or one;
- **replica lag** (given ``FANGPIN_BENCH_STANDBY_URL``, a hot standby of the cluster at
  ``FANGPIN_BENCH_POSTGRES_URL``): during the N-counties command load, every 100 ms a county's
  last log position is read on the primary, then the standby is polled until its log has it;
  the time between is the lag (p50/p99), beside the WAL bytes the standby's replay was behind.
  With `scripts/pg-standby-pair start` (asynchronous streaming; `sync on` would make each commit
  wait for the standby, which was not measured):
  ``FANGPIN_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5440/fangpin
  FANGPIN_BENCH_STANDBY_URL=postgresql://postgres@127.0.0.1:5441/fangpin python -m bench --only
  province --output docs/performance-province-standby.md``.

The province is built once and kept (database ``fangpin_bench_province_<N>x<H>_s2025``, each
county its own seed); each run works on a fresh copy of it (``CREATE DATABASE … TEMPLATE``), so
the visits it records do not accumulate. Drop it with ``DROP DATABASE``.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from bench.common import ALL_PASSED, BY, POSTGRES_URL, Result, postgres_database_url
from bench.province_watch import (
    LOCK_WAITS,
    NOTES,
    STANDBY_URL,
    LockWaits,
    Row,
    events_table,
    lag_rows,
    sample_lag,
)

COUNTIES, HOUSEHOLDS = 10, 20_000
QUICK_COUNTIES, QUICK_HOUSEHOLDS = 3, 2_000
SEED = 2025
YEAR = 2025
#: The counties' clock: the evening of the demo's last day (18:00 in the counties).
NOW = datetime(2025, 12, 31, 10, 0, tzinfo=UTC)
#: Households each command worker visits in turn (loaded before the clock starts).
WORKER_HOUSEHOLDS = 600
PROBLEMS: list[str] = []


def county_codes(counties: int) -> list[str]:
    """The counties' 行政区划代码: 130621, 130622, …"""
    return [str(130621 + n) for n in range(counties)]


class Clock:
    """A clock ticking a millisecond a call from ``NOW``: recordings of one process in order."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


def run(counties: int, households: int, *, quick: bool, repeats: int) -> list[Any]:
    """Every measure on a fresh copy of the kept province."""
    with working_province(counties, households) as (url, how):
        NOTES.append(how)
        results: list[Any] = []
        results += _catch_up(url, repeats)
        results += _figures(url, repeats)
        results += _commands(url, counties, seconds=4.0 if quick else 10.0, rounds=repeats)
    return results


# ---------------------------------------------------------------------------------- the province


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(POSTGRES_URL, autocommit=True)


def _root(url: str) -> Any:
    from application.settings import Settings

    return Settings(database_url=url)


@contextlib.contextmanager
def working_province(counties: int, households: int) -> Iterator[tuple[str, str]]:
    """The URL of a fresh copy of the kept province (built first if not kept yet)."""
    template, how = _kept_province(counties, households)
    name = f"fangpin_bench_run_{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    try:
        yield postgres_database_url(name), how + f"; copied in {time.perf_counter() - began:.0f} s"
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _kept_province(counties: int, households: int) -> tuple[str, str]:
    name = f"fangpin_bench_province_{counties}x{households}_s{SEED}"
    url = postgres_database_url(name)
    with _admin() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists:
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT events, built_seconds FROM fangpin_bench_province").fetchone()
        except psycopg.Error:
            row = None  # an interrupted build: start again
        if row:
            return name, (f"{counties} demo counties of {households:,} households, {row[0]:,} events "
                          f"in all (kept in {name}, built in {row[1]:,} s)")
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    from application.province import Deployment

    began = time.perf_counter()
    with Deployment(_root(url), clock=lambda: NOW) as deployment:
        for n, code in enumerate(county_codes(counties), start=1):
            deployment.add(code, f"基准{n}县")
    # Two loads at a time (two cores): each county in a process of its own, its own seed.
    pending = list(enumerate(county_codes(counties), start=1))
    running: list[subprocess.Popen[bytes]] = []
    while pending or running:
        while pending and len(running) < 2:
            n, code = pending.pop(0)
            running.append(subprocess.Popen([sys.executable, "-m", "bench.province", "load", url, code,
                                             str(households), str(SEED + n)]))
        time.sleep(0.5)
        for child in list(running):
            if child.poll() is not None:
                running.remove(child)
                if child.returncode:
                    raise RuntimeError(f"loading a county failed ({child.args})")
        _say(f"  province: {counties - len(pending) - len(running)}/{counties} counties loaded")
    elapsed = round(time.perf_counter() - began)
    events = sum(_positions(url, counties).values())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE fangpin_bench_province (counties int, households int, seed int, "
                     "events bigint, built_seconds int)")
        conn.execute("INSERT INTO fangpin_bench_province VALUES (%s, %s, %s, %s, %s)",
                     (counties, households, SEED, events, elapsed))
        conn.execute("VACUUM ANALYZE")
    return name, (f"{counties} demo counties of {households:,} households, {events:,} events in all, "
                  f"built in {elapsed:,} s (two counties loading at a time) and kept in {name}")


def _load_county(url: str, code: str, households: int, seed: int) -> None:
    from application.app import CaseFiles
    from application.demo import load_demo
    from application.demo.window import DEMO_UNTIL

    with CaseFiles(_root(url).county_store(code), clock=lambda: NOW) as app:
        load_demo(app, households, seed=seed, until=DEMO_UNTIL, now=NOW)


def _positions(url: str, counties: int) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {code: conn.execute(f"SELECT COALESCE(MAX(notification_id), 0) FROM "
                                   f"{events_table(url, code)}").fetchone()[0]  # type: ignore[index]
                for code in county_codes(counties)}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- catch-up


def _catch_up(url: str, repeats: int) -> list[Result]:
    from application.province import Deployment
    from application.province.people import ProvincialPeople
    from domain.people import MEMBERSHIP_TOPICS

    ours_rates, raw_rates, ratios = [], [], []
    with Deployment(_root(url), clock=lambda: NOW) as deployment:
        people = ProvincialPeople(deployment)
        codes = [c.code for c in deployment.counties()]
        events = sum(_positions(url, len(codes)).values())
        for _ in range(repeats):
            began = time.perf_counter()
            people.rebuild()  # empties the index and its tracking, then follows every county
            ours_rates.append(events / (time.perf_counter() - began))
            rows = dict(people._read(f"SELECT county, COUNT(*) FROM {people.members} GROUP BY county", ()))
            raw_rates.append(events / _raw_catch_up(url, codes, rows, list(MEMBERSHIP_TOPICS)))
            ratios.append(ours_rates[-1] / raw_rates[-1])
        applied = sum(rows.values())
    NOTES.append(f"provincial person index: {len(codes)} counties' logs ({events:,} positions) followed "
                 f"from zero give {applied:,} index rows; {repeats} runs alternating with the raw one.")
    return [Result(f"provincial person index: follow {len(codes)} counties from zero",
                   "postgres", statistics.median(ours_rates), statistics.median(raw_rates),
                   unit=" ev/s", paired_ratio=statistics.median(ratios))]


def _raw_catch_up(url: str, codes: list[str], rows: dict[str, int], topics: list[str]) -> float:
    """Seconds for plain psycopg to read each county's membership events in batches of 1,000
    (``json.loads`` of each) and upsert, per batch in one transaction, the batch's share of as
    many rows as our index holds for the county, with the county's tracking row."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_people, raw_people_tracking")
        conn.execute("CREATE TABLE raw_people (county TEXT, id_number TEXT, household_id TEXT, "
                     "household_code TEXT, since_version BIGINT, left_on TEXT, "
                     "PRIMARY KEY (county, household_id, id_number, since_version))")
        conn.execute("CREATE TABLE raw_people_tracking (county TEXT PRIMARY KEY, position BIGINT)")
        upsert = ("INSERT INTO raw_people VALUES (%s, %s, %s, %s, %s, NULL) ON CONFLICT "
                  "(county, household_id, id_number, since_version) DO UPDATE SET left_on = NULL")
        track = ("INSERT INTO raw_people_tracking VALUES (%s, %s) ON CONFLICT (county) "
                 "DO UPDATE SET position = excluded.position")
        counts = {code: conn.execute(f"SELECT COUNT(*) FROM {events_table(url, code)} WHERE "
                                     "topic = ANY(%s)", (topics,)).fetchone()[0]  # type: ignore[index]
                  for code in codes}
        began = time.perf_counter()
        for code in codes:
            table = events_table(url, code)
            end = conn.execute(f"SELECT COALESCE(MAX(notification_id), 0) FROM {table}").fetchone()[0]  # type: ignore[index]
            last, read, written = 0, 0, 0
            while found := conn.execute(
                    f"SELECT notification_id, originator_id, state FROM {table} "
                    "WHERE notification_id > %s AND notification_id <= %s AND topic = ANY(%s) "
                    "ORDER BY notification_id LIMIT 1000", (last, end, topics)).fetchall():
                states = [json.loads(r[2]) for r in found]
                last, read = found[-1][0], read + len(states)
                share = rows.get(code, 0) * read // max(counts[code], 1) - written
                with conn.transaction():
                    conn.cursor().executemany(upsert, [
                        (code, f"{written + i:018d}", str(found[i % len(found)][1]), code, 1)
                        for i in range(share)])
                    conn.execute(track, (code, last))
                written += share
        seconds = time.perf_counter() - began
        conn.execute("DROP TABLE raw_people, raw_people_tracking")
    return seconds


# ---------------------------------------------------------------------------------- indicators


def _figures(url: str, repeats: int) -> list[Result]:
    from application.app import CaseFiles
    from application.province import Deployment
    from application.province.figures import ProvincialFigures

    with Deployment(_root(url), clock=lambda: NOW) as deployment, \
            psycopg.connect(url, autocommit=True) as conn:
        figures = ProvincialFigures(deployment.province(), clock=lambda: NOW)
        counties = deployment.counties()
        ours: dict[str, list[float]] = {c.code: [] for c in counties}
        raw: dict[str, list[float]] = {c.code: [] for c in counties}
        for _ in range(repeats):
            for county in counties:
                with CaseFiles(deployment.county_settings(county.code), clock=lambda: NOW) as app:
                    began = time.perf_counter()
                    figures.refresh(county, app, YEAR)
                    ours[county.code].append(time.perf_counter() - began)
                raw[county.code].append(_raw_read_log(conn, events_table(url, county.code)))
        per_county = [statistics.median(ours[c.code]) for c in counties]
        per_county_raw = [statistics.median(raw[c.code]) for c in counties]
        totals = [sum(ours[c.code][n] for c in counties) for n in range(repeats)]
        raw_totals = [sum(raw[c.code][n] for c in counties) for n in range(repeats)]
        reads = [_timed(lambda: figures.figures(YEAR)) * 1000 for _ in range(20)]
        raw_reads = [_timed(lambda: _raw_figures(conn, figures)) * 1000 for _ in range(20)]
        unchanged = _timed(lambda: _catch_up_unchanged(deployment, figures)) * 1000
    NOTES.append(f"provincial indicators: one county's refresh took {min(per_county):.2f}–"
                 f"{max(per_county):.2f} s (medians of {repeats}); a catch-up of every county "
                 f"when no county's log moved (each store opened, its position compared) took "
                 f"{unchanged:.0f} ms.")
    n = len(counties)
    return [
        Result("provincial indicators: refresh one county's year from its log (median county)",
               "postgres", statistics.median(per_county), statistics.median(per_county_raw), unit=" s"),
        Result(f"provincial indicators: refresh all {n} counties, one after another",
               "postgres", statistics.median(totals), statistics.median(raw_totals), unit=" s"),
        Result(f"provincial indicators: read the table of {n} counties (`figures(year)`)",
               "postgres", statistics.median(reads), statistics.median(raw_reads), unit=" ms"),
    ]


def _timed(operation: Any) -> float:
    began = time.perf_counter()
    operation()
    return time.perf_counter() - began


def _raw_read_log(conn: psycopg.Connection[Any], table: str) -> float:
    """Seconds to read a county's whole log in batches of 5,000 and ``json.loads`` each state."""
    began, last = time.perf_counter(), 0
    while rows := conn.execute(f"SELECT notification_id, originator_id, state FROM {table} "
                               "WHERE notification_id > %s ORDER BY notification_id LIMIT 5000",
                               (last,)).fetchall():
        for row in rows:
            json.loads(row[2])
        last = rows[-1][0]
    return time.perf_counter() - began


def _raw_figures(conn: psycopg.Connection[Any], figures: Any) -> None:
    conn.execute(f"SELECT * FROM {figures.results_table} WHERE year = %s ORDER BY county",
                 (YEAR,)).fetchall()
    conn.execute(f"SELECT * FROM {figures.figures_table} WHERE year = %s AND level = 'county' "
                 "ORDER BY county, period, indicator, level, area", (YEAR,)).fetchall()


def _catch_up_unchanged(deployment: Any, figures: Any) -> None:
    from application.province.figures import catch_up_all

    catch_up_all(deployment, figures)


# ---------------------------------------------------------------------------------- commands


def _commands(url: str, counties: int, seconds: float, rounds: int) -> list[Any]:
    codes = county_codes(counties)
    lag: list[Row] = []
    phases = [("one worker on one county", codes[:1]),
              (f"{counties} workers on {counties} counties at once", codes),
              (f"{counties} workers on one county", codes[:1] * counties)]
    ours: dict[str, list[float]] = {label: [] for label, _ in phases}
    plain: dict[str, list[float]] = {label: [] for label, _ in phases}
    samples: list[tuple[float, int]] = []
    for _ in range(rounds):  # the phases in turn, each round: all see the same machine noise
        for label, targets in phases:
            sampling = STANDBY_URL is not None and len(set(targets)) > 1
            rate, sampled = _phase(url, targets, seconds, raw=False, sample=sampling)
            ours[label].append(rate)
            samples += sampled
            plain[label].append(_phase(url, targets, seconds, raw=True, sample=False)[0])
    results: list[Any] = [
        Result(f"commands (visit, one event): {label}", "postgres", statistics.median(ours[label]),
               statistics.median(plain[label]), unit=" cmd/s",
               paired_ratio=statistics.median(o / r for o, r in zip(ours[label], plain[label],
                                                                     strict=True)))
        for label, _ in phases]
    one, many, shared = (statistics.median(ours[label]) for label, _ in phases)
    spread = ", ".join(f"{label}: " + " / ".join(f"{r:,.0f}" for r in ours[label]) for label, _ in phases)
    NOTES.append(f"commands: {counties} worker processes on {counties} counties recorded "
                 f"{many:,.0f} visits/s, on one county {shared:,.0f}/s ({many / shared:.0%} of it), "
                 f"one worker alone {one:,.0f}/s (medians of {rounds} rounds of {seconds:.0f} s "
                 f"phases; each round: {spread}). Each worker visits households of its own (up to "
                 f"{WORKER_HOUSEHOLDS}, loaded before the clock starts); {os.cpu_count()} CPUs serve "
                 "the workers and the database alike.")
    waits = "; ".join(f"{workers} worker{'s' * (workers > 1)} on {where}: "
                      f"{statistics.median(shares):.0%}" for (workers, where), shares in LOCK_WAITS.items())
    NOTES.append("commands: share of samples (every 20 ms, `pg_locks`) in which some writer was "
                 f"waiting for a county store's advisory lock — {waits}.")
    if samples:
        lag = lag_rows(samples, counties)
    else:
        lag = [Row(f"replica lag p50 / p99 under {counties} counties' command load",
                   "not measured: no standby given (`FANGPIN_BENCH_STANDBY_URL`)")]
    return results + lag


def _phase(url: str, targets: list[str], seconds: float, *, raw: bool,
           sample: bool) -> tuple[float, list[tuple[float, int]]]:
    """Commands (or raw inserts) per second of one worker process per entry of ``targets`` (a
    county code each), all started together; with ``sample``, the replica lag meanwhile."""
    if raw:
        with psycopg.connect(url, autocommit=True) as conn:
            for code in set(targets):
                schema = _root(url).county_store(code).postgres_schema
                conn.execute(f'CREATE TABLE IF NOT EXISTS "{schema}".raw_visits '
                             "(id BIGSERIAL PRIMARY KEY, household TEXT, body TEXT)")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(targets) + 1)
    out = context.Queue()
    parts = {code: targets.count(code) for code in targets}
    seen: dict[str, int] = {}
    workers = []
    for code in targets:
        part = seen[code] = seen.get(code, -1) + 1
        workers.append(context.Process(target=_worker, args=(
            url, code, part, parts[code], seconds, raw, barrier, out, uuid.uuid4().hex[:6])))
    for worker in workers:
        worker.start()
    barrier.wait(timeout=600)
    waits = LockWaits(url) if not raw else None
    samples = sample_lag(url, sorted(set(targets)), seconds) if sample else []
    done = [out.get(timeout=600 + seconds) for _ in workers]
    if waits is not None:
        key = "one county" if len(set(targets)) == 1 else "their own counties"
        LOCK_WAITS.setdefault((len(targets), key), []).append(waits.stop())
    for worker in workers:
        worker.join()
    if any(d[2] for d in done):
        PROBLEMS.append(f"{sum(d[2] for d in done)} commands were refused in a command phase")
    return sum(count / elapsed for count, elapsed, _ in done), samples


def _worker(url: str, code: str, part: int, parts: int, seconds: float, raw: bool, barrier: Any,
            out: Any, tag: str) -> None:
    """One worker: loads its households, waits for the others, then works for ``seconds``."""
    from application.app import CaseFiles
    from application.commands import RecordVisit
    from domain.errors import DomainError

    settings = _root(url).county_store(code)
    if raw:
        conn = psycopg.connect(url, autocommit=True)
        insert = f'INSERT INTO "{settings.postgres_schema}".raw_visits (household, body) VALUES (%s, %s)'
        barrier.wait()
        began, count = time.perf_counter(), 0
        while time.perf_counter() - began < seconds:
            conn.execute(insert, (f"{part}-{count}", json.dumps({"visit": count, "checks": "ok" * 50})))
            count += 1
        out.put((count, time.perf_counter() - began, 0))
        conn.close()
        return
    app = CaseFiles(settings, clock=Clock())
    ids = sorted(app.iter_households())[part::parts][:WORKER_HOUSEHOLDS]
    codes = [app.household(i).code for i in ids]  # in the cache, as in a running server
    barrier.wait()
    began, count, refused = time.perf_counter(), 0, 0
    while time.perf_counter() - began < seconds:
        try:
            app.execute(codes[count % len(codes)], RecordVisit(
                visit_id=f"P{tag}-{count}", visitor="基准", checks=ALL_PASSED,
                occurred_on=date(2025, 12, 20)), by=BY)
        except DomainError:
            refused += 1
        count += 1
    out.put((count - refused, time.perf_counter() - began, refused))
    app.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["load"]:
        _load_county(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
