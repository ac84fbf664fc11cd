"""Shared helpers: timing, back ends, fixtures for benchmark households."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse, urlunparse

import psycopg

from application.settings import Settings
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    Finding,
    HouseholdType,
    LabourCapacity,
    MeasureType,
    Relation,
    RiskType,
    Role,
    Tier,
)
from domain.household import Household
from domain.identity import check_digit
from domain.values import Actor, MemberDetails

POSTGRES_URL = os.environ.get("FANGPIN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REPEATS = int(os.environ.get("FANGPIN_BENCH_REPEATS", "5"))
BY = Actor("bench", Role.COUNTY_CENTRE)


@dataclass
class Result:
    name: str
    backend: str
    ours: float
    raw: float
    unit: str = "/s"
    target: float | None = None
    paired_ratio: float | None = None
    #: An upper bound on ``ours`` itself (a latency), instead of a target ratio.
    limit: float | None = None

    @property
    def ratio(self) -> float:
        """Median of per-run ratios when measured in pairs, else the ratio of medians."""
        return self.paired_ratio if self.paired_ratio is not None else self.ours / self.raw

    def row(self) -> str:
        target = f"≥ {self.target:.0%}" if self.target is not None else ""
        verdict = "" if self.target is None else ("met" if self.ratio >= self.target else "MISSED")
        if self.limit is not None:
            target = f"< {self.limit:g}{self.unit}"
            verdict = "met" if self.ours < self.limit else "MISSED"
        # latencies of a few ms need their tenths, durations of a few seconds their hundredths
        digits = {"ms": 1, "s": 2}.get(self.unit.strip(), 0)
        return (f"| {self.name} | {self.backend} | {self.ours:,.{digits}f}{self.unit} "
                f"| {self.raw:,.{digits}f}{self.unit} | {self.ratio:.0%} | {target} {verdict} |")


def paired(
    ours: Callable[[], None], raw: Callable[[], None], count: int, repeats: int = REPEATS
) -> tuple[float, float, float]:
    """Rates of ``ours`` and ``raw`` measured in alternating runs (so both see the same noise):
    (median rate of ours, median rate of raw, median of the per-run ratios)."""
    ours_rates, raw_rates, ratios = [], [], []
    for _ in range(repeats):
        ours_rate = rate(ours, count, repeats=1)
        raw_rate = rate(raw, count, repeats=1)
        ours_rates.append(ours_rate)
        raw_rates.append(raw_rate)
        ratios.append(ours_rate / raw_rate)
    return statistics.median(ours_rates), statistics.median(raw_rates), statistics.median(ratios)


def rate(operation: Callable[[], None], count: int, repeats: int = REPEATS) -> float:
    """Median operations per second over ``repeats`` runs of ``count`` operations."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            operation()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def postgres_database_url(database: str) -> str:
    """The URL of another database on the benchmarks' PostgreSQL server."""
    return urlunparse(urlparse(POSTGRES_URL)._replace(path=f"/{database}"))


def postgres_available() -> bool:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


@contextmanager
def backend_settings(backend: str, **overrides: object) -> Iterator[Settings]:
    """Fresh settings on a throw-away SQLite file or PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield Settings(sqlite_path=Path(tmp) / "bench.sqlite3", **overrides)  # type: ignore[arg-type]
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(database_url=POSTGRES_URL, postgres_schema=schema, **overrides)  # type: ignore[arg-type]
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def person(serial: int, birth: date = date(1970, 1, 1)) -> str:
    first = f"130630{birth:%Y%m%d}{serial % 1000:03d}"
    return first + check_digit(first)


class Clock:
    """Recording times one minute apart, so a household's recorded history is ordered."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


ALL_PASSED = dict.fromkeys(Check, True)


#: Households made by `fifty_event_household` so far: each gets people of its own (a person is
#: in one household at a time).
_HOUSEHOLDS_MADE = itertools.count()


