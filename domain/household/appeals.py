"""Objections and appeals (异议与申诉, domain.md §14): a household appeals against a refusal, its
category or its elimination; the unit that decided answers by the day recorded when it was
lodged (the county's answer deadline, passed in: `deadlines.APPEAL_DAYS` unless it sets another).

An upheld appeal reopens the decision through the same steps: a refusal's refused step may be
taken again, an elimination's four steps start over (the household is monitored again
meanwhile), and a category is replaced by the one the answer gives. Not upheld, it says why.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain import rules
from domain.codes import AppealSubject, Category, ObjectionOutcome, Role
from domain.deadlines import APPEAL_DAYS, appeal_deadline
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.household.state import Event, HouseholdState, check_recorded_date, require_text
from domain.household.steps import STEP_NAMES
from domain.values import Actor, Appeal, Case


class AppealLodged(Event):
    """A household appealed against a decision on its case."""

    TOPIC = "fangpin:Household.AppealLodged"
    class_version = 2
    case_number: int
    appeal_id: str
    against: AppealSubject
    appellant: str
    by_household: bool
    content: str
    deciding_role: Role
    #: The last day to answer, by the county's deadline when lodged (version 2; None before).
    answer_by: date | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["answer_by"] = None  # due as `deadlines.APPEAL_DAYS` said then

    def apply_to(self, household: HouseholdState) -> None:
        household.cases[self.case_number - 1].appeals.append(Appeal(
            self.appeal_id, self.against, self.occurred_on, self.appellant, self.by_household,
            self.content, self.deciding_role, answer_by=self.answer_by))


class AppealAnswered(Event):
    """The deciding unit answered the appeal: upheld (the decision reopened) or not, and why."""

    TOPIC = "fangpin:Household.AppealAnswered"
    case_number: int
    appeal_id: str
    outcome: ObjectionOutcome
    reason: str
    new_category: Category | None

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        appeal = next(a for a in case.appeals if a.appeal_id == self.appeal_id)
        appeal.answered_on, appeal.outcome = self.occurred_on, self.outcome
        appeal.reason, appeal.new_category = self.reason, self.new_category
        if self.outcome is not ObjectionOutcome.UPHELD:
            return
        if appeal.against is AppealSubject.REFUSAL:
            name = next(n for n in STEP_NAMES if getattr(case.identification, n) is
                        case.identification.rejected_step)
            setattr(case.identification, name, None)
            _forget(household, f"step:{case.number}:identification:{name}")
        elif appeal.against is AppealSubject.CATEGORY:
            case.category = self.new_category
        else:
            case.elimination, case.elimination_mode = None, None
            case.elimination_objections = ()
            _forget(household, f"step:{case.number}:elimination:")


def _forget(household: HouseholdState, subject: str) -> None:
    """A reopened step's fact is history: corrections no longer name it as current."""
    for version in [v for v, s in household.subjects.items() if s.startswith(subject)]:
        del household.subjects[version]


