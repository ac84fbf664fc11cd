"""Alerts about people found in no registered household (domain.md §5): held, unmatched,
until a township attaches each to a household (registering one first if need be). The 15-day
clock runs from discovery all the same: the alert keeps its discovery date when attached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import deadlines
from domain.codes import (
    Channel,
    Department,
    DisasterKind,
    Problem,
    RiskType,
    Role,
    SuddenHardship,
    TargetGroup,
    Tier,
)
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.governance import RecordedEvent
from domain.rules import checked_risk_types, local_date
from domain.values import Actor

UNMATCHED_ID: UUID = uuid5(NAMESPACE_URL, "https://fangpin.example/unmatched-alerts")
#: The stage an overdue list shows for an alert still waiting for its household.
HELD_STAGE = "未匹配待认领"


@dataclass
class HeldAlert:
    """An alert waiting for its household."""

    alert_id: str
    channel: Channel
    person_id_number: str
    risk_types: tuple[RiskType, ...]
    discovered_on: date
    description: str
    period: str
    department: Department | None
    tier: Tier | None
    batch_id: str | None
    disaster_kind: DisasterKind | None
    problems: tuple[Problem, ...]
    township: str | None
    village: str | None
    held_at: datetime
    resolved_on: date | None = None
    household_code: str | None = None
    target_group: TargetGroup | None = None
    amount: Decimal | None = None
    sudden_hardship: SuddenHardship | None = None

    @property
    def pending(self) -> bool:
        return self.resolved_on is None

    def pending_on(self, day: date) -> bool:
        """Whether the alert was still waiting for its household on ``day``."""
        return self.resolved_on is None or self.resolved_on > day

    @property
    def identification_deadline(self) -> date:
        """The deadline of the case the alert will open: 15 days from its discovery, which it
        keeps when attached."""
        return deadlines.identification_deadline(self.discovered_on)

    def days_overdue(self, today: date) -> int:
        """Days a still-held alert is past that deadline (0 once attached, or until it passes):
        waiting for its household does not stop the clock."""
        return deadlines.days_overdue(self.identification_deadline, today) \
            if self.pending_on(today) else 0


class UnmatchedAlerts(Aggregate):
    """The county's list of unmatched alerts (未匹配预警)."""

    TOPIC = "fangpin:UnmatchedAlerts"

    alerts: dict[str, HeldAlert]
    command_ids: dict[str, int]

    class Event(RecordedEvent):
        TOPIC = "fangpin:UnmatchedAlerts.Event"

    class Started(Event, Aggregate.Created):
        TOPIC = "fangpin:UnmatchedAlerts.Started"

        def apply_to(self, held: UnmatchedAlerts) -> None:
            held.alerts = {}
            held.command_ids = {}

    class AlertHeld(Event):
        """An alert named a person in no registered household; its occurred_on is discovery.
        Since version 2, with the row's target group and amount; since 3, the sudden hardship."""

        TOPIC = "fangpin:UnmatchedAlerts.AlertHeld"
        class_version = 3
        alert_id: str
        channel: Channel
        person_id_number: str
        risk_types: tuple[RiskType, ...]
        description: str
        period: str
        department: Department | None
        tier: Tier | None
        batch_id: str | None
        disaster_kind: DisasterKind | None
        problems: tuple[Problem, ...]
        township: str | None
        village: str | None
        target_group: TargetGroup | None
        amount: Decimal | None
        sudden_hardship: SuddenHardship | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(target_group=None, amount=None)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state.update(sudden_hardship=None)

        def apply_to(self, held: UnmatchedAlerts) -> None:
            held.alerts[self.alert_id] = HeldAlert(
                self.alert_id, self.channel, self.person_id_number, self.risk_types,
                self.occurred_on, self.description, self.period, self.department, self.tier,
                self.batch_id, self.disaster_kind, self.problems, self.township, self.village,
                self.timestamp, target_group=self.target_group, amount=self.amount,
                sudden_hardship=self.sudden_hardship,
            )

    class AlertAttached(Event):
        """The alert was recorded on the household the person belongs to."""

        TOPIC = "fangpin:UnmatchedAlerts.AlertAttached"
        alert_id: str
        household_code: str

        def apply_to(self, held: UnmatchedAlerts) -> None:
            alert = held.alerts[self.alert_id]
            alert.resolved_on = self.occurred_on
            alert.household_code = self.household_code

    class AlertForwarded(Event):
        """An alert held at the province went to the county where its person is now a member,
        and was recorded there on the household (``county``: its code)."""

        TOPIC = "fangpin:UnmatchedAlerts.AlertForwarded"
        alert_id: str
        county: str
        household_code: str

        def apply_to(self, held: UnmatchedAlerts) -> None:
            alert = held.alerts[self.alert_id]
            alert.resolved_on = self.occurred_on
            alert.household_code = f"{self.county}/{self.household_code}"

    def __init__(self) -> None:
        """State is set by `Started.apply_to`; use `UnmatchedAlerts.start`."""

    def overdue(self, today: date) -> list[HeldAlert]:
        """The alerts still held on ``today`` past the deadline of the case each will open, the
        longest overdue first: they belong on the overdue lists beside the overdue cases (§5,
        §11)."""
        return sorted((a for a in self.alerts.values() if a.days_overdue(today) > 0),
                      key=lambda a: (a.identification_deadline, a.alert_id))

    @classmethod
    def start(cls, *, at: datetime) -> UnmatchedAlerts:
        return cls._create(cls.Started, id=UNMATCHED_ID, timestamp=at, occurred_on=local_date(at),
                           recorded_by=Actor("system", Role.SYSTEM), command_id="")

    def hold(self, *, alert_id: str, discovered_on: date, by: Actor, at: datetime,
             command_id: str = "", **fields: Any) -> None:
        """Hold an alert whose person is in no registered household."""
        if alert_id in self.alerts:
            raise RuleViolation("ALERT_ID_TAKEN", f"预警编号已存在：{alert_id}", "alert_id")
        if discovered_on > local_date(at):
            raise InvalidValue("DATE_IN_FUTURE", f"发现日期 {discovered_on} 晚于登记日期", "occurred_on")
        # the rules the alert will meet on its household, so that it can always be attached
        fields["risk_types"] = checked_risk_types(fields.get("risk_types", ()), fields.get("disaster_kind"),
                                                  fields.get("sudden_hardship"))
        for optional in ("target_group", "amount", "sudden_hardship"):
            fields.setdefault(optional, None)
        self.trigger_event(self.AlertHeld, timestamp=at, occurred_on=discovered_on, recorded_by=by,
                           command_id=command_id, alert_id=alert_id, **fields)

    def attach(self, alert_id: str, household_code: str, *, by: Actor, at: datetime,
               command_id: str = "") -> HeldAlert:
        """Mark the alert as attached to ``household_code`` (the caller records it there)."""
        alert = self._pending(alert_id)
        self.trigger_event(self.AlertAttached, timestamp=at, occurred_on=local_date(at), recorded_by=by,
                           command_id=command_id, alert_id=alert_id, household_code=household_code)
        return alert

    def forward(self, alert_id: str, county: str, household_code: str, *, by: Actor, at: datetime,
                command_id: str = "") -> HeldAlert:
        """Mark an alert held at the province as gone to ``county``'s household ``household_code``
        (the caller has recorded it there)."""
        alert = self._pending(alert_id)
        self.trigger_event(self.AlertForwarded, timestamp=at, occurred_on=local_date(at),
                           recorded_by=by, command_id=command_id, alert_id=alert_id, county=county,
                           household_code=household_code)
        return alert

    def _pending(self, alert_id: str) -> HeldAlert:
        alert = self.alerts.get(alert_id)
        if alert is None:
            raise NotFound("UNMATCHED_NOT_FOUND", f"没有编号为 {alert_id} 的未匹配预警", "alert_id")
        if not alert.pending:
            raise RuleViolation(
                "UNMATCHED_RESOLVED",
                f"该预警已于 {alert.resolved_on} 认领到农户 {alert.household_code}", "alert_id")
        return alert
