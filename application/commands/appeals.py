"""Objections and appeals (异议与申诉, domain.md §14): lodged for the household, answered by the
unit that decided."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from application.commands.base import LOCAL, HouseholdCommand, Recording
from application.commands.fields import CaseNumber, Happened, Id, Name, Text
from domain.codes import AppealSubject, Category, ObjectionOutcome
from domain.household import Household


class LodgeAppeal(HouseholdCommand, kw_only=True):
    """A household appeals against a decision on its case: a refusal, its category or its
    elimination. ``by_household``: lodged by the household itself (True) or by a cadre for it."""

    name = "lodge_appeal"
    roles = LOCAL
    new_record = ("appeal_id", "SS")

    case_number: CaseNumber
    appeal_id: Id | None = None
    against: Annotated[AppealSubject, Meta(description="申诉事项：不予认定、监测对象类别或风险消除")]
    appellant: Annotated[Name, Meta(description="申诉人（户内成员姓名）")]
    by_household: Annotated[bool, Meta(description="农户本人提出（是）或干部代为提出（否）")]
    content: Annotated[Text, Meta(description="申诉内容")]
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.lodge_appeal(
            self.case_number, self.against, appeal_id=self.appeal_id or "", appellant=self.appellant,
            content=self.content, by_household=self.by_household, occurred_on=self.occurred_on,
            answer_within_days=on.appeal_answer_days, by=on.by, at=on.at,
            command_id=on.command_id)


class AnswerAppeal(HouseholdCommand, kw_only=True):
    """The unit that decided answers the appeal by its answer-by day: upheld reopens the decision
    (an upheld appeal against the category gives the new one), not upheld says why."""

    name = "answer_appeal"
    roles = LOCAL  # the unit that decided: a village answers for its deliberation
    path_fields = ("appeal_id",)

    case_number: CaseNumber
    appeal_id: Id
    outcome: Annotated[ObjectionOutcome, Meta(description="成立（重新按程序作出决定）或不成立")]
    reason: Annotated[Text, Meta(description="理由；不成立时必填")] = ""
    new_category: Annotated[
        Category | None, Meta(description="对监测对象类别的申诉成立时：调整后的类别")] = None
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.answer_appeal(
            self.case_number, self.appeal_id, self.outcome, reason=self.reason,
            new_category=self.new_category, occurred_on=self.occurred_on, by=on.by, at=on.at,
            command_id=on.command_id)
