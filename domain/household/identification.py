"""Identification (识别认定): the four steps that make a household a monitoring object.

Step 1 (household visit) confirms the risk or closes the case; steps 2 and 3 may run side by side;
step 4 (county decision) includes the household in one of the three categories or refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from domain import rules
from domain.codes import Category, Decision, Finding, RiskType
from domain.errors import InvalidValue, RuleViolation
from domain.household.state import Event, HouseholdState, require_text
from domain.household.steps import FourSteps
from domain.values import Actor, Objection, Step


class HouseholdVerified(Event):
    """Step 1, 入户核查核实: the household visit confirmed the risk or found none."""

    TOPIC = "fangpin:Household.HouseholdVerified"
    case_number: int
    finding: Finding
    risk_clear: bool
    notes: str

    def subject(self) -> str:
        return f"step:{self.case_number}:identification:home_visit"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        passed = self.finding is Finding.RISK_CONFIRMED
        reason = self.notes if passed else (self.notes or "入户核查无返贫致贫风险")
        case.identification.home_visit = Step(
            self.occurred_on, Decision.PASSED if passed else Decision.REJECTED, reason
        )
        case.risk_clear = passed and self.risk_clear


class MonitoringObjectIncluded(Event):
    """Step 4 passed, 县级比对审定: the household became a monitoring object."""

    TOPIC = "fangpin:Household.MonitoringObjectIncluded"
    case_number: int
    category: Category
    risk_types: tuple[RiskType, ...]
    simplified: bool
    asset_comparison: str

    def subject(self) -> str:
        return f"case:{self.case_number}"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        case.identification.county_decision = Step(self.occurred_on, Decision.PASSED)
        case.category = self.category
        case.risk_types = self.risk_types
        case.simplified_approval = self.simplified


class IdentificationRejected(Event):
    """Step 4 refused inclusion; the case is closed with the reason."""

    TOPIC = "fangpin:Household.IdentificationRejected"
    case_number: int
    reason: str

    def subject(self) -> str:
        return f"step:{self.case_number}:identification:county_decision"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        case.identification.county_decision = Step(
            self.occurred_on, Decision.REJECTED, self.reason
        )


class IdentificationChapter(FourSteps):
    """The four steps of identification."""

    def verify_at_home(
        self, case_number: int, finding: Finding, *, risk_clear: bool = True, notes: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Step 1: the household visit verifies the alert. Finding no risk closes the case."""
        case = self._case_in_identification(case_number)
        self._require_step_allowed(case, case.identification, "home_visit", occurred_on)
        self._record(
            HouseholdVerified, occurred_on, by, at, command_id,
            case_number=case.number, finding=finding, risk_clear=risk_clear, notes=notes or "",
        )

    def conclude_village_deliberation(
        self, case_number: int, decision: Decision, *, notice_from: date, notice_to: date,
        objections: Sequence[Objection] = (), reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Step 2 of identification: village deliberation and public notice (≥ 5 days). Each
        objection states its outcome (成立 / 不成立) and why; an upheld one rules out the
        county's simplified approval."""
        case = self._case_in_identification(case_number)
        self._village_step(
            case, "identification", decision, notice_from, notice_to, objections, reason,
            occurred_on, by, at, command_id,
        )

    def complete_township_review(
        self, case_number: int, decision: Decision, *, disqualifying_found: bool = False,
        reason: str = "", occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Step 3 of identification; may run at the same time as step 2."""
        case = self._case_in_identification(case_number)
        self._township_step(
            case, "identification", decision, disqualifying_found, reason,
            occurred_on, by, at, command_id,
        )

    def decide_at_county(
        self, case_number: int, decision: Decision, *, category: Category | None = None,
        risk_types: Sequence[RiskType] | None = None, simplified: bool = False,
        asset_comparison: str = "", reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Step 4: the county compares and decides; inclusion makes a monitoring object.

        Refused until steps 2 and 3 have both passed. The simplified approval (no comparison of
        deposits, real estate and vehicles) needs a clear risk, an unopposed notice and a
        township review that found nothing disqualifying.
        """
        case = self._case_in_identification(case_number)
        self._require_step_allowed(case, case.identification, "county_decision", occurred_on)
        if decision is Decision.REJECTED:
            reason = require_text(reason, "reason", "不予认定理由")
            self._record(
                IdentificationRejected, occurred_on, by, at, command_id,
                case_number=case.number, reason=reason,
            )
            return
        if category is None:
            raise InvalidValue("CATEGORY_REQUIRED", "认定为监测对象须确定监测对象类别", "category")
        rules.require_category_fits(category, self.household_type)
        kinds = tuple(dict.fromkeys(risk_types)) if risk_types else case.risk_types
        if len(kinds) > rules.MAX_RISK_TYPES:
            raise InvalidValue(
                "RISK_TYPES_TOO_MANY", f"返贫致贫风险类型最多{rules.MAX_RISK_TYPES}种", "risk_types"
            )
        if simplified:
            blockers = rules.simplified_approval_blockers(case)
            if blockers:
                why = "；".join(message for _, message in blockers)
                raise RuleViolation(
                    blockers[0][0], f"不符合简化审定条件（可不比对存款、房产、车辆）：{why}",
                    "simplified",
                )
        elif not asset_comparison.strip():
            raise InvalidValue(
                "ASSET_COMPARISON_REQUIRED", "县级比对审定须记录存款、房产、车辆比对结果",
                "asset_comparison",
            )
        self._record(
            MonitoringObjectIncluded, occurred_on, by, at, command_id,
            case_number=case.number, category=category, risk_types=kinds,
            simplified=simplified, asset_comparison=asset_comparison.strip(),
        )
