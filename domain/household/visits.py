"""Visits and income (走访与收入核算): the monthly visit with its six checks, and the assessment of
per-capita net income against the line in force."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain import rules
from domain.codes import Channel, Check
from domain.errors import InvalidValue, RuleViolation
from domain.household.alerts import AlertOutcome, AlertRaised, checked_alert
from domain.household.state import (
    Event,
    HouseholdState,
    check_recorded_date,
    require_amount,
    require_text,
)
from domain.income import IncomeAssessment, Visit
from domain.values import Actor

#: The six checks of a monthly visit, in the notice's order.
SIX_CHECKS = tuple(Check)


class VisitRecorded(Event):
    """A monthly household visit with the six checks and income/spending changes; since
    version 2, the per-capita net income it found (income evidence, domain.md §9) with the line
    in force that day (None on visits recorded before, and on visits that found no figure)."""

    TOPIC = "fangpin:Household.VisitRecorded"
    class_version = 2
    visit_id: str
    visitor: str
    checks: dict[Check, bool]
    income_change: Decimal
    spending_change: Decimal
    notes: str
    per_capita_income: Decimal | None
    line_in_force: Decimal | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.update(per_capita_income=None, line_in_force=None)

    def subject(self) -> str:
        return f"visit:{self.visit_id}"

    def apply_to(self, household: HouseholdState) -> None:
        household.visits.append(Visit(
            self.visit_id, self.occurred_on, self.visitor,
            tuple(check for check in SIX_CHECKS if not self.checks[check]),
            self.income_change, self.spending_change, self.notes,
            self.per_capita_income, self.line_in_force,
        ))


class IncomeAssessed(Event):
    """Per-capita net income assessed (domain.md §4) against the line in force that day."""

    TOPIC = "fangpin:Household.IncomeAssessed"
    assessment_id: str
    year: int
    wages: Decimal
    business: Decimal
    property: Decimal
    transfers: Decimal
    production_costs: Decimal
    household_size: int
    line_in_force: Decimal

    def subject(self) -> str:
        return f"assessment:{self.assessment_id}"

    def apply_to(self, household: HouseholdState) -> None:
        household.assessments.append(IncomeAssessment(
            self.assessment_id, self.occurred_on, self.year, self.wages, self.business,
            self.property, self.transfers, self.production_costs, self.household_size,
            self.line_in_force,
        ))


class VisitsChapter(HouseholdState):
    """Monthly visits and income assessments."""

    def record_visit(
        self, *, visit_id: str, visitor: str, checks: Mapping[Check, bool],
        income_change: Decimal = Decimal(0), spending_change: Decimal = Decimal(0),
        notes: str = "", per_capita_income: Decimal | None = None,
        line_in_force: Decimal | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> AlertOutcome | None:
        """Record a monthly visit. A failed check is a risk signal: the same save raises a
        channel-2 (乡村干部排查) alert about the head of household, and that outcome is returned.
        A per-capita income found on the visit is income evidence, kept with ``line_in_force``
        (the county's line that day: there must be one).
        """
        visit_id = require_text(visit_id, "visit_id", "走访编号")
        if any(v.visit_id == visit_id for v in self.visits):
            raise RuleViolation("VISIT_ID_TAKEN", f"走访编号已存在：{visit_id}", "visit_id")
        visitor = require_text(visitor, "visitor", "走访人")
        missing = [c for c in Check if c not in checks]
        if missing:
            raise InvalidValue(
                "CHECKS_INCOMPLETE", f"走访须核实全部六项：缺少{'、'.join(missing)}", "checks"
            )
        for value, field in ((income_change, "income_change"), (spending_change, "spending_change")):
            if not rules.is_amount(value):
                raise InvalidValue("AMOUNT_INVALID", "收支变化须为不超过10亿元、最多两位小数的金额", field)
        if per_capita_income is not None:
            require_amount(per_capita_income, "per_capita_income", "家庭人均纯收入")
            if line_in_force is None:
                raise RuleViolation(
                    "INCOME_LINE_MISSING", f"{occurred_on} 没有生效的收入监测标准", "occurred_on"
                )
            require_amount(line_in_force, "line_in_force", "收入监测标准", positive=True)
        check_recorded_date(occurred_on, at)
        failed = [c for c in Check if not checks[c]]
        alert_fields = None
        if failed:
            signals = [rules.FAILED_CHECK_SIGNALS[c] for c in failed]
            alert_fields = checked_alert(
                self, alert_id=f"{visit_id}-预警", channel=Channel.CADRE_SCREENING,
                person_id_number=self.head.id_number,
                risk_types=[risk for risk, _ in signals], description=f"走访发现{'、'.join(failed)}未保障",
                period=None, department=None, tier=None, batch_id=None, disaster_kind=None,
                problems=[p for _, p in signals if p is not None], occurred_on=occurred_on,
            )
        self._record(
            VisitRecorded, occurred_on, by, at, command_id,
            visit_id=visit_id, visitor=visitor, checks={c: bool(checks[c]) for c in Check},
            income_change=income_change, spending_change=spending_change, notes=notes or "",
            per_capita_income=per_capita_income,
            line_in_force=line_in_force if per_capita_income is not None else None,
        )
        if alert_fields is None:
            return None
        self._record(AlertRaised, occurred_on, by, at, command_id, **alert_fields)
        alert = self.alerts[alert_fields["alert_id"]]
        return AlertOutcome(
            alert.alert_id, alert.case_number, alert.duplicate_of, alert_fields["opens_case"]
        )

    def assess_income(
        self, *, assessment_id: str, year: int, wages: Decimal, business: Decimal,
        property: Decimal, transfers: Decimal, production_costs: Decimal,
        line_in_force: Decimal, occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> IncomeAssessment:
        """Assess per-capita net income: (wages + business + property + transfers − production
        costs) ÷ household size on the day, against ``line_in_force`` (the county's line that day).
        """
        assessment_id = require_text(assessment_id, "assessment_id", "核算编号")
        if any(a.assessment_id == assessment_id for a in self.assessments):
            raise RuleViolation("ASSESSMENT_ID_TAKEN", f"核算编号已存在：{assessment_id}", "assessment_id")
        labels = {"wages": "工资性收入", "business": "生产经营性收入", "property": "财产性收入",
                  "transfers": "转移性收入", "production_costs": "生产经营性支出"}
        values = {"wages": wages, "business": business, "property": property,
                  "transfers": transfers, "production_costs": production_costs}
        for field, value in values.items():
            require_amount(value, field, labels[field])
        require_amount(line_in_force, "line_in_force", "收入监测标准", positive=True)
        if not 2000 <= year <= occurred_on.year:
            raise InvalidValue("YEAR_INVALID", "核算年度不能晚于核算日期所在年度", "year")
        size = self.household_size_on(occurred_on)
        self._record(
            IncomeAssessed, occurred_on, by, at, command_id,
            assessment_id=assessment_id, year=year, household_size=size,
            line_in_force=line_in_force, **values,
        )
        return replace(self.assessments[-1])  # the caller's own copy, not the case file's
