"""`PushLedger` (one per department): every batch a department pushed, when it was received, for
which period, and what its rows became. A batch with no rows is a zero report (零报告): the
department met its cadence with nothing to report. Push compliance (domain.md §5) is judged from
these receipts against the cadence table.

A batch with rows arrives before its first row is recorded (`PushArrived`) and is received once
its last one is (`PushReceived`): a batch cut short by a crash stays an arrival, not a receipt,
until it is sent again, and its receipt then keeps the time it first arrived — the time its
timeliness is judged on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.codes import Department, Tier
from domain.errors import InvalidValue, RuleViolation
from domain.governance.recorded import RecordedEvent
from domain.rules import local_date
from domain.values import Actor

#: A push's period: a month, optionally one of its ten-day (旬) or half-month parts.
PUSH_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])(上旬|中旬|下旬|上半月|下半月)?$")


def push_ledger_id(department: Department) -> UUID:
    """The ledger of one department's pushes."""
    return uuid5(NAMESPACE_URL, f"https://fangpin.example/push-ledger/{department.value}")


def check_push_period(period: str, field: str = "period") -> str:
    """``2025-03`` (a month), or a ten-day or half-month part of it (``2025-03上旬``,
    ``2025-03下半月``): the period a push reports on."""
    value = (period or "").strip()
    if not PUSH_PERIOD.match(value) or not 2000 <= int(value[:4]) <= 2100:
        raise InvalidValue(
            "PUSH_PERIOD_INVALID",
            "推送期次须为月份（2025-03），或加上旬/中旬/下旬、上半月/下半月（2025-03上旬）",
            field,
        )
    return value


def month_of_push_period(period: str) -> str:
    """The month a push period falls in (alerts' duplicate rule works by month)."""
    return period[:7]


@dataclass(frozen=True)
class PushReceipt:
    """One batch a department pushed, as received."""

    department: Department
    batch_id: str
    tier: Tier | None
    period: str
    received_on: date
    received_at: datetime
    urgent: bool
    rows: int
    new_cases: int
    joined: int
    duplicates: int
    rejected: int

    @property
    def meets_the_cadence(self) -> bool:
        """Whether this batch can meet its department's cadence duty (domain.md §5): a county-tier
        push that is not urgent (urgent pushes are counted apart; the province's push is the
        province's, not the department's), and either a zero report (零报告, no rows) or one at
        least one row of which was accepted (recorded as a case, joined, a duplicate or held
        unmatched). A batch whose every row was refused reported nothing: the push is still owed."""
        return (not self.urgent and self.tier is not Tier.PROVINCIAL
                and (self.rows == 0 or self.rejected < self.rows))


@dataclass(frozen=True)
class PushArrival:
    """A batch whose rows began to be recorded, and when it first arrived: not yet a push
    received (its rows may be half recorded) until its receipt is."""

    department: Department
    batch_id: str
    tier: Tier | None
    period: str
    urgent: bool
    arrived_on: date
    arrived_at: datetime


class PushLedger(Aggregate):
    """A department's pushes (部门推送台账)."""

    TOPIC = "fangpin:PushLedger"

    department: Department
    receipts: dict[str, PushReceipt]
    #: Batches that arrived and have no receipt yet (cut short; resent, they complete).
    arrivals: dict[str, PushArrival]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:PushLedger.Event"

    class Opened(Event, Aggregate.Created):
        TOPIC = "fangpin:PushLedger.Opened"
        department: Department

        def apply_to(self, ledger: PushLedger) -> None:
            ledger.department = self.department
            ledger.receipts = {}
            ledger.arrivals = {}
            ledger.command_ids = {}

    class PushArrived(Event):
        """A batch arrived: its rows are about to be recorded on the households."""

        TOPIC = "fangpin:PushLedger.PushArrived"
        batch_id: str
        tier: Tier | None
        period: str
        urgent: bool

        def apply_to(self, ledger: PushLedger) -> None:
            ledger.arrivals[self.batch_id] = PushArrival(
                ledger.department, self.batch_id, self.tier, self.period, self.urgent,
                self.occurred_on, self.timestamp)

    class PushReceived(Event):
        """A batch was received from the department (its rows are recorded on the households)."""

        TOPIC = "fangpin:PushLedger.PushReceived"
        batch_id: str
        tier: Tier | None
        period: str
        urgent: bool
        rows: int
        new_cases: int
        joined: int
        duplicates: int
        rejected: int

        def apply_to(self, ledger: PushLedger) -> None:
            arrival = ledger.arrivals.pop(self.batch_id, None)  # none for a zero report
            ledger.receipts[self.batch_id] = PushReceipt(
                ledger.department, self.batch_id, self.tier, self.period,
                arrival.arrived_on if arrival else self.occurred_on,
                arrival.arrived_at if arrival else self.timestamp, self.urgent, self.rows,
                self.new_cases, self.joined, self.duplicates, self.rejected,
            )

    def __init__(self) -> None:
        """State is set by `Opened.apply_to`; use `PushLedger.start`."""

    @classmethod
    def start(cls, department: Department, *, occurred_on: date, by: Actor,
             at: datetime) -> PushLedger:
        return cls._create(
            cls.Opened, id=push_ledger_id(department), timestamp=at, occurred_on=occurred_on,
            recorded_by=by, command_id="", department=department,
        )

    def arrive(self, *, batch_id: str, tier: Tier | None, period: str, urgent: bool = False,
               by: Actor, at: datetime, command_id: str = "") -> None:
        """Record that a batch arrived now, before its first row is recorded (its day is the
        day of ``at``, never backdated). A batch that arrived before keeps its first arrival."""
        batch_id = _batch_id(batch_id)
        if batch_id in self.receipts:
            raise RuleViolation("BATCH_ALREADY_RECEIVED", f"推送批次已接收：{batch_id}", "batch_id")
        if batch_id in self.arrivals:
            return
        self.trigger_event(
            self.PushArrived, timestamp=at, occurred_on=local_date(at), recorded_by=by,
            command_id=command_id, batch_id=batch_id, tier=tier,
            period=check_push_period(period), urgent=bool(urgent),
        )

    def receive(
        self, *, batch_id: str, tier: Tier | None, period: str, urgent: bool = False,
        rows: int, new_cases: int = 0, joined: int = 0, duplicates: int = 0, rejected: int = 0,
        by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Record a batch as received, its rows all recorded: at the time it first arrived, or
        now for one that did not arrive before (a zero report). Its day is never backdated,
        since push timeliness is judged on it."""
        batch_id = _batch_id(batch_id)
        if batch_id in self.receipts:
            raise RuleViolation("BATCH_ALREADY_RECEIVED", f"推送批次已接收：{batch_id}", "batch_id")
        counts = (rows, new_cases, joined, duplicates, rejected)
        if any(not isinstance(n, int) or n < 0 for n in counts):
            raise InvalidValue("COUNT_INVALID", "条数须为非负整数", "rows")
        self.trigger_event(
            self.PushReceived, timestamp=at, occurred_on=local_date(at), recorded_by=by,
            command_id=command_id, batch_id=batch_id, tier=tier,
            period=check_push_period(period), urgent=bool(urgent), rows=rows,
            new_cases=new_cases, joined=joined, duplicates=duplicates, rejected=rejected,
        )


def _batch_id(batch_id: str) -> str:
    batch_id = (batch_id or "").strip()
    if not batch_id:
        raise InvalidValue("BATCH_ID_REQUIRED", "推送批次号不能为空", "batch_id")
    return batch_id
