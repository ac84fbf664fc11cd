"""The bodies of the commands (`interfaces.http.commands`) and what a command answers.

A household's command is its own body (`application.commands`), less the fields a route names
in its path; the income line's body is the API's own.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from application import commands as c
from application.commands import (  # noqa: F401  the bodies of the commands without path fields
    AnalyseRisk,
    AssessIncome,
    AssignGridWorker,
    AssignHelper,
    AssignMeasure,
    AttachEvidence,
    ChangeGridWorker,
    ChangeHelper,
    ConfirmHelper,
    Correct,
    CountyDecision,
    EliminationDecision,
    EliminationNotice,
    EndGridWorker,
    EndHelper,
    JoinMember,
    LodgeAppeal,
    MemberChanges,
    MemberIn,
    OpenGreenChannel,
    PayReliefInsurance,
    RaiseAlert,
    RecordVisit,
    RegisterHousehold,
    SubsidiseMedicalInsurance,
    TownshipReview,
    VerifyAtHome,
    VerifyElimination,
    VillageDeliberation,
    request_body,
)
from domain.codes import RiskType
from interfaces.http.schemas.common import MAX_LIST, Body, Happened, Money, Text

# The commands that name a field in the path (the member, the measure) take the rest as body.
LeaveMember = request_body(c.LeaveMember)
UpdateMember = request_body(c.UpdateMember)
PutMeasureInPlace = request_body(c.PutMeasureInPlace)
EndMeasure = request_body(c.EndMeasure)
AnswerAppeal = request_body(c.AnswerAppeal)


# ---------------------------------------------------------------------- policy


class SetIncomeLine(Body, kw_only=True):
    yuan_per_capita: Money
    effective_from: date | None = None
    reason: Text = ""
    occurred_on: Happened


#: A payout rate: a share of the cost, more than 0 and at most 1, to four decimals.
Rate = Annotated[Decimal, Meta(
    description="赔付比例（大于0、不超过1），十进制字符串，如 \"0.5\"",
    extra_json_schema={"pattern": r"^(0\.[0-9]{1,4}|1(\.0{1,4})?)$"})]


class ReliefBandIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """One band: the part of the out-of-pocket cost above ``cost_from`` and up to ``cost_to``
    (no upper end when left out) is paid at ``rate``."""

    cause: Annotated[RiskType, Meta(description="突发困难原因：因病、因自然灾害、因意外事故")]
    cost_from: Annotated[Money, Meta(description="本档起点（元，不含）：第一档即起付线")]
    cost_to: Annotated[Money | None, Meta(description="本档终点（元，含）；不填为无上限")] = None
    rate: Rate


class SetReliefBands(Body, kw_only=True):
    """防贫保赔付标准 in force from the day in the path: the bands by cause and out-of-pocket cost,
    and the yearly cap per household."""

    bands: Annotated[list[ReliefBandIn], Meta(min_length=1, max_length=MAX_LIST)]
    yearly_cap: Annotated[Money, Meta(description="每户每年赔付上限（元）")]
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


class ReliefBandOut(Struct):
    cause: RiskType
    cost_from: Decimal
    cost_to: Decimal | None
    rate: Decimal
    describe: Annotated[str, Meta(description="本档的文字说明")]


class ReliefBandsAnswer(Struct):
    effective_from: date
    bands: list[ReliefBandOut]
    yearly_cap: Decimal
    version: int
    position: int
