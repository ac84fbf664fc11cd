"""What the province benchmark watches while the counties' commands run (`bench.province`):
how often a writer waits for a county store's advisory lock (``pg_locks``), and, given a hot
standby (``FANGPIN_BENCH_STANDBY_URL``), how far behind the primary the standby's copy of the
counties' logs is."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse, urlunparse

import psycopg

STANDBY_URL = os.environ.get("FANGPIN_BENCH_STANDBY_URL")
#: The notes the benchmark writes (`bench.province.NOTES`, the same list).
NOTES: list[str] = []


@dataclass
class Row:
    """A table row that is not ours-against-raw (the replica lag)."""

    name: str
    text: str

    def row(self) -> str:
        return f"| {self.name} | postgres | {self.text} | | | |"


#: (workers, where) → the share of samples in which a writer waited for a store's advisory lock.
LOCK_WAITS: dict[tuple[int, str], list[float]] = {}


class LockWaits:
    """Samples ``pg_locks`` every 20 ms in a thread: how often some writer of the database is
    waiting for an advisory lock (a county store's writers' lock) instead of working."""

    def __init__(self, url: str) -> None:
        self.url, self.seen, self.waiting = url, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.02):
                found = conn.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' "
                                     "AND NOT granted").fetchone()
                self.seen += 1
                self.waiting += bool(found and found[0])

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.waiting / max(self.seen, 1)


# ---------------------------------------------------------------------------------- replica lag


def standby_url(url: str) -> str:
    """The standby's URL for the database of ``url`` (the same database, replicated)."""
    return urlunparse(urlparse(STANDBY_URL or "")._replace(path=urlparse(url).path))


def sample_lag(url: str, codes: list[str], seconds: float) -> list[tuple[float, int]]:
    """(lag in ms, WAL bytes behind) every 100 ms for ``seconds``: a county's last log position
    read on the primary, then the standby polled until its copy of the log has it."""
    samples: list[tuple[float, int]] = []
    with psycopg.connect(url, autocommit=True) as primary, \
            psycopg.connect(standby_url(url), autocommit=True) as standby:
        began, turn = time.perf_counter(), 0
        while time.perf_counter() - began < seconds:
            table = events_table(url, codes[turn % len(codes)])
            turn += 1
            asked = time.perf_counter()
            position, wal = primary.execute(f"SELECT MAX(notification_id), pg_current_wal_lsn() "
                                            f"FROM {table}").fetchone()  # type: ignore[misc]
            replayed = standby.execute("SELECT pg_last_wal_replay_lsn()").fetchone()[0]  # type: ignore[index]
            behind = primary.execute("SELECT pg_wal_lsn_diff(%s, %s)", (wal, replayed)).fetchone()[0]  # type: ignore[index]
            while (standby.execute(f"SELECT MAX(notification_id) FROM {table}").fetchone()[0]  # type: ignore[index]
                   or 0) < (position or 0):
                if time.perf_counter() - asked > 30:
                    raise RuntimeError("the standby did not replay the primary's log in 30 s")
                time.sleep(0.0005)
            samples.append(((time.perf_counter() - asked) * 1000, max(int(behind), 0)))
            time.sleep(max(0.0, 0.1 - (time.perf_counter() - asked)))
    return samples


def lag_rows(samples: list[tuple[float, int]], counties: int) -> list[Row]:
    lags = sorted(s[0] for s in samples)
    behind = sorted(s[1] for s in samples)

    def pct(values: list[Any], q: float) -> Any:
        return values[min(len(values) - 1, int(len(values) * q))]

    NOTES.append(f"replica lag: {len(lags)} samples; the standby's replay was "
                 f"{pct(behind, 0.5):,} bytes of WAL behind at p50, {pct(behind, 0.99):,} at p99 "
                 "(an upper bound: the primary's position was read first). A lag includes one "
                 "primary and at least one standby query (about a millisecond on loopback).")
    return [Row(f"replica lag p50 / p99 under {counties} counties' command load",
                f"{pct(lags, 0.5):.1f} ms / {pct(lags, 0.99):.1f} ms")]


def events_table(url: str, code: str) -> str:
    from application.settings import Settings

    schema = Settings(database_url=url).county_store(code).postgres_schema
    return f'"{schema}".fangpin_events'
