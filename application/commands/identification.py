"""Identifying a case in four steps, and the green channel for a sudden risk (domain.md §5–6)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from msgspec import Meta

from application.commands.base import COUNTY, COUNTY_AND_TOWNSHIP, LOCAL, HouseholdCommand, Recording
from application.commands.fields import MAX_LIST, STATED, Body, CaseNumber, Happened, Text
from domain.codes import Category, Decision, Finding, ObjectionOutcome, RiskType, SuddenHardship
from domain.household import Household
from domain.values import Objection


class VerifyAtHome(HouseholdCommand, kw_only=True):
    """Identification step 1: 入户核查核实. Finding no risk closes the case."""

    name = "verify_at_home"
    roles = LOCAL

    case_number: CaseNumber
    finding: Finding
    risk_clear: Annotated[bool, STATED]  # allows simplified approval: stated, never assumed
    notes: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.verify_at_home(self.case_number, self.finding, risk_clear=self.risk_clear,
                                 notes=self.notes, occurred_on=self.occurred_on, by=on.by, at=on.at,
                                 command_id=on.command_id)


class ObjectionIn(Body, kw_only=True):
    """An objection to the village notice (村级评议公示) and how it was resolved."""

    content: Annotated[Text, Meta(description="异议内容")]
    outcome: Annotated[ObjectionOutcome | None, Meta(description="处理结果：成立 / 不成立（必填）")] = None
    reason: Annotated[Text, Meta(description="认定成立或不成立的理由（必填）")] = ""

    def objection(self) -> Objection:
        return Objection(self.content, self.outcome, self.reason)


#: A notice's objections. A bare text (how they were sent before outcomes were recorded) is
#: still read, and refused for want of an outcome: every objection recorded now has one.
Objections = Annotated[list[Text | ObjectionIn], Meta(
    max_length=MAX_LIST, description="公示期间收到的异议，各写明处理结果（成立 / 不成立）和理由")]


def objections_of(sent: Sequence[str | ObjectionIn]) -> list[Objection]:
    """The objections as the household takes them (a bare text has no outcome)."""
    return [o.objection() if isinstance(o, ObjectionIn) else Objection(o, None) for o in sent]


class VillageDeliberation(HouseholdCommand, kw_only=True):
    """Identification step 2: 村级评议公示."""

    name = "conclude_village_deliberation"
    roles = LOCAL

    case_number: CaseNumber
    decision: Decision
    notice_from: date
    notice_to: date
    objections: Objections = []  # noqa: RUF012
    reason: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.conclude_village_deliberation(
            self.case_number, self.decision, notice_from=self.notice_from, notice_to=self.notice_to,
            objections=objections_of(self.objections), reason=self.reason, occurred_on=self.occurred_on,
            by=on.by, at=on.at, command_id=on.command_id,
        )


class TownshipReview(HouseholdCommand, kw_only=True):
    """Identification step 3: 乡镇核查初审."""

    name = "complete_township_review"
    roles = COUNTY_AND_TOWNSHIP

    case_number: CaseNumber
    decision: Decision
    disqualifying_found: bool = False
    reason: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.complete_township_review(
            self.case_number, self.decision, disqualifying_found=self.disqualifying_found,
            reason=self.reason, occurred_on=self.occurred_on, by=on.by, at=on.at,
            command_id=on.command_id,
        )


class CountyDecision(HouseholdCommand, kw_only=True):
    """Identification step 4: 县级比对审定; inclusion makes a monitoring object."""

    name = "decide_at_county"
    roles = COUNTY

    case_number: CaseNumber
    decision: Decision
    category: Category | None = None
    risk_types: Annotated[list[RiskType], Meta(max_length=MAX_LIST)] | None = None
    simplified: bool = False
    asset_comparison: Text = ""
    reason: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.decide_at_county(
            self.case_number, self.decision, category=self.category, risk_types=self.risk_types,
            simplified=self.simplified, asset_comparison=self.asset_comparison, reason=self.reason,
            occurred_on=self.occurred_on, by=on.by, at=on.at, command_id=on.command_id,
        )


class OpenGreenChannel(HouseholdCommand, kw_only=True):
    """绿色通道 for a sudden risk: help first, the identification steps after."""

    name = "open_green_channel"
    roles = COUNTY_AND_TOWNSHIP

    case_number: CaseNumber
    hardship: SuddenHardship
    studied_on: date
    approved_on: date
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.open_green_channel(
            self.case_number, self.hardship, studied_on=self.studied_on,
            approved_on=self.approved_on, occurred_on=self.occurred_on, by=on.by, at=on.at,
            command_id=on.command_id,
        )
