"""The bodies of the household commands (`interfaces.http.commands`) and what a command answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from msgspec import Meta, Struct

from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    DisasterKind,
    EliminationMode,
    Finding,
    Health,
    HouseholdType,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureType,
    Problem,
    Relation,
    RiskType,
    SuddenHardship,
    Tier,
)
from interfaces.http.schemas.common import (
    MAX_LIST,
    Body,
    CaseNumber,
    Happened,
    Id,
    IdNumber,
    Money,
    Name,
    Text,
    Year,
)

# ---------------------------------------------------------------------- households and members


class MemberIn(Body, kw_only=True):
    name: Name
    id_number: IdNumber
    relation: Relation
    health: Health = Health.HEALTHY
    labour_capacity: LabourCapacity = LabourCapacity.ORDINARY
    in_school: bool = False
    insured: bool = True


class RegisterHousehold(Body, kw_only=True):
    code: Annotated[str, Meta(min_length=1, max_length=40, description="户编号（全县唯一）")]
    township: Name
    village: Name
    address: Text = ""
    household_type: HouseholdType
    members: Annotated[list[MemberIn], Meta(min_length=1, max_length=30)]
    lifted_out_year: Year | None = None
    occurred_on: Happened


class JoinMember(Body, kw_only=True):
    member: MemberIn
    reason: JoinReason
    occurred_on: Happened


class LeaveMember(Body, kw_only=True):
    reason: LeaveReason
    new_head_id_number: IdNumber | None = None
    occurred_on: Happened


class MemberChanges(Body, kw_only=True):
    health: Health | None = None
    labour_capacity: LabourCapacity | None = None
    in_school: bool | None = None
    insured: bool | None = None


class UpdateMember(Body, kw_only=True):
    changes: MemberChanges
    occurred_on: Happened


# ---------------------------------------------------------------------- alerts and identification


class RaiseAlert(Body, kw_only=True):
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
    occurred_on: Annotated[date, Meta(description="发现之日（15 天时限自此起算）")]


class VerifyAtHome(Body, kw_only=True):
    case_number: CaseNumber
    finding: Finding
    risk_clear: bool = True
    notes: Text = ""
    occurred_on: Happened


class VillageDeliberation(Body, kw_only=True):
    case_number: CaseNumber
    decision: Decision
    notice_from: date
    notice_to: date
    objections: Annotated[list[Text], Meta(max_length=MAX_LIST)] = []  # noqa: RUF012
    reason: Text = ""
    occurred_on: Happened


class TownshipReview(Body, kw_only=True):
    case_number: CaseNumber
    decision: Decision
    disqualifying_found: bool = False
    reason: Text = ""
    occurred_on: Happened


class CountyDecision(Body, kw_only=True):
    case_number: CaseNumber
    decision: Decision
    category: Category | None = None
    risk_types: Annotated[list[RiskType], Meta(max_length=MAX_LIST)] | None = None
    simplified: bool = False
    asset_comparison: Text = ""
    reason: Text = ""
    occurred_on: Happened


class OpenGreenChannel(Body, kw_only=True):
    case_number: CaseNumber
    hardship: SuddenHardship
    studied_on: date
    approved_on: date
    occurred_on: Happened


# ---------------------------------------------------------------------- help


class AnalyseRisk(Body, kw_only=True):
    causes: Annotated[list[RiskType], Meta(max_length=MAX_LIST)]
    labour_capacity: LabourCapacity
    needs: Annotated[list[MeasureType], Meta(max_length=MAX_LIST)]
    notes: Text = ""
    occurred_on: Happened


class AssignMeasure(Body, kw_only=True):
    measure_id: Id | None = None
    measure_type: MeasureType
    department: Department
    responsible_person: Name
    amount: Money | None = None
    occurred_on: Happened


class PutMeasureInPlace(Body, kw_only=True):
    occurred_on: Happened


class EndMeasure(Body, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    occurred_on: Happened


class SubsidiseMedicalInsurance(Body, kw_only=True):
    id_number: IdNumber
    year: Year
    amount: Money
    occurred_on: Happened


class PayReliefInsurance(Body, kw_only=True):
    payout_id: Id | None = None
    cause: RiskType
    amount: Money
    fee: Money = Decimal(0)
    basic_living_in_difficulty: bool = True
    beneficiary_id_number: IdNumber | None = None
    occurred_on: Happened


class RecordVisit(Body, kw_only=True):
    visit_id: Id | None = None
    visitor: Name
    checks: Annotated[dict[Check, bool], Meta(description="六项核实，每项 true 为通过")]
    income_change: Money = Decimal(0)
    spending_change: Money = Decimal(0)
    notes: Text = ""
    occurred_on: Happened


class AssessIncome(Body, kw_only=True):
    assessment_id: Id | None = None
    year: Year
    wages: Money
    business: Money
    property: Money
    transfers: Money
    production_costs: Money
    occurred_on: Happened


# ---------------------------------------------------------------------- risk elimination


class VerifyElimination(Body, kw_only=True):
    mode: EliminationMode
    notes: Text = ""
    occurred_on: Happened


class EliminationNotice(Body, kw_only=True):
    decision: Decision
    notice_from: date
    notice_to: date
    objections: Annotated[list[Text], Meta(max_length=MAX_LIST)] = []  # noqa: RUF012
    reason: Text = ""
    occurred_on: Happened


class EliminationDecision(Body, kw_only=True):
    decision: Decision
    reason: Text = ""
    occurred_on: Happened


# ---------------------------------------------------------------------- corrections and policy


class Correct(Body, kw_only=True):
    corrects_version: Annotated[int, Meta(ge=1, description="被更正事件的版本号（见档案历史）")]
    changes: Annotated[dict[str, Any], Meta(description="新值：字段名 → 值")]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    member_id_number: IdNumber | None = None
    occurred_on: Happened


class SetIncomeLine(Body, kw_only=True):
    yuan_per_capita: Money
    effective_from: date | None = None
    reason: Text = ""
    occurred_on: Happened


# ---------------------------------------------------------------------- command answers


class AlertOutcomeOut(Struct):
    alert_id: str
    case_number: int | None
    duplicate_of: str | None
    new_case: bool
    outcome: Annotated[str, Meta(description="新案件 / 并入案件 / 重复")]


class AssessmentOut(Struct):
    assessment_id: str
    occurred_on: date
    year: int
    household_size: int
    net_income: Decimal
    per_capita: Decimal
    line_in_force: Decimal
    below_line: bool


class CommandAnswer(Struct):
    """What a command recorded: the household, its new version and the log position reached
    (pass it as ``after`` to a query to read your own write)."""

    household_id: UUID
    household_code: str
    version: int
    position: int
    alert: AlertOutcomeOut | None = None
    assessment: AssessmentOut | None = None


class IncomeLineAnswer(Struct):
    year: int
    yuan_per_capita: Decimal
    version: int
    position: int
