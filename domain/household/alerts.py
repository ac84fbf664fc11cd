"""Alerts (预警): a risk signal opens a case, joins the active one, or duplicates one already known.

An alert whose (person, risk type, department, period) keys are all known already is a duplicate
of the first such alert and opens no case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain import rules
from domain.codes import (
    Channel,
    Department,
    DisasterKind,
    Problem,
    RiskType,
    SuddenHardship,
    TargetGroup,
    Tier,
)
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.household.state import Event, HouseholdState, check_recorded_date, require_text
from domain.identity import validate_id_number
from domain.rules import is_amount
from domain.values import Actor, Alert, Case

#: What became of an alert, as pushes, imports and the push ledger name it.
NEW_CASE, JOINED_CASE, DUPLICATE = "新案件", "并入案件", "重复"


@dataclass(frozen=True)
class AlertOutcome:
    """What became of an alert: the case it opened or joined, or the alert it duplicates."""

    alert_id: str
    case_number: int | None
    duplicate_of: str | None
    new_case: bool

    @property
    def name(self) -> str:
        """新案件, 并入案件 or 重复."""
        if self.duplicate_of:
            return DUPLICATE
        return NEW_CASE if self.new_case else JOINED_CASE


class AlertRaised(Event):
    """A risk signal was received; it opened a case, joined the active one, or duplicated one.
    Since version 2, a pushed row's target group and amount (None before, and where the
    cadence names none); since version 3, the sudden hardship it reports (None before)."""

    TOPIC = "fangpin:Household.AlertRaised"
    class_version = 3
    alert_id: str
    channel: Channel
    person_id_number: str
    risk_types: tuple[RiskType, ...]
    period: str
    description: str
    department: Department | None
    tier: Tier | None
    batch_id: str | None
    disaster_kind: DisasterKind | None
    problems: tuple[Problem, ...]
    duplicate_of: str | None
    opens_case: bool
    target_group: TargetGroup | None
    amount: Decimal | None
    sudden_hardship: SuddenHardship | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(target_group=None, amount=None)

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state.update(sudden_hardship=None)

    def subject(self) -> str:
        return f"alert:{self.alert_id}"

    def apply_to(self, household: HouseholdState) -> None:
        alert = Alert(
            alert_id=self.alert_id,
            channel=self.channel,
            person_id_number=self.person_id_number,
            risk_types=self.risk_types,
            discovered_on=self.occurred_on,
            period=self.period,
            description=self.description,
            department=self.department,
            tier=self.tier,
            batch_id=self.batch_id,
            disaster_kind=self.disaster_kind,
            problems=self.problems,
            duplicate_of=self.duplicate_of,
            recorded_at=self.timestamp,
            target_group=self.target_group,
            amount=self.amount,
            sudden_hardship=self.sudden_hardship,
        )
        household.alerts[alert.alert_id] = alert
        if self.duplicate_of is not None:
            return
        for key in alert_keys(alert):
            household.alert_keys.setdefault(key, alert.alert_id)
        if self.opens_case:
            case = Case(
                number=len(household.cases) + 1,
                opened_on=self.occurred_on,
                alert_ids=[],
                risk_types=(),
                # after any elimination, even with a case found risk-free in between
                re_entry=any(earlier.eliminated for earlier in household.cases),
            )
            household.cases.append(case)
        case = household.cases[-1]
        case.alert_ids.append(alert.alert_id)
        if not case.included:  # once included, the risk types are those the county decided
            case.risk_types = tuple(dict.fromkeys(case.risk_types + self.risk_types))
        alert.case_number = case.number


class AlertsChapter(HouseholdState):
    """Receiving risk alerts from the three channels."""

    def raise_alert(
        self,
        *,
        alert_id: str,
        channel: Channel,
        person_id_number: str,
        risk_types: Sequence[RiskType],
        description: str = "",
        period: str | None = None,
        department: Department | None = None,
        tier: Tier | None = None,
        batch_id: str | None = None,
        disaster_kind: DisasterKind | None = None,
        problems: Sequence[Problem] = (),
        target_group: TargetGroup | None = None,
        amount: Decimal | None = None,
        sudden_hardship: SuddenHardship | None = None,
        occurred_on: date,
        by: Actor,
        at: datetime,
        command_id: str = "",
    ) -> AlertOutcome:
        """Record a risk alert; ``occurred_on`` is the discovery date (发现之日).

        An alert whose (person, risk type, department, period) keys are all known already is a
        duplicate of the first such alert and opens no case. Otherwise it joins the household's
        active case, or opens a new one (a re-entry when the last case ended in elimination).
        """
        fields = checked_alert(
            self, alert_id=alert_id, channel=channel, person_id_number=person_id_number,
            risk_types=risk_types, description=description, period=period,
            department=department, tier=tier, batch_id=batch_id,
            disaster_kind=disaster_kind, problems=problems, occurred_on=occurred_on,
            target_group=target_group, amount=amount, sudden_hardship=sudden_hardship,
        )
        check_recorded_date(occurred_on, at)
        self._record(AlertRaised, occurred_on, by, at, command_id, **fields)
        alert = self.alerts[fields["alert_id"]]
        return AlertOutcome(
            alert_id=alert.alert_id,
            case_number=alert.case_number,
            duplicate_of=alert.duplicate_of,
            new_case=fields["opens_case"],
        )


def checked_alert(
    household: HouseholdState, *, alert_id: str, channel: Channel, person_id_number: str,
    risk_types: Sequence[RiskType], description: str, period: str | None,
    department: Department | None, tier: Tier | None, batch_id: str | None,
    disaster_kind: DisasterKind | None, problems: Sequence[Problem], occurred_on: date,
    target_group: TargetGroup | None = None, amount: Decimal | None = None,
    sudden_hardship: SuddenHardship | None = None,
) -> dict[str, Any]:
    """The fields of an `AlertRaised` on ``household``, checked, with what the duplicate rule
    and the active case make of it (also used by a visit whose checks failed)."""
    alert_id = require_text(alert_id, "alert_id", "预警编号")
    if alert_id in household.alerts:
        raise RuleViolation("ALERT_ID_TAKEN", f"预警编号已存在：{alert_id}", "alert_id")
    person = validate_id_number(person_id_number, "person_id_number")
    member = household.members.get(person)
    if member is None or not member.is_member_on(occurred_on):
        raise NotFound("PERSON_NOT_MEMBER", f"身份证号码 {person} 不是本户成员", "person_id_number")
    kinds = rules.checked_risk_types(risk_types, disaster_kind, sudden_hardship)
    if channel is Channel.DEPARTMENT_ALERT:
        if department is None:
            raise InvalidValue("DEPARTMENT_REQUIRED", "部门筛查预警须注明推送部门", "department")
        if tier is None:
            raise InvalidValue("TIER_REQUIRED", "部门筛查预警须注明省级推送或县级筛查", "tier")
    elif department is not None or tier is not None:
        raise InvalidValue(
            "DEPARTMENT_UNEXPECTED", "只有部门筛查预警才填写推送部门和层级", "department"
        )
    if target_group is not None and not isinstance(target_group, TargetGroup):
        raise InvalidValue("CODE_UNKNOWN", f"对象类别不在代码表中：{target_group}", "target_group")
    if amount is not None and not (is_amount(amount) and amount >= 0):
        raise InvalidValue("AMOUNT_INVALID", "金额须为不小于0、至多两位小数的金额", "amount")
    period = (period or "").strip() or occurred_on.strftime("%Y-%m")
    draft = Alert(
        alert_id=alert_id, channel=channel, person_id_number=person, risk_types=kinds,
        discovered_on=occurred_on, period=period, department=department,
    )
    first = [household.alert_keys.get(key) for key in alert_keys(draft)]
    duplicate_of = first[0] if all(first) else None
    active = household.active_case
    return {
        "alert_id": alert_id,
        "channel": channel,
        "person_id_number": person,
        "risk_types": kinds,
        "period": period,
        "description": description or "",
        "department": department,
        "tier": tier,
        "batch_id": batch_id,
        "disaster_kind": disaster_kind,
        "problems": tuple(dict.fromkeys(problems)),
        "duplicate_of": duplicate_of,
        "opens_case": duplicate_of is None and active is None,
        "target_group": target_group,
        "amount": amount,
        "sudden_hardship": sudden_hardship,
    }


def alert_keys(alert: Alert) -> Iterable[str]:
    """The (person, risk type, department, period) keys of the duplicate rule. Alerts from the
    household or village cadres use their channel in the department's place."""
    source = alert.department or alert.channel
    return (f"{alert.person_id_number}|{risk}|{source}|{alert.period}" for risk in alert.risk_types)
