"""Eliminating a monitored case's risk in four steps (domain.md §9)."""

from __future__ import annotations

from datetime import date

from application.commands.base import COUNTY, COUNTY_AND_TOWNSHIP, LOCAL, HouseholdCommand, Recording
from application.commands.fields import Body, Happened, Text
from application.commands.identification import Objections, objections_of
from domain.codes import Decision, EliminationMode
from domain.household import Household


class VerifyElimination(HouseholdCommand, kw_only=True):
    """Risk elimination step 1: a home visit proposes it (the rules of §9 checked that day,
    against the income line then in force)."""

    name = "verify_elimination_at_home"
    roles = LOCAL
    weighs_income = True

    mode: EliminationMode
    notes: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.verify_elimination_at_home(
            self.mode, line_in_force=on.line_in_force, notes=self.notes,
            occurred_on=self.occurred_on, by=on.by, at=on.at, command_id=on.command_id,
        )


class EliminationNotice(HouseholdCommand, kw_only=True):
    """Risk elimination step 2: village deliberation and public notice."""

    name = "conclude_elimination_notice"
    roles = LOCAL

    decision: Decision
    notice_from: date
    notice_to: date
    objections: Objections = []  # noqa: RUF012
    reason: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.conclude_elimination_notice(
            self.decision, notice_from=self.notice_from, notice_to=self.notice_to,
            objections=objections_of(self.objections), reason=self.reason, occurred_on=self.occurred_on,
            by=on.by, at=on.at, command_id=on.command_id,
        )


class EliminationDecision(Body, kw_only=True):
    """The body of steps 3 and 4: the reviewer's decision and its reason."""

    decision: Decision
    reason: Text = ""
    occurred_on: Happened


class EliminationTownshipReview(EliminationDecision, HouseholdCommand, kw_only=True):
    """Risk elimination step 3: the township reviews."""

    name = "complete_elimination_review"
    roles = COUNTY_AND_TOWNSHIP
    shared_body = EliminationDecision

    def run(self, household: Household, on: Recording) -> None:
        household.complete_elimination_review(
            self.decision, reason=self.reason, occurred_on=self.occurred_on, by=on.by, at=on.at,
            command_id=on.command_id,
        )


class EliminationCountyDecision(EliminationDecision, HouseholdCommand, kw_only=True):
    """Risk elimination step 4: the county decides, the rules of §9 checked again that day."""

    name = "decide_elimination_at_county"
    roles = COUNTY
    weighs_income = True
    shared_body = EliminationDecision

    def run(self, household: Household, on: Recording) -> None:
        household.decide_elimination_at_county(
            self.decision, line_in_force=on.line_in_force, reason=self.reason,
            occurred_on=self.occurred_on, by=on.by, at=on.at, command_id=on.command_id,
        )
