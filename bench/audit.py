"""Checking and copying the whole log (issue 7), beside a raw read of the same rows.

- raw read: plain sqlite3 / psycopg reading every row of the events table in log order (position,
  aggregate, version, topic, state) a page at a time, touching each state: no framework, no hash;
- verify: `application.audit.verify` over the whole log (both passes: by position against the
  chain rows, with SHA-256 of every event, then by household in version order), with the county's
  checkpoint to compare against;
- export: `application.backup.export_log` of the whole log to a gzip file (events with chain
  rows, the checkpoint, users, access log);
- import: `application.backup.import_log` of that file into an empty store of the same back end
  (once: it needs a fresh store each time), which includes a full verify at the end;
- peak memory of one verify, traced by `tracemalloc` (Python allocations only; untimed).

Rates are events per second of the log; ours and raw run alternately and the ratio is the median
of per-run ratios. The county is the one the HTTP benchmark keeps (`bench.http.working_county`).
"""

from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.app import CaseFiles
from application.audit import LogTables, sign_checkpoint, verify
from application.backup import export_log, import_log
from application.settings import Settings
from application.store.encryption import fingerprint
from bench import http
from bench.common import Result, postgres_database_url, timed

NOTES: list[str] = []
PROBLEMS: list[str] = []
PAGE = 5000
NOW = datetime(2026, 1, 10, tzinfo=UTC)


def run(backend: str, *, quick: bool = False, repeats: int = 5) -> list[Result]:
    households = http.size(quick, repeats).households
    repeats = min(repeats, 3)  # each run reads the whole county
    with http.working_county(backend, households) as (settings, how), CaseFiles(settings) as app:
        tables = app.log_tables()
        key = Ed25519PrivateKey.generate()
        began = time.perf_counter()
        checkpoint = sign_checkpoint(tables, key, now=NOW)
        events = checkpoint.events
        NOTES.append(f"{backend}: audit on {how}; the first checkpoint (a verify, then signing) "
                     f"took {time.perf_counter() - began:.1f} s for {events:,} events.")
        raw = _RawRead(settings, tables)
        results = []
        with tempfile.TemporaryDirectory(prefix="fangpin-audit-") as tmp:
            target = Path(tmp) / "county.log.gz"

            def check() -> None:
                report = verify(tables, [checkpoint], trusted_key=key.public_key())
                if not report.clean:
                    PROBLEMS.append(f"{backend}: verify found {len(report.findings)} problems "
                                    "on an untouched county")

            def export() -> None:
                # signed: the import below trusts the county's key, and refuses an unsigned file
                export_log(tables, target, encryption=fingerprint(settings.cipher_key),
                           source=settings.describe(), now=NOW, signing_key=key)

            for name, ours in (("verify the whole log (chain + checkpoint)", check),
                               ("export the whole log (gzip)", export)):
                ours_rates, raw_rates, ratios = [], [], []
                for _ in range(repeats):
                    ours_rates.append(events / timed(ours))
                    raw_rates.append(events / timed(raw.read))
                    ratios.append(ours_rates[-1] / raw_rates[-1])
                results.append(Result(name, backend, statistics.median(ours_rates),
                                      statistics.median(raw_rates), paired_ratio=statistics.median(ratios)))
            size = target.stat().st_size
            NOTES.append(f"{backend}: the export file is {size / 1e6:.0f} MB "
                         f"({size / events:.0f} bytes per event).")
            with _empty_store(backend, Path(tmp)) as empty, CaseFiles(empty) as copy:
                seconds = timed(lambda: import_log(copy.log_tables(), target,
                                                    encryption=fingerprint(empty.cipher_key),
                                                    trusted_key=key.public_key()))
                results.append(Result("import the export into an empty store (+ verify)", backend,
                                      events / seconds, statistics.median(raw_rates)))
        tracemalloc.start()
        verify(tables, [checkpoint], trusted_key=key.public_key())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        NOTES.append(f"{backend}: peak traced Python memory of one verify: {peak / 2**20:.1f} MiB.")
        raw.close()
        return results



class _RawRead:
    """Every event row in log order, a page at a time, with plain sqlite3 / psycopg."""

    def __init__(self, settings: Settings, tables: LogTables) -> None:
        self.statement = (f"SELECT {tables.pos}, originator_id, originator_version, topic, state "
                          f"FROM {tables.events} WHERE {tables.pos} > {{p}} "
                          f"ORDER BY {tables.pos} LIMIT {PAGE}")
        if settings.backend == "sqlite":
            import sqlite3

            self.conn: Any = sqlite3.connect(settings.sqlite_file)
            self.statement = self.statement.format(p="?")
        else:
            self.conn = psycopg.connect(settings.database_url or "", autocommit=True)
            self.statement = self.statement.format(p="%s")

    def read(self) -> None:
        last, total = 0, 0
        while rows := self.conn.execute(self.statement, (last,)).fetchall():
            total += sum(len(row[4]) for row in rows)
            last = rows[-1][0]

    def close(self) -> None:
        self.conn.close()


class _empty_store:  # a context manager: a fresh, empty store that is dropped afterwards
    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend, self.tmp, self.name = backend, tmp, f"fangpin_bench_import_{uuid.uuid4().hex[:8]}"

    def __enter__(self) -> Settings:
        if self.backend == "sqlite":
            return Settings(sqlite_path=self.tmp / "imported.sqlite3")
        with http._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return Settings(database_url=postgres_database_url(self.name))

    def __exit__(self, *exc: object) -> None:
        if self.backend == "postgres":
            with http._admin() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
