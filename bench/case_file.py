"""Commands and loads of the case file against plain sqlite3 / psycopg doing the same I/O.

- one-event command: load a household + check the rule + save one event, against a raw
  single-row insert per transaction (target ≥ 30%);
- load a 50-event household from storage (no aggregate cache), against a raw select of its
  50 rows (target ≥ 100%: its current state is one row);
- read a 50-event household the aggregate cache holds (its copy decoded, and the log asked for
  anything newer), against the same raw select.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import psycopg

from application.app import CaseFiles
from application.commands import RecordVisit
from application.settings import Settings
from bench.common import (
    ALL_PASSED,
    BY,
    Clock,
    Result,
    backend_settings,
    fifty_event_household,
    paired,
)
from domain.replay import replay

COMMANDS = 400
LOADS = 300
PAYLOAD = b'{"occurred_on":"2025-03-01","recorded_by":{"user_id":"bench","role":"x"},' + b"x" * 200 + b"}"


class RawStore:
    """The same table shape and I/O as the event store, with no framework in between."""

    def __init__(self, app: CaseFiles) -> None:
        self.backend = app.settings.backend
        if self.backend == "sqlite":
            self.conn = sqlite3.connect(str(app.settings.sqlite_file) + ".raw", isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")  # what the library's SQLite store uses
            self.conn.execute(
                "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT,"
                " state BLOB, PRIMARY KEY (originator_id, originator_version))"
            )
            self.mark = "?"
        else:
            schema = app.settings.postgres_schema
            self.conn = psycopg.connect(app.settings.database_url, autocommit=True)
            self.conn.execute(f'SET search_path TO "{schema}"')
            self.conn.execute(
                "CREATE TABLE raw_events (notification_id bigserial, originator_id uuid, "
                "originator_version int, topic text, state bytea, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
            self.mark = "%s"
        self.insert_sql = f"INSERT INTO raw_events VALUES ({', '.join([self.mark] * 4)})"
        if self.backend == "postgres":
            self.insert_sql = ("INSERT INTO raw_events (originator_id, originator_version, topic, state)"
                               " VALUES (%s, %s, %s, %s)")
        self.select_sql = (f"SELECT * FROM raw_events WHERE originator_id = {self.mark} "
                           "ORDER BY originator_version")
        key = uuid.uuid4()
        self.sql_key = key.hex if self.backend == "sqlite" else key

    def insert_one(self) -> None:
        """One row per transaction, for a different household each time (as the commands do)."""
        key = uuid.uuid4()
        self._insert(key.hex if self.backend == "sqlite" else key, 51)

    def insert_history(self) -> None:
        """The 50 rows of one household, for the select baseline."""
        for version in range(1, 51):
            self._insert(self.sql_key, version)

    def _insert(self, key: object, version: int) -> None:
        if self.backend == "sqlite":
            self.conn.execute("BEGIN")
            self.conn.execute(self.insert_sql, (key, version, "t", PAYLOAD))
            self.conn.execute("COMMIT")
        else:
            self.conn.execute(self.insert_sql, (key, version, "t", PAYLOAD))

    def select_fifty(self) -> None:
        rows = self.conn.execute(self.select_sql, (self.sql_key,)).fetchall()
        assert len(rows) == 50, len(rows)

    def close(self) -> None:
        self.conn.close()


def run(backend: str) -> list[Result]:
    results = []
    with backend_settings(backend) as settings:
        clock = Clock()
        app = CaseFiles(settings, clock=clock)
        raw = RawStore(app)
        try:
            results.append(_commands(app, raw, clock, backend))
            results.extend(_loads(settings, raw, clock, backend))
            results.append(_cached_reads(app, raw, backend))
        finally:
            raw.close()
            app.close()
    return results


def _commands(app: CaseFiles, raw: RawStore, clock: Clock, backend: str) -> Result:
    """Each command records one visit on a different 50-event household (as a county's day of
    work does), so no household grows unrealistically over the run."""
    codes = [f"CMD{n}" for n in range(COMMANDS)]
    for start in range(0, COMMANDS, 100):
        app.save(*(fifty_event_household(code, clock()) for code in codes[start:start + 100]))
    for code in codes:  # warm the state cache, as a running server would be
        app.household(code)
    runs = iter(range(1000))
    queue: list[str] = []

    def command() -> None:
        if not queue:
            run = next(runs)
            queue.extend(f"{run}:{code}" for code in codes)
        key = queue.pop()
        app.execute(key.split(":", 1)[1], RecordVisit(visit_id=f"B{key}", visitor="网格员",
                                                      checks=ALL_PASSED, occurred_on=date(2026, 1, 1)),
                    by=BY)

    ours, theirs, ratio = paired(command, raw.insert_one, COMMANDS)
    return Result("one-event command (load+check+save) vs raw 1-row insert", backend, ours, theirs,
                  target=0.30, paired_ratio=ratio)


def _loads(settings: Settings, raw: RawStore, clock: Clock, backend: str) -> list[Result]:
    """Households of 50–59 events read from storage with no in-memory cache, against a raw
    select of 50 rows: as commands leave them (their current state kept with their events: one
    row read); as a store written before states were kept leaves them (snapshots every N
    events, where commands left them: a load reads the last and replays the rest, on average
    N/2 events for these sizes, as for any household); and with no snapshots at all."""
    raw.insert_history()
    results = []
    interval = settings.snapshot_interval
    for kind in ("state", "snapshot", "none"):
        app = CaseFiles(replace(settings, aggregate_cache_mb=0,
                                snapshot_interval=0 if kind == "none" else interval), clock=clock)
        try:
            codes = [f"LOAD{kind}-{size}" for size in range(50, 60)]
            for size, code in zip(range(50, 60), codes, strict=True):
                household = fifty_event_household(code, clock(), events=size)
                if kind == "state":  # saved by the application: its state kept with its events
                    app.save(household)
                    continue
                app.events.put(household.collect_events())  # as if saved one command at a time
                if kind == "snapshot":  # the snapshots those commands would have taken
                    for version in range(interval, size + 1, interval):
                        app.take_snapshot(household.id, version=version, projector_func=replay)
            assert [app.household(code).version for code in codes] == list(range(50, 60))
            turn = iter(range(10**9))

            def load(app: CaseFiles = app, codes: list[str] = codes, turn: Iterator[int] = turn) -> None:
                app.household(codes[next(turn) % len(codes)])

            replayed = sorted(size % interval for size in range(50, 60))
            label = {
                "state": "its current state: one row",
                "snapshot": f"stored before states were kept: snapshot every {interval} + "
                            f"{replayed[0]}–{replayed[-1]} events",
                "none": "no snapshots: replay all 50–59 events"}[kind]
            ours, theirs, ratio = paired(load, raw.select_fifty, LOADS)
            results.append(Result(f"load a 50–59-event household ({label}) vs raw select of 50 rows",
                                  backend, ours, theirs,
                                  target={"state": 1.0, "snapshot": 0.25}.get(kind),
                                  paired_ratio=ratio))
        finally:
            app.close()
    return results


def _cached_reads(app: CaseFiles, raw: RawStore, backend: str) -> Result:
    """The command benchmark's households, all in the cache (as a server's hot ones are), read
    one after another."""
    codes = [f"CMD{n}" for n in range(COMMANDS)]
    turn = iter(range(10**9))

    def read() -> None:
        app.household(codes[next(turn) % len(codes)])

    ours, theirs, ratio = paired(read, raw.select_fifty, LOADS)
    return Result("read a cached 50-event household (copy + newer events?) vs raw select of 50 rows",
                  backend, ours, theirs, paired_ratio=ratio)
