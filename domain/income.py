"""Visits and income (domain.md §4, §8, §9): what a monthly household visit found, what an income
assessment computed, and the income evidence both give for risk elimination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.codes import Check


@dataclass
class Visit:
    """A monthly household visit (入户走访) with the six checks."""

    visit_id: str
    occurred_on: date
    visitor: str
    failed_checks: tuple[Check, ...]  # every one of the six checks not listed here passed
    income_change: Decimal = Decimal(0)
    spending_change: Decimal = Decimal(0)
    notes: str = ""
    #: The per-capita net income (元/人·年) the visit found, and the line in force that day:
    #: income evidence for risk elimination (None: the visit recorded no income figure).
    per_capita_income: Decimal | None = None
    line_in_force: Decimal | None = None

    @property
    def checks(self) -> dict[Check, bool]:
        """The six checks and whether each passed."""
        return {check: check not in self.failed_checks for check in Check}


@dataclass
class IncomeAssessment:
    """Per-capita net income (domain.md §4) as assessed, with the line in force that day."""

    assessment_id: str
    occurred_on: date
    year: int
    wages: Decimal
    business: Decimal
    property: Decimal
    transfers: Decimal
    production_costs: Decimal
    household_size: int
    line_in_force: Decimal

    @property
    def net_income(self) -> Decimal:
        gross = self.wages + self.business + self.property + self.transfers
        return gross - self.production_costs

    @property
    def per_capita(self) -> Decimal:
        return (self.net_income / self.household_size).quantize(Decimal("0.01"))

    @property
    def below_line(self) -> bool:
        return self.per_capita < self.line_in_force


@dataclass(frozen=True)
class IncomeEvidence:
    """One piece of income evidence for risk elimination (domain.md §9): an income assessment
    or a visit's recorded income, with the line in force on its day."""

    occurred_on: date
    per_capita: Decimal
    line_in_force: Decimal
    source: str  # e.g. "收入核算 I-1", "走访 V-3"

    @property
    def below_line(self) -> bool:
        return self.per_capita < self.line_in_force
