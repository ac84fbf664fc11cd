"""Rebuilding the read models from the log, and reading the monitoring list, at county size.

- rebuild: `Projections.rebuild()` of every read model from the demo county's log, against a
  raw baseline in the same run: plain sqlite3 / psycopg reading the same rows straight from the
  events table in batches of 1,000 and upserting, per household touched, one row into each of
  six tables as wide as the read models' tables, one transaction per batch (target ≥ 25%).
- monitoring list: pages of 50 rows filtered by a township and a category, p50 and p99 over
  many queries (target p99 < 20 ms).

Size: ``FANGPIN_BENCH_HOUSEHOLDS`` households (default 175,000: about 1,000,000 events).
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from application.app import CaseFiles
from application.demo import load_demo
from bench.common import Result, backend_settings
from projections.queries import ReadModels
from projections.runner import Projections
from projections.tables import COLUMNS

HOUSEHOLDS = int(os.environ.get("FANGPIN_BENCH_HOUSEHOLDS", "175000"))
BATCH = 1000
QUERIES = 500
NOTES: list[str] = []

#: One raw table per read-model table, of the same width; one row per household touched.
_RAW_TABLES = {f"raw_{table}": len(columns) for table, columns in COLUMNS.items()}


def _progress(label: str):
    def report(done: int, total: int) -> None:
        if done == total or done % 20_000 < 200:
            print(f"\r  {label}: {done:,}/{total:,}", end="\n" if done >= total else "",
                  file=sys.stderr, flush=True)
    return report


def _raw_rebuild(app: CaseFiles) -> float:
    """Events per second reading the log in batches and upserting, per household touched, one
    row into each of six tables as wide as the read models' tables, with plain SQL."""
    settings = app.settings
    sqlite = settings.backend == "sqlite"
    if sqlite:
        conn: Any = sqlite3.connect(str(settings.sqlite_file), isolation_level=None)
        select = ("SELECT rowid, originator_id, originator_version, topic, state "
                  "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?")
    else:
        conn = psycopg.connect(settings.database_url, autocommit=True)
        conn.execute(f'SET search_path TO "{settings.postgres_schema}"')
        select = ("SELECT notification_id, originator_id, originator_version, topic, state "
                  "FROM fangpin_events WHERE notification_id > %s "
                  "ORDER BY notification_id LIMIT %s")
    mark = "?" if sqlite else "%s"
    upserts = {}
    for table, width in _RAW_TABLES.items():
        columns = ["household_id", *(f"c{i}" for i in range(1, width))]
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"CREATE TABLE {table} ({', '.join(c + ' TEXT' for c in columns)}, "
                     "PRIMARY KEY (household_id))")
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
        upserts[table] = (f"INSERT INTO {table} VALUES ({', '.join([mark] * width)}) "
                          f"ON CONFLICT (household_id) DO UPDATE SET {updates}", width)
    start, events, began = 0, 0, time.perf_counter()
    while True:
        rows = conn.execute(select, (start, BATCH)).fetchall()
        if not rows:
            break
        latest = {str(row[1]): row for row in rows}
        if sqlite:
            conn.execute("BEGIN")
        with conn.transaction() if not sqlite else _nothing():
            cursor = conn.cursor()
            for statement, width in upserts.values():
                cursor.executemany(statement, [
                    (key, row[3], *([str(row[2])] * (width - 2))) for key, row in latest.items()
                ])
        if sqlite:
            conn.execute("COMMIT")
        events += len(rows)
        start = rows[-1][0]
    elapsed = time.perf_counter() - began
    conn.close()
    return events / elapsed


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def run(backend: str) -> list[Result]:
    results = []
    with backend_settings(backend) as settings:
        app = CaseFiles(settings)
        try:
            began = time.perf_counter()
            load_demo(app, households=HOUSEHOLDS, progress=_progress(f"{backend} demo load"))
            events = app.max_position()
            NOTES.append(f"{backend}: demo county of {HOUSEHOLDS:,} households, {events:,} events, "
                         f"loaded in {time.perf_counter() - began:.0f} s.")
            raw_rate = _raw_rebuild(app)
            with Projections(app) as projections:
                began = time.perf_counter()
                projections.rebuild(progress=_progress(f"{backend} rebuild"))
                ours_rate = events / (time.perf_counter() - began)
                results.append(Result(
                    f"rebuild all read models ({events:,} events) vs raw read + upsert",
                    backend, ours_rate, raw_rate, unit=" ev/s", target=0.25))
                results.extend(_list_latency(projections, backend))
        finally:
            app.close()
    return results


def _list_latency(projections: Projections, backend: str) -> list[Result]:
    read = ReadModels(projections.store, projections.app.clock)
    combos = [(r["township"], r["category"]) for r in projections.store.fetch(
        f"SELECT DISTINCT township, category FROM {projections.store.qualified('rm_monitoring')}")]
    rng = random.Random(1)
    timings = []
    for _ in range(QUERIES):
        township, category = rng.choice(combos)
        began = time.perf_counter()
        page = read.monitoring_list(township=township, category=category, limit=50)
        timings.append((time.perf_counter() - began) * 1000)
        assert page.rows
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    NOTES.append(f"{backend}: monitoring list page (50 rows, township + category, with total) "
                 f"p50 {p50:.2f} ms, p99 {p99:.2f} ms over {QUERIES} queries "
                 f"({len(combos)} township/category pairs).")
    return [Result(f"monitoring list page p99 in ms (p50 {p50:.2f} ms) vs the 20 ms limit",
                   backend, p99, 20.0, unit=" ms")]