def fifty_event_household(code: str, at: datetime, events: int = 50) -> Household:
    """A household whose case file holds 50 (or ``events``) events of the usual kinds:
    registration, an alert, the four identification steps, analysis, measures and monthly
    visits; its two members are in no other household this process made."""
    made = next(_HOUSEHOLDS_MADE)
    born = date(1950, 1, 1) + timedelta(days=made // 500)
    head, spouse = person(made % 500 * 2, born), person(made % 500 * 2 + 1, born)
    household = Household.register(
        code=code, township="银坊镇", village="东村", address="东村1号",
        household_type=HouseholdType.ORDINARY,
        members=[MemberDetails("王建国", head, Relation.HEAD),
                 MemberDetails("李秀英", spouse, Relation.SPOUSE)],
        occurred_on=date(2020, 1, 1), by=BY, at=at,
    )
    household.raise_alert(alert_id="A1", channel=Channel.DEPARTMENT_ALERT, person_id_number=head,
                          risk_types=[RiskType.ILLNESS], department=Department.MEDICAL_INSURANCE,
                          tier=Tier.PROVINCIAL,
                          period="2020-02", occurred_on=date(2020, 2, 1), by=BY, at=at)
    household.verify_at_home(1, Finding.RISK_CONFIRMED, occurred_on=date(2020, 2, 2), by=BY, at=at)
    household.conclude_village_deliberation(1, Decision.PASSED, notice_from=date(2020, 2, 3),
                                            notice_to=date(2020, 2, 7), occurred_on=date(2020, 2, 8),
                                            by=BY, at=at)
    household.complete_township_review(1, Decision.PASSED, occurred_on=date(2020, 2, 4), by=BY, at=at)
    household.decide_at_county(1, Decision.PASSED, category=Category.EDGE_OF_POVERTY, simplified=True,
                               occurred_on=date(2020, 2, 10), by=BY, at=at)
    household.analyse_risk(causes=[RiskType.ILLNESS], labour_capacity=LabourCapacity.WEAK,
                           needs=[MeasureType.HEALTH], occurred_on=date(2020, 2, 11), by=BY, at=at)
    household.assign_measure(measure_id="M1", measure_type=MeasureType.HEALTH,
                             department=Department.HEALTH, responsible_person="赵医生",
                             amount=Decimal(1000), occurred_on=date(2020, 2, 12), by=BY, at=at)
    household.put_measure_in_place("M1", occurred_on=date(2020, 2, 20), by=BY, at=at)
    day = date(2020, 3, 1)
    while household.version < events:
        household.record_visit(visit_id=f"V{household.version}", visitor="网格员", checks=ALL_PASSED,
                               income_change=Decimal("120.50"), occurred_on=day, by=BY, at=at)
        day += timedelta(days=30)
    return household


def timed(operation: Callable[[], object]) -> float:
    """Seconds one call of ``operation`` takes."""
    began = time.perf_counter()
    operation()
    return time.perf_counter() - began


Request = tuple[str, str, bytes | None, dict[str, Any] | None]  # method, path, body, params


class Client:
    """A plain HTTP/1.1 client on one keep-alive connection (asyncio streams): the request
    bytes out, the status line, headers and ``Content-Length`` body in. It costs the bench
    process ~0.15 ms of CPU a request where httpx costs 1–6 ms (see `bench.http._floor`), which
    matters when client and server share two CPUs. ``token``: sent as ``Authorization: Bearer``
    with every request, if given."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.host = f"127.0.0.1:{port}"
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    @property
    def connected(self) -> bool:
        return self.writer is not None and not self.writer.is_closing()

    def encode(self, request: Request, headers: dict[str, str] | None = None) -> bytes:
        """The request's bytes; a body is JSON unless ``headers`` name its Content-Type, and
        ``headers`` may name another Authorization than the client's token."""
        method, path, body, params = request
        target = f"{path}?{urlencode(params)}" if params else path
        head = f"{method} {target} HTTP/1.1\r\nHost: {self.host}\r\n"
        extra = dict(headers or {})
        if self.token and "Authorization" not in extra:
            head += f"Authorization: Bearer {self.token}\r\n"
        if body is not None:
            extra.setdefault("Content-Type", "application/json")
            extra["Content-Length"] = str(len(body))
        head += "".join(f"{name}: {value}\r\n" for name, value in extra.items())
        return head.encode() + b"\r\n" + (body or b"")

    async def send(self, request: bytes) -> tuple[int, bytes]:
        status, _, body = await self.exchange(request)
        return status, body

    async def exchange(self, request: bytes) -> tuple[int, dict[str, list[str]], bytes]:
        """Send ``request``; the answer's status, headers (lower-case names) and body."""
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        headers: dict[str, list[str]] = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name:
                headers.setdefault(name.strip().lower().decode(), []).append(value.strip().decode("latin-1"))
        if "transfer-encoding" in headers:
            raise RuntimeError(f"unexpected Transfer-Encoding: {headers['transfer-encoding']}")
        length = int(headers.get("content-length", ["0"])[0])
        return int(head[9:12]), headers, await self.reader.readexactly(length)
