"""A risk alert through one of the three channels (domain.md §4)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta

from application.commands.base import LOCAL, HouseholdCommand, Recording
from application.commands.fields import MAX_LIST, Id, IdNumber, Money, Text
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
from domain.household import AlertOutcome, Household


class RaiseAlert(HouseholdCommand, kw_only=True):
    """Record a risk alert; the outcome says new case, joined case or duplicate of which."""

    name = "raise_alert"
    roles = LOCAL
    new_record = ("alert_id", "A")
    added_fields = ("target_group", "amount", "sudden_hardship")

    alert_id: Id | None = None
    channel: Channel
    person_id_number: IdNumber
    risk_types: Annotated[list[RiskType], Meta(max_length=MAX_LIST)]
    description: Text = ""
    period: Annotated[str, Meta(max_length=20)] | None = None
    department: Department | None = None
    tier: Tier | None = None
    batch_id: Id | None = None
    disaster_kind: DisasterKind | None = None
    problems: Annotated[list[Problem], Meta(max_length=MAX_LIST)] = []  # noqa: RUF012
    target_group: TargetGroup | None = None
    amount: Money | None = None
    sudden_hardship: Annotated[
        SuddenHardship | None, Meta(description="突发困难类型（疫情、自然灾害、意外事故）")] = None
    occurred_on: Annotated[date, Meta(description="发现之日（15 天时限自此起算）")]

    def run(self, household: Household, on: Recording) -> AlertOutcome:
        return household.raise_alert(
            alert_id=self.alert_id, channel=self.channel, person_id_number=self.person_id_number,
            risk_types=self.risk_types, description=self.description, period=self.period,
            department=self.department, tier=self.tier, batch_id=self.batch_id,
            disaster_kind=self.disaster_kind, problems=self.problems,
            target_group=self.target_group, amount=self.amount,
            sudden_hardship=self.sudden_hardship, occurred_on=self.occurred_on,
            by=on.by, at=on.at, command_id=on.command_id,
        )
