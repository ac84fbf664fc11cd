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
    AssignMeasure,
    Correct,
    CountyDecision,
    EliminationDecision,
    EliminationNotice,
    JoinMember,
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
from interfaces.http.schemas.common import Body, Happened, Money, Text

# The commands that name a field in the path (the member, the measure) take the rest as body.
LeaveMember = request_body(c.LeaveMember)
UpdateMember = request_body(c.UpdateMember)
PutMeasureInPlace = request_body(c.PutMeasureInPlace)
EndMeasure = request_body(c.EndMeasure)


# ---------------------------------------------------------------------- policy


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
