"""`Governance` (one per county): the monthly consultation (月分析会商) and the quarterly dispatch
meeting (季督导调度) of domain.md §10, the rectification items (限期整改) named at dispatch meetings
or by auditors (`domain.governance.rectification`), and the versions of the push cadence table
the county has judged departments by."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.codes import Department
from domain.errors import InvalidValue, RuleViolation
from domain.governance.recorded import RecordedEvent
from domain.governance.rectification import (
    AUDIT_SOURCE,
    RectificationItem,
    check_completion,
    check_extension,
    check_order,
    item_named,
)
from domain.rules import local_date
from domain.values import Actor

GOVERNANCE_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/governance")

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
MAX_TEXT = 2000
MAX_ITEMS = 200


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


@dataclass(frozen=True)
class CadenceTable:
    """A version of the department push cadence table, as adopted by the county."""

    digest: str  # of the duties as parsed: the same rules give the same digest
    text: str  # the table as written (TOML), for auditors
    adopted_at: datetime


class Governance(Aggregate):
    """The county's consultation and dispatch meetings (domain.md §10), the rectification items
    they (or auditors) named, and the versions of the push cadence table it has judged
    departments by."""

    TOPIC = "fangpin:Governance"

    meetings: dict[str, Meeting]
    rectifications: dict[str, RectificationItem]
    cadence_tables: list[CadenceTable]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:Governance.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:Governance.Started"

        def apply_to(self, governance: Governance) -> None:
            governance.meetings = {}
            governance.rectifications = {}
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

    class RectificationOrdered(Event):
        """限期整改: a problem named at a dispatch meeting (``source``: its id) or by an auditor
        (``source`` 审计), the township or the department that is to put it right, by when."""

        TOPIC = "fangpin:Governance.RectificationOrdered"
        item_id: str
        source: str
        problem: str
        township: str | None
        department: Department | None
        deadline: date

        def apply_to(self, governance: Governance) -> None:
            governance.rectifications[self.item_id] = RectificationItem(
                self.item_id, self.source, self.problem, self.township, self.department,
                self.occurred_on, self.deadline)

    class RectificationCompleted(Event):
        """The responsible unit (or the county) put the problem right: what was done."""

        TOPIC = "fangpin:Governance.RectificationCompleted"
        item_id: str
        what_was_done: str

        def apply_to(self, governance: Governance) -> None:
            item = governance.rectifications[self.item_id]
            governance.rectifications[self.item_id] = item.completed(self.occurred_on, self.what_was_done)

    class RectificationDeadlineExtended(Event):
        """The county moved an open item's deadline later, before it had passed, for a reason."""

        TOPIC = "fangpin:Governance.RectificationDeadlineExtended"
        item_id: str
        deadline: date
        reason: str

        def apply_to(self, governance: Governance) -> None:
            item = governance.rectifications[self.item_id]
            governance.rectifications[self.item_id] = item.extended(
                self.occurred_on, self.deadline, self.reason)

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

    def order_rectification(
        self, *, item_id: str, source: str, problem: str, township: str | None = None,
        department: Department | None = None, deadline: date, occurred_on: date, by: Actor,
        at: datetime, command_id: str = "",
    ) -> None:
        """Order a problem put right by ``deadline`` (限期整改): named at a recorded dispatch
        meeting (``source``: its id, the order on or after the meeting) or by an auditor
        (``source`` 审计); one township or one department answers for it."""
        source = (source or "").strip()
        if source != AUDIT_SOURCE:
            meeting = self.meetings.get(source)
            if meeting is None or meeting.kind != "dispatch":
                raise RuleViolation(
                    "DISPATCH_MEETING_UNKNOWN",
                    f"没有编号为 {source} 的季督导调度会议（整改事项来自调度会议或“{AUDIT_SOURCE}”）",
                    "source")
            if occurred_on < meeting.held_on:
                raise InvalidValue("ORDERED_BEFORE_MEETING",
                                   f"下达日期 {occurred_on} 早于调度会议日期 {meeting.held_on}",
                                   "occurred_on")
        fields = check_order(self.rectifications, item_id=item_id, problem=problem, township=township,
                             department=department, deadline=deadline, occurred_on=occurred_on,
                             today=local_date(at))
        self.trigger_event(self.RectificationOrdered, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id=command_id, source=source, **fields)

    def complete_rectification(
        self, *, item_id: str, what_was_done: str, occurred_on: date, by: Actor, at: datetime,
        command_id: str = "",
    ) -> None:
        """Record an item put right on ``occurred_on`` (once; late if after its deadline)."""
        item = self.rectification(item_id)
        done = check_completion(item, what_was_done=what_was_done, occurred_on=occurred_on,
                                today=local_date(at))
        self.trigger_event(self.RectificationCompleted, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id=command_id, item_id=item.item_id,
                           what_was_done=done)

    def extend_rectification_deadline(
        self, *, item_id: str, deadline: date, reason: str, occurred_on: date, by: Actor,
        at: datetime, command_id: str = "",
    ) -> None:
        """Move an open item's deadline later, before the one in force has passed."""
        item = self.rectification(item_id)
        reason = check_extension(item, deadline=deadline, reason=reason, occurred_on=occurred_on,
                                 today=local_date(at))
        self.trigger_event(self.RectificationDeadlineExtended, timestamp=at, occurred_on=occurred_on,
                           recorded_by=by, command_id=command_id, item_id=item.item_id,
                           deadline=deadline, reason=reason)

    def rectification(self, item_id: str) -> RectificationItem:
        """The item of that id (`NotFound` otherwise)."""
        return item_named(self.rectifications, item_id)

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
