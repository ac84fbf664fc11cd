"""The assessment indicators of a whole county (issue 5), current and as of a past moment.

- current: `Indicators(app, read_models).compute("2025")`, every indicator for the year, read
  from the ``indicator_facts`` read model (caught up first), against plain sqlite3 / psycopg
  reading ``SELECT facts FROM rm_indicator_facts ORDER BY household_id`` in full and decoding
  each row's JSON with the standard library (target: under 5 s);
- as of: `Indicators(app).compute("2025", as_of=2026-01-01 UTC)`, recomputed from the log
  (every household read up to the position and the moment, 500 at a time, and replayed),
  against plain SQL reading every row of the events table in (originator_id,
  originator_version) order and decoding each state's JSON (target: under 60 s). Its peak
  memory is the peak of Python allocations traced by `tracemalloc` during one as-of run (the
  digest check's, untimed: tracing slows it down), not counting the database's own memory;
- the digest check: the current result recomputed from the log as of its own time and
  position (``compute(..., as_of=current.as_of, position=current.position)``) must give the
  same digest and the same figures; a difference is reported as a problem of the run.

Ours and raw run alternately, ``repeats`` times each; the times are medians and the ratio the
median of the per-run ratios ours/raw (above 100%: ours is slower).

The county is the one the HTTP benchmark builds once and keeps (`bench.http.working_county`:
``FANGPIN_BENCH_HOUSEHOLDS`` households, default 175,000, about a million events; ``--quick``:
``FANGPIN_BENCH_QUICK_HOUSEHOLDS``, default 5,000), on a fresh working copy.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg

from application.app import CaseFiles
from application.indicators import Indicators, figure_rows
from bench import http
from bench.common import Result, timed
from projections.runner import Projections

PERIOD = "2025"
#: After the demo year: every event of the demo county counts.
AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
CURRENT_LIMIT_S = 5.0
AS_OF_LIMIT_S = 60.0
PAGE = 2000
NOTES: list[str] = []
PROBLEMS: list[str] = []


def run(backend: str, *, quick: bool = False, repeats: int = 5) -> list[Result]:
    households = http.size(quick, repeats).households
    began = time.perf_counter()
    with http.working_county(backend, households) as (settings, how):
        app = CaseFiles(settings)
        projections = Projections(app)
        raw = _Raw(app, projections)
        try:
            projections.catch_up()
            NOTES.append(f"{backend}: indicators on {how}; the working copy was ready, read models "
                         f"caught up, {time.perf_counter() - began:.0f} s after the start.")
            return _measure(backend, app, Indicators(app, projections.store), raw, repeats)
        finally:
            raw.close()
            projections.close()
            app.close()


def _measure(backend: str, app: CaseFiles, indicators: Indicators, raw: _Raw,
             repeats: int) -> list[Result]:
    events = app.max_position()
    households = raw.facts()  # also warms the caches for the first timed run
    rows = raw.events()
    current = indicators.compute(PERIOD)

    # The digest check, which is also an as-of run of the same size as the timed ones (and so
    # warms the log's pages for them): its peak memory, traced.
    tracemalloc.start()
    began = time.perf_counter()
    again = indicators.compute(PERIOD, as_of=current.as_of, position=current.position)
    traced_seconds = time.perf_counter() - began
    _, as_of_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    indicators.compute(PERIOD)
    _, current_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    same_figures = figure_rows(again.figures) == figure_rows(current.figures)
    if again.digest == current.digest and same_figures:
        NOTES.append(f"{backend}: digest check passed: the current result (read models, position "
                     f"{current.position:,}) recomputed from the log as of its time and position gives "
                     f"the same digest ({current.digest[:19]}…) and the same {len(current.figures)} figures.")
    else:
        PROBLEMS.append(f"{backend}: indicators digest check FAILED: current {current.digest} "
                        f"(position {current.position:,}), recomputed from the log {again.digest}; "
                        f"figures {'equal' if same_figures else 'differ'}.")
    if current.position != events:
        NOTES.append(f"{backend}: the indicator_facts read model stood at {current.position:,}, the "
                     f"log at {events:,}.")

    mib = 1024 * 1024
    as_of_ours, as_of_raw, as_of_ratio = _pairs(
        f"{backend} as of", lambda: indicators.compute(PERIOD, as_of=AS_OF), raw.events, repeats)
    current_ours, current_raw, current_ratio = _pairs(
        f"{backend} current", lambda: indicators.compute(PERIOD), raw.facts, repeats)
    NOTES.append(
        f"{backend}: indicators over {households:,} households and {events:,} events ({rows:,} rows "
        f"read raw): current {current_ours:.2f} s (raw {current_raw:.2f} s), as of {as_of_ours:.1f} s "
        f"(raw {as_of_raw:.1f} s; {as_of_ours / households * 1e6:.0f} µs a household). Peak of Python "
        f"allocations traced by tracemalloc: as of {as_of_peak / mib:.1f} MiB "
        f"({as_of_peak / households:,.0f} B a household; that run took {traced_seconds:.0f} s traced), "
        f"current {current_peak / mib:.1f} MiB.")
    return [
        Result(f"indicators {PERIOD}, current (all figures, {households:,} households, from the "
               "indicator_facts read model), in s, vs raw `SELECT facts … ORDER BY household_id` "
               "+ json.loads",
               backend, current_ours, current_raw, unit=" s", paired_ratio=current_ratio,
               limit=CURRENT_LIMIT_S),
        Result(f"indicators {PERIOD}, as of {AS_OF:%Y-%m-%d} recomputed from the log ({events:,} "
               f"events), in s, peak traced memory {as_of_peak / mib:.0f} MiB; vs raw read of every "
               "event by id, version + json.loads",
               backend, as_of_ours, as_of_raw, unit=" s", paired_ratio=as_of_ratio,
               limit=AS_OF_LIMIT_S),
    ]


def _pairs(label: str, ours: Callable[[], Any], raw: Callable[[], Any],
           repeats: int) -> tuple[float, float, float]:
    """Seconds of ``ours`` and ``raw`` run alternately: (median of ours, median of raw, median
    of the per-run ratios ours/raw)."""
    ours_times, raw_times, ratios = [], [], []
    for index in range(repeats):
        ours_times.append(timed(ours))
        raw_times.append(timed(raw))
        ratios.append(ours_times[-1] / raw_times[-1])
        _progress(f"  {label} {index + 1}/{repeats}: ours {ours_times[-1]:.2f} s, "
                  f"raw {raw_times[-1]:.2f} s")
    return statistics.median(ours_times), statistics.median(raw_times), statistics.median(ratios)



class _Raw:
    """The same rows read with plain sqlite3 / psycopg and decoded with `json`: no framework."""

    def __init__(self, app: CaseFiles, projections: Projections) -> None:
        settings = app.settings
        recorder: Any = app.recorder
        self.facts_table = projections.store.qualified("rm_indicator_facts")
        if settings.backend == "sqlite":
            import sqlite3

            log = settings.sqlite_file
            self.log: Any = sqlite3.connect(log)
            self.read_models: Any = sqlite3.connect(
                log.with_name(f"{log.stem}.read-models{log.suffix or '.sqlite3'}"))
            self.events_table = recorder.events_table_name
            self.postgres = False
        else:
            self.log = self.read_models = psycopg.connect(settings.database_url or "", autocommit=True)
            self.events_table = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
            self.postgres = True

    def facts(self) -> int:
        """Every household's facts in household-id order, decoded; returns the rows."""
        return self._read(self.read_models, f"SELECT facts FROM {self.facts_table} ORDER BY household_id", 0)

    def events(self) -> int:
        """Every event of the log in order of originator id and version, its state decoded;
        returns the rows."""
        return self._read(self.log, "SELECT originator_id, originator_version, topic, state "
                                    f"FROM {self.events_table} ORDER BY originator_id, originator_version", 3)

    def _read(self, conn: Any, statement: str, column: int) -> int:
        count = 0
        loads = json.loads
        if self.postgres:  # a server-side cursor: the rows a page at a time, as ours reads them
            with conn.transaction(), conn.cursor(name="raw_read") as cursor:
                cursor.execute(statement)
                while page := cursor.fetchmany(PAGE):
                    for row in page:
                        loads(row[column])
                    count += len(page)
            return count
        cursor = conn.execute(statement)
        while page := cursor.fetchmany(PAGE):
            for row in page:
                loads(row[column])
            count += len(page)
        return count

    def close(self) -> None:
        self.log.close()
        if self.read_models is not self.log:
            self.read_models.close()


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
