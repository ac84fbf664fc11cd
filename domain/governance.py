"""County governance as recorded facts: department push receipts and the county's meetings.

- `PushLedger` (one per department): every batch a department pushed, when it was received, for
  which period, and what its rows became. A batch with no rows is a zero report (零报告): the
  department met its cadence with nothing to report. Push compliance (domain.md §5) is judged
  from these receipts against the cadence table.
- `Governance` (one per county): the monthly consultation (月分析会商) and the quarterly
  dispatch meeting (季督导调度) of domain.md §10.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.codes import Department, Tier
from domain.errors import InvalidValue, RuleViolation
from domain.rules import local_date
from domain.values import Actor

GOVERNANCE_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/governance")

#: A push's period: a month, optionally one of its ten-day (旬) or half-month parts.
PUSH_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])(上旬|中旬|下旬|上半月|下半月)?$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MAX_TEXT = 2000
MAX_ITEMS = 200


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


@dataclass(frozen=True)
class Meeting:
    """A consultation (会商) or dispatch (调度) meeting of the county."""

    kind: str  # "consultation" | "dispatch"
    meeting_id: str
    held_on: date
    quarter: str | None
    departments_present: tuple[Department, ...]
    topics: tuple[str, ...]
    decisions: tuple[str, ...]
    households_discussed: tuple[str, ...]


class RecordedEvent(Aggregate.Event):
    """Base of the county-level aggregates' events: when it happened, who recorded it, for
    which command; applying one remembers its command id (a repeated command records nothing)."""

    TOPIC = "fangpin:RecordedEvent"
    occurred_on: date
    recorded_by: Actor
    command_id: str

    def apply(self, aggregate: Any) -> None:
        self.apply_to(aggregate)
        if self.command_id:
            aggregate.command_ids[self.command_id] = self.originator_version

    def apply_to(self, aggregate: Any) -> None:
        pass


class PushLedger(Aggregate):
    """A department's pushes (部门推送台账)."""

    TOPIC = "fangpin:PushLedger"

    department: Department
    receipts: dict[str, PushReceipt]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:PushLedger.Event"

    class Opened(Event, Aggregate.Created):
        TOPIC = "fangpin:PushLedger.Opened"
        department: Department

        def apply_to(self, ledger: PushLedger) -> None:
            ledger.department = self.department
            ledger.receipts = {}
            ledger.command_ids = {}

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
            ledger.receipts[self.batch_id] = PushReceipt(
                ledger.department, self.batch_id, self.tier, self.period, self.occurred_on,
                self.timestamp, self.urgent, self.rows, self.new_cases, self.joined,
                self.duplicates, self.rejected,
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

    def receive(
        self, *, batch_id: str, tier: Tier | None, period: str, urgent: bool = False,
        rows: int, new_cases: int = 0, joined: int = 0, duplicates: int = 0, rejected: int = 0,
        by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Record a batch as received now (its day is the day of ``at``: a receipt is never
        backdated, since push timeliness is judged on it)."""
        batch_id = (batch_id or "").strip()
        if not batch_id:
            raise InvalidValue("BATCH_ID_REQUIRED", "推送批次号不能为空", "batch_id")
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


@dataclass(frozen=True)
class CadenceTable:
    """A version of the department push cadence table, as adopted by the county."""

    digest: str  # of the duties as parsed: the same rules give the same digest
    text: str  # the table as written (TOML), for auditors
    adopted_at: datetime


class Governance(Aggregate):
    """The county's consultation and dispatch meetings (domain.md §10), and the versions of the
    push cadence table it has judged departments by."""

    TOPIC = "fangpin:Governance"

    meetings: dict[str, Meeting]
    cadence_tables: list[CadenceTable]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:Governance.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:Governance.Started"

        def apply_to(self, governance: Governance) -> None:
            governance.meetings = {}
            governance.cadence_tables = []
            governance.command_ids = {}

    class ConsultationHeld(Event):
        """月分析会商: progress, data analysis, decisions on identification and help."""

        TOPIC = "fangpin:Governance.ConsultationHeld"
        meeting_id: str
        departments_present: tuple[Department, ...]
        topics: tuple[str, ...]
        decisions: tuple[str, ...]
        households_discussed: tuple[str, ...]

        def apply_to(self, governance: Governance) -> None:
            governance.meetings[self.meeting_id] = Meeting(
                "consultation", self.meeting_id, self.occurred_on, None,
                self.departments_present, self.topics, self.decisions, self.households_discussed,
            )

    class DispatchMeetingHeld(Event):
        """季督导调度: praise, problems, deadlines for rectification."""

        TOPIC = "fangpin:Governance.DispatchMeetingHeld"
        meeting_id: str
        quarter: str
        departments_present: tuple[Department, ...]
        topics: tuple[str, ...]
        decisions: tuple[str, ...]
        households_discussed: tuple[str, ...]

        def apply_to(self, governance: Governance) -> None:
            governance.meetings[self.meeting_id] = Meeting(
                "dispatch", self.meeting_id, self.occurred_on, self.quarter,
                self.departments_present, self.topics, self.decisions, self.households_discussed,
            )

    class CadenceTableAdopted(Event):
        """A new version of the push cadence table applies from now on (its recording time)."""

        TOPIC = "fangpin:Governance.CadenceTableAdopted"
        digest: str
        text: str

        def apply_to(self, governance: Governance) -> None:
            governance.cadence_tables.append(CadenceTable(self.digest, self.text, self.timestamp))

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `Governance.start`."""

    @classmethod
    def start(cls, *, occurred_on: date, by: Actor, at: datetime) -> Governance:
        return cls._create(
            cls.Started, id=GOVERNANCE_ID, timestamp=at, occurred_on=occurred_on,
            recorded_by=by, command_id="",
        )

    def hold_consultation(
        self, *, meeting_id: str, departments_present: list[Department], topics: list[str],
        decisions: list[str], households_discussed: list[str] = (),  # type: ignore[assignment]
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Record a monthly consultation held on ``occurred_on``."""
        fields = self._meeting_fields(meeting_id, departments_present, topics, decisions,
                                      households_discussed, occurred_on, at)
        self.trigger_event(self.ConsultationHeld, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id=command_id, **fields)

    def hold_dispatch_meeting(
        self, *, meeting_id: str, quarter: str, departments_present: list[Department],
        topics: list[str], decisions: list[str],
        households_discussed: list[str] = (),  # type: ignore[assignment]
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Record a quarterly dispatch meeting for ``quarter`` (``2025-Q1``)."""
        quarter = (quarter or "").strip().upper()
        found = _QUARTER.match(quarter)
        if not found:
            raise InvalidValue("QUARTER_INVALID", "季度须写作 2025-Q1", "quarter")
        fields = self._meeting_fields(meeting_id, departments_present, topics, decisions,
                                      households_discussed, occurred_on, at)
        self.trigger_event(self.DispatchMeetingHeld, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id=command_id, quarter=quarter, **fields)

    def adopt_cadence_table(self, *, digest: str, text: str, by: Actor, at: datetime,
                            command_id: str = "") -> None:
        """Record a version of the cadence table (refused when it is the one in force)."""
        if self.cadence_tables and self.cadence_tables[-1].digest == digest:
            raise RuleViolation("CADENCES_UNCHANGED", "推送频次表与现行版本相同", "cadences")
        self.trigger_event(self.CadenceTableAdopted, timestamp=at, occurred_on=local_date(at),
                           recorded_by=by, command_id=command_id, digest=digest, text=text)

    def cadence_table(self) -> CadenceTable | None:
        """The table in force (the latest adopted)."""
        return self.cadence_tables[-1] if self.cadence_tables else None

    def _meeting_fields(
        self, meeting_id: str, departments: list[Department], topics: list[str],
        decisions: list[str], households: list[str], occurred_on: date, at: datetime,
    ) -> dict[str, Any]:
        meeting_id = (meeting_id or "").strip()
        if not meeting_id:
            raise InvalidValue("MEETING_ID_REQUIRED", "会议编号不能为空", "meeting_id")
        if meeting_id in self.meetings:
            raise RuleViolation("MEETING_ID_TAKEN", f"会议编号已存在：{meeting_id}", "meeting_id")
        if occurred_on > local_date(at):
            raise InvalidValue("DATE_IN_FUTURE", f"会议日期 {occurred_on} 晚于登记日期", "occurred_on")
        if not departments:
            raise InvalidValue("DEPARTMENTS_REQUIRED", "须列出参会部门", "departments_present")
        if any(not isinstance(d, Department) for d in departments):
            raise InvalidValue("DEPARTMENT_UNKNOWN", "参会部门须为部门代码表中的部门", "departments_present")
        topics_ = _texts(topics, "topics", "议题", required=True)
        return {
            "meeting_id": meeting_id,
            "departments_present": tuple(dict.fromkeys(departments)),
            "topics": topics_,
            "decisions": _texts(decisions, "decisions", "决定事项"),
            "households_discussed": _texts(households, "households_discussed", "研究的户编号"),
        }

    def consultation_months(self) -> set[str]:
        return {f"{m.held_on:%Y-%m}" for m in self.meetings.values() if m.kind == "consultation"}


def _texts(values: Any, field: str, label: str, *, required: bool = False) -> tuple[str, ...]:
    items = tuple(str(v).strip() for v in (values or ()) if str(v).strip())
    if required and not items:
        raise InvalidValue("TEXT_REQUIRED", f"{label}不能为空", field)
    if len(items) > MAX_ITEMS or any(len(v) > MAX_TEXT for v in items):
        raise InvalidValue("TEXT_TOO_LONG", f"{label}最多{MAX_ITEMS}条、每条{MAX_TEXT}字", field)
    return items


IMPORTS_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/imports")


@dataclass(frozen=True)
class ImportRecord:
    """A file imported, by the digest of its content."""

    kind: str  # "alerts" | "households"
    digest: str
    filename: str
    batch_id: str | None
    department: Department | None
    rows: int
    recorded: int
    rejected: int
    imported_at: datetime


class ImportLedger(Aggregate):
    """Every file imported into the county's log (导入台账), so a file is never imported twice."""

    TOPIC = "fangpin:ImportLedger"

    files: dict[str, ImportRecord]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:ImportLedger.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:ImportLedger.Started"

        def apply_to(self, ledger: ImportLedger) -> None:
            ledger.files = {}
            ledger.command_ids = {}

    class FileImported(Event):
        TOPIC = "fangpin:ImportLedger.FileImported"
        kind: str
        digest: str
        filename: str
        batch_id: str | None
        department: Department | None
        rows: int
        recorded: int
        rejected: int

        def apply_to(self, ledger: ImportLedger) -> None:
            ledger.files[f"{self.kind}:{self.digest}"] = ImportRecord(
                self.kind, self.digest, self.filename, self.batch_id, self.department, self.rows,
                self.recorded, self.rejected, self.timestamp)

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `ImportLedger.start`."""

    @classmethod
    def start(cls, *, occurred_on: date, by: Actor, at: datetime) -> ImportLedger:
        return cls._create(cls.Started, id=IMPORTS_ID, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id="")

    def record_import(
        self, *, kind: str, digest: str, filename: str, batch_id: str | None,
        department: Department | None, rows: int, recorded: int, rejected: int, by: Actor,
        at: datetime, command_id: str = "",
    ) -> None:
        """Record that a file was imported (what it gave); the same content once only."""
        if f"{kind}:{digest}" in self.files:
            raise RuleViolation("FILE_ALREADY_IMPORTED", f"此文件已导入：{filename}", "file")
        self.trigger_event(
            self.FileImported, timestamp=at, occurred_on=local_date(at), recorded_by=by,
            command_id=command_id, kind=kind, digest=digest, filename=filename[:200],
            batch_id=batch_id, department=department, rows=rows, recorded=recorded,
            rejected=rejected,
        )

    def imported(self, kind: str, digest: str) -> ImportRecord | None:
        return self.files.get(f"{kind}:{digest}")
