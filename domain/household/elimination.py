"""Risk elimination (风险消除): the same four steps, refused while any rule of domain.md §9 forbids
it (`rules.elimination_blockers`); after elimination, visits go on (四个不摘)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from domain import rules
from domain.codes import Decision, EliminationMode
from domain.errors import InvalidValue, RuleViolation
from domain.household.state import Event, HouseholdState, check_recorded_date, require_text
from domain.household.steps import FourSteps
from domain.values import Actor, Case, Objection, Procedure, Step


class EliminationVerified(Event):
    """Elimination step 1: the household visit proposes eliminating the risk."""

    TOPIC = "fangpin:Household.EliminationVerified"
    case_number: int
    mode: EliminationMode
    notes: str

    def subject(self) -> str:
        return f"step:{self.case_number}:elimination:home_visit"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        if case.elimination is not None:  # a new attempt: the refused one's steps are history
            superseded = f"step:{self.case_number}:elimination:"
            for version in [v for v, s in household.subjects.items() if s.startswith(superseded)]:
                del household.subjects[version]
        case.elimination = Procedure(home_visit=Step(self.occurred_on, Decision.PASSED, self.notes))
        case.elimination_mode = self.mode
        case.elimination_objections = ()  # a new attempt's notice has not been held yet


class RiskEliminated(Event):
    """Elimination step 4 passed: the risk is eliminated; visits go on (四个不摘)."""

    TOPIC = "fangpin:Household.RiskEliminated"
    case_number: int
    mode: EliminationMode
    line_in_force: Decimal

    def subject(self) -> str:
        return f"step:{self.case_number}:elimination:county_decision"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        assert case.elimination is not None
        case.elimination.county_decision = Step(self.occurred_on, Decision.PASSED)


class EliminationRejected(Event):
    """Elimination step 4 refused: the household stays monitored."""

    TOPIC = "fangpin:Household.EliminationRejected"
    case_number: int
    reason: str

    def subject(self) -> str:
        return f"step:{self.case_number}:elimination:county_decision"

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        assert case.elimination is not None
        case.elimination.county_decision = Step(self.occurred_on, Decision.REJECTED, self.reason)


class EliminationChapter(FourSteps):
    """The four steps of risk elimination."""

    def verify_elimination_at_home(
        self, mode: EliminationMode, *, line_in_force: Decimal | None, notes: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Elimination step 1: propose eliminating the monitored case's risk after a visit.

        Refused (naming the rule) when income is below the line in force, a guarantee is
        failing, no measure was ever in place, fewer than 6 months have passed, or the whole
        household cannot work and depends on protection.
        """
        case = self.monitored_case
        if case is None:
            raise RuleViolation("NOT_MONITORED", "本户不是监测对象，无需风险消除", "mode")
        if case.eliminating:
            raise RuleViolation("ELIMINATION_IN_PROGRESS", "风险消除程序已在进行中", "mode")
        check_recorded_date(occurred_on, at)
        if case.included_on and occurred_on < case.included_on:
            raise InvalidValue("DATE_ORDER", "风险消除日期不能早于纳入监测日期", "occurred_on")
        self._require_eliminable(case, occurred_on, line_in_force)
        self._record(
            EliminationVerified, occurred_on, by, at, command_id,
            case_number=case.number, mode=mode, notes=notes or "",
        )

    def conclude_elimination_notice(
        self, decision: Decision, *, notice_from: date, notice_to: date,
        objections: Sequence[Objection] = (), reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Elimination step 2: village deliberation and public notice."""
        case = self._case_eliminating()
        self._village_step(
            case, "elimination", decision, notice_from, notice_to, objections, reason,
            occurred_on, by, at, command_id,
        )

    def complete_elimination_review(
        self, decision: Decision, *, reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Elimination step 3: township review."""
        case = self._case_eliminating()
        self._township_step(case, "elimination", decision, False, reason, occurred_on, by, at, command_id)

    def decide_elimination_at_county(
        self, decision: Decision, *, line_in_force: Decimal | None, reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Elimination step 4: the county decides; the rules of §9 are checked again that day."""
        case = self._case_eliminating()
        assert case.elimination is not None
        self._require_step_allowed(case, case.elimination, "county_decision", occurred_on)
        if decision is Decision.REJECTED:
            reason = require_text(reason, "reason", "不予消除理由")
            self._record(
                EliminationRejected, occurred_on, by, at, command_id,
                case_number=case.number, reason=reason,
            )
            return
        self._require_eliminable(case, occurred_on, line_in_force)
        assert case.elimination_mode is not None and line_in_force is not None
        self._record(
            RiskEliminated, occurred_on, by, at, command_id,
            case_number=case.number, mode=case.elimination_mode, line_in_force=line_in_force,
        )

    def _case_eliminating(self) -> Case:
        case = self.monitored_case
        if case is None or not case.eliminating:
            raise RuleViolation("NO_ELIMINATION", "没有进行中的风险消除程序", "case_number")
        return case

    def _require_eliminable(self, case: Case, on: date, line_in_force: Decimal | None) -> None:
        blockers = rules.elimination_blockers(self, case, on, line_in_force)
        if blockers:
            code, message = blockers[0]
            others = "；".join(m for _, m in blockers[1:])
            detail = f"{message}（另：{others}）" if others else message
            raise RuleViolation(code, detail, "occurred_on")