class AppealsChapter(HouseholdState):
    """Appeals against the decisions on a case, and their answers."""

    def lodge_appeal(
        self, case_number: int, against: AppealSubject, *, appeal_id: str, appellant: str,
        content: str, by_household: bool, occurred_on: date, by: Actor, at: datetime,
        answer_within_days: int = APPEAL_DAYS, command_id: str = "",
    ) -> None:
        """Record an appeal against ``against`` on the case: its refusal, its category (while
        monitored) or its elimination. One appeal at a time, on the household's latest case;
        it is due ``answer_within_days`` after it was lodged (the county's deadline)."""
        case = self._case(case_number)
        appeal_id = require_text(appeal_id, "appeal_id", "申诉编号")
        if any(a.appeal_id == appeal_id for c in self.cases for a in c.appeals):
            raise RuleViolation("APPEAL_ID_TAKEN", f"申诉编号已存在：{appeal_id}", "appeal_id")
        if not isinstance(against, AppealSubject):
            raise InvalidValue("CODE_UNKNOWN", f"申诉事项不在代码表中：{against}", "against")
        if case is not self.cases[-1]:
            raise RuleViolation(
                "APPEAL_NOT_LATEST_CASE", f"第 {case.number} 号案件之后已有新的案件，请就最新案件提出申诉",
                "case_number")
        if case.open_appeal is not None:
            raise RuleViolation("APPEAL_OPEN", f"第 {case.number} 号案件已有未答复的申诉"
                                f"（{case.open_appeal.appeal_id}）", "case_number")
        decided_on, deciding_role = _decision(case, against)
        check_recorded_date(occurred_on, at)
        if occurred_on < decided_on:
            raise InvalidValue("DATE_ORDER", f"申诉日期不能早于所申诉的决定（{decided_on}）", "occurred_on")
        self._record(
            AppealLodged, occurred_on, by, at, command_id, case_number=case.number,
            appeal_id=appeal_id, against=against,
            appellant=require_text(appellant, "appellant", "申诉人"), by_household=bool(by_household),
            content=require_text(content, "content", "申诉内容"), deciding_role=deciding_role,
            answer_by=appeal_deadline(occurred_on, answer_within_days),
        )

    def answer_appeal(
        self, case_number: int, appeal_id: str, outcome: ObjectionOutcome, *, reason: str = "",
        new_category: Category | None = None, occurred_on: date, by: Actor, at: datetime,
        command_id: str = "",
    ) -> None:
        """Answer an open appeal, as the unit that decided (or the county centre, which leads)."""
        case = self._case(case_number)
        appeal = next((a for a in case.appeals if a.appeal_id == appeal_id), None)
        if appeal is None:
            raise NotFound("APPEAL_NOT_FOUND", f"第 {case.number} 号案件没有申诉 {appeal_id}", "appeal_id")
        if not appeal.pending:
            raise RuleViolation("APPEAL_ANSWERED", f"该申诉已于 {appeal.answered_on} 答复：{appeal.outcome}",
                                "appeal_id")
        if by.role not in (appeal.deciding_role, Role.COUNTY_CENTRE):
            raise RuleViolation("APPEAL_NOT_DECIDING_UNIT",
                                f"该申诉应由作出决定的{appeal.deciding_role}答复", "appeal_id")
        if not isinstance(outcome, ObjectionOutcome):
            raise InvalidValue("CODE_UNKNOWN", f"申诉结论不在代码表中：{outcome}", "outcome")
        check_recorded_date(occurred_on, at)
        if occurred_on < appeal.lodged_on:
            raise InvalidValue("DATE_ORDER", f"答复日期不能早于申诉日期（{appeal.lodged_on}）", "occurred_on")
        if outcome is ObjectionOutcome.NOT_UPHELD:
            reason, new_category = require_text(reason, "reason", "申诉不成立的理由"), None
        else:
            if case is not self.cases[-1]:
                raise RuleViolation("APPEAL_SUPERSEDED",
                                    f"第 {case.number} 号案件之后已有新的案件，不能再重开此决定", "outcome")
            _decision(case, appeal.against)  # the decision still stands to be reopened
            if appeal.against is AppealSubject.CATEGORY:
                if new_category is None:
                    raise InvalidValue("CATEGORY_REQUIRED", "申诉成立须给出调整后的监测对象类别",
                                       "new_category")
                rules.require_category_fits(new_category, self.household_type)
                if new_category == case.category:
                    raise InvalidValue("CATEGORY_UNCHANGED", f"调整后的类别与原类别相同：{new_category}",
                                       "new_category")
            else:
                new_category = None
        self._record(
            AppealAnswered, occurred_on, by, at, command_id, case_number=case.number,
            appeal_id=appeal.appeal_id, outcome=outcome, reason=(reason or "").strip(),
            new_category=new_category,
        )


def _decision(case: Case, against: AppealSubject) -> tuple[date, Role]:
    """The date of the decision appealed against and the unit that made it (which answers)."""
    if against is AppealSubject.REFUSAL:
        step = case.identification.rejected_step
        if step is None:
            raise RuleViolation("NOTHING_TO_APPEAL", f"第 {case.number} 号案件未被拒绝认定", "against")
        if step is case.identification.county_decision:
            return step.occurred_on, Role.COUNTY_CENTRE
        if step is case.identification.village_notice:  # 村级评议: the village decided
            return step.occurred_on, Role.VILLAGE_LIAISON
        return step.occurred_on, Role.TOWNSHIP_WORKSTATION  # the visit's finding, the review
    if against is AppealSubject.CATEGORY:
        if not case.monitored or case.included_on is None:
            raise RuleViolation("NOTHING_TO_APPEAL", f"第 {case.number} 号案件不是在监测的监测对象",
                                "against")
        return case.included_on, Role.COUNTY_CENTRE
    if case.eliminated_on is None:
        raise RuleViolation("NOTHING_TO_APPEAL", f"第 {case.number} 号案件的风险未消除", "against")
    return case.eliminated_on, Role.COUNTY_CENTRE

