"""The monthly visit with its six checks, and the income assessment (domain.md §8)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from msgspec import Meta

from application.commands.base import LOCAL, HouseholdCommand, Recording
from application.commands.fields import Happened, Id, Money, MoneyChange, Name, Text, Year
from domain.codes import Check
from domain.errors import RuleViolation
from domain.household import AlertOutcome, Household
from domain.income import IncomeAssessment


class RecordVisit(HouseholdCommand, kw_only=True):
    """Monthly visit with the six checks; a failed check raises a channel-2 alert."""

    name = "record_visit"
    roles = LOCAL
    new_record = ("visit_id", "V")

    visit_id: Id | None = None
    visitor: Name
    checks: Annotated[dict[Check, bool], Meta(description="六项核实，每项 true 为通过")]
    income_change: MoneyChange = Decimal(0)
    spending_change: MoneyChange = Decimal(0)
    notes: Text = ""
    per_capita_income: Annotated[Money | None, Meta(
        description="走访核实的家庭人均纯收入（元/人·年）：风险消除所需的收入证据")] = None
    occurred_on: Happened

    added_fields = ("per_capita_income",)

    @property
    def weighs_income(self) -> bool:  # type: ignore[override]
        """A visit that records an income figure is judged against the line in force."""
        return self.per_capita_income is not None

    def run(self, household: Household, on: Recording) -> AlertOutcome | None:
        return household.record_visit(
            visit_id=self.visit_id, visitor=self.visitor, checks=self.checks,
            income_change=self.income_change, spending_change=self.spending_change,
            notes=self.notes, per_capita_income=self.per_capita_income,
            line_in_force=on.line_in_force, occurred_on=self.occurred_on, by=on.by, at=on.at,
            command_id=on.command_id,
        )


class AssessIncome(HouseholdCommand, kw_only=True):
    """Per-capita net income against the line in force on the day (there must be one)."""

    name = "assess_income"
    roles = LOCAL
    new_record = ("assessment_id", "I")
    weighs_income = True

    assessment_id: Id | None = None
    year: Year
    wages: Money
    business: Money
    property: Money
    transfers: Money
    production_costs: Money
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> IncomeAssessment:
        if on.line_in_force is None:
            raise RuleViolation("INCOME_LINE_MISSING", f"{self.occurred_on} 没有生效的收入监测标准",
                                "occurred_on")
        return household.assess_income(
            assessment_id=self.assessment_id, year=self.year, wages=self.wages,
            business=self.business, property=self.property, transfers=self.transfers,
            production_costs=self.production_costs, line_in_force=on.line_in_force,
            occurred_on=self.occurred_on, by=on.by, at=on.at, command_id=on.command_id,
        )
