"""People on a household (§七, domain.md §2): each household has a 网格员 (grid worker) of its
village, each monitoring object a 帮扶责任人 (responsible helper: name, unit, phone). Both are
assigned, changed and ended as events, so the case file's timeline shows who answered for the
household when.

Who may have a 帮扶责任人: a household whose active case is under help (a monitoring object, or
a green-channel case whose help has started), and — under 四个不摘 (domain.md §7: a 脱贫户 that is
not a monitoring object still gets policy follow-up) — a 脱贫户. A 一般农户 that is not a
monitoring object has no help to answer for, so it is refused one. Once assigned, a helper
stays until ended: a case that ends does not end the person's duty by itself (someone must
state that it ended), and a change of helper needs the same standing as an assignment.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.assignments import Assignment
from domain.codes import HouseholdType
from domain.errors import InvalidValue, RuleViolation
from domain.household.state import Event, HouseholdState, require_text
from domain.identity import validate_phone
from domain.values import Actor

GRID_WORKER = "网格员"
HELPER = "帮扶责任人"
#: The fields a refusal of a person's name names (as the commands' bodies call them).
WORKER_NAME, HELPER_NAME = "worker_name", "helper_name"


class GridWorkerAssigned(Event):
    """The household's 网格员 is named (it had none)."""

    TOPIC = "fangpin:Household.GridWorkerAssigned"
    name: str
    phone: str

    def apply_to(self, household: HouseholdState) -> None:
        household.grid_workers.append(Assignment(self.name, self.phone, "", self.occurred_on))


class GridWorkerChanged(Event):
    """Another 网格员 takes over the household from this day, for a reason."""

    TOPIC = "fangpin:Household.GridWorkerChanged"
    name: str
    phone: str
    reason: str

    def apply_to(self, household: HouseholdState) -> None:
        _hand_over(household.grid_workers, Assignment(
            self.name, self.phone, "", self.occurred_on, reason=self.reason))


class GridWorkerEnded(Event):
    """The household's 网格员 no longer answers for it (and nobody does yet)."""

    TOPIC = "fangpin:Household.GridWorkerEnded"
    reason: str

    def apply_to(self, household: HouseholdState) -> None:
        _end(household.grid_workers[-1], self.occurred_on, self.reason)


class HelperAssigned(Event):
    """The household's 帮扶责任人 is named (it had none)."""

    TOPIC = "fangpin:Household.HelperAssigned"
    name: str
    unit: str
    phone: str

    def apply_to(self, household: HouseholdState) -> None:
        household.helpers.append(Assignment(self.name, self.phone, self.unit, self.occurred_on))


class HelperChanged(Event):
    """Another 帮扶责任人 takes over the household from this day, for a reason."""

    TOPIC = "fangpin:Household.HelperChanged"
    name: str
    unit: str
    phone: str
    reason: str

    def apply_to(self, household: HouseholdState) -> None:
        _hand_over(household.helpers, Assignment(
            self.name, self.phone, self.unit, self.occurred_on, reason=self.reason))


class HelperConfirmed(Event):
    """The 帮扶责任人 the household already had stays on for the case just included."""

    TOPIC = "fangpin:Household.HelperConfirmed"
    case_number: int
    name: str

    def apply_to(self, household: HouseholdState) -> None:
        household.helpers[-1].confirmed_on = self.occurred_on


class HelperEnded(Event):
    """The household's 帮扶责任人 no longer answers for it (and nobody does yet)."""

    TOPIC = "fangpin:Household.HelperEnded"
    reason: str

    def apply_to(self, household: HouseholdState) -> None:
        _end(household.helpers[-1], self.occurred_on, self.reason)


def _hand_over(assignments: list[Assignment], successor: Assignment) -> None:
    _end(assignments[-1], successor.assigned_on, successor.reason)
    assignments.append(successor)


def _end(assignment: Assignment, on: date, reason: str) -> None:
    assignment.ended_on = on
    assignment.end_reason = reason


class StaffChapter(HouseholdState):
    """Assigning, changing and ending the household's 网格员 and 帮扶责任人."""

    @property
    def grid_worker(self) -> Assignment | None:
        """The 网格员 answering for the household now (None: nobody)."""
        return _current(self.grid_workers)

    @property
    def helper(self) -> Assignment | None:
        """The 帮扶责任人 answering for the household now (None: nobody)."""
        return _current(self.helpers)

    def grid_worker_on(self, day: date) -> Assignment | None:
        """The 网格员 who answered for the household on ``day``."""
        return next((a for a in reversed(self.grid_workers) if a.covers(day)), None)

    def helper_on(self, day: date) -> Assignment | None:
        """The 帮扶责任人 who answered for the household on ``day``."""
        return next((a for a in reversed(self.helpers) if a.covers(day)), None)

    @property
    def may_have_helper(self) -> bool:
        """A monitoring object (or a green-channel case under help), or a 脱贫户 under 四个不摘."""
        case = self.active_case
        return (case is not None and case.helpable) or (
            self.household_type is HouseholdType.LIFTED_OUT)

    # ------------------------------------------------------------------ 网格员

    def assign_grid_worker(self, *, name: str, phone: str, occurred_on: date, by: Actor,
                           at: datetime, command_id: str = "") -> None:
        """Name the household's 网格员; it must have none (a new one is a change)."""
        name, phone = _person(name, phone, WORKER_NAME)
        _vacant(self.grid_worker, GRID_WORKER, "GRID_WORKER_ASSIGNED", WORKER_NAME)
        _after_last(self.grid_workers, occurred_on, GRID_WORKER)
        self._record(GridWorkerAssigned, occurred_on, by, at, command_id, name=name, phone=phone)

    def change_grid_worker(self, *, name: str, phone: str, reason: str, occurred_on: date,
                           by: Actor, at: datetime, command_id: str = "") -> None:
        """Hand the household to another 网格员 from ``occurred_on``, for ``reason``."""
        name, phone = _person(name, phone, WORKER_NAME)
        reason = require_text(reason, "reason", "更换原因")
        current = _held(self.grid_worker, GRID_WORKER, "GRID_WORKER_NOT_ASSIGNED")
        _after(current, occurred_on, GRID_WORKER)
        if (current.name, current.phone) == (name, phone):
            raise RuleViolation("STAFF_UNCHANGED", f"新{GRID_WORKER}与现任相同，无需更换", WORKER_NAME)
        self._record(GridWorkerChanged, occurred_on, by, at, command_id, name=name, phone=phone,
                     reason=reason)

    def end_grid_worker(self, *, reason: str = "", occurred_on: date, by: Actor, at: datetime,
                        command_id: str = "") -> None:
        """The household's 网格员 stops answering for it from ``occurred_on``."""
        current = _held(self.grid_worker, GRID_WORKER, "GRID_WORKER_NOT_ASSIGNED")
        _after(current, occurred_on, GRID_WORKER)
        self._record(GridWorkerEnded, occurred_on, by, at, command_id, reason=reason.strip())

    # ------------------------------------------------------------------ 帮扶责任人

    def assign_helper(self, *, name: str, unit: str, phone: str, occurred_on: date, by: Actor,
                      at: datetime, command_id: str = "") -> None:
        """Name the household's 帮扶责任人; it must have none and may have one (see the module)."""
        name, phone = _person(name, phone, HELPER_NAME)
        unit = require_text(unit, "unit", "帮扶责任人工作单位")
        self._require_helpable()
        _vacant(self.helper, HELPER, "HELPER_ASSIGNED", HELPER_NAME)
        _after_last(self.helpers, occurred_on, HELPER)
        self._record(HelperAssigned, occurred_on, by, at, command_id, name=name, unit=unit,
                     phone=phone)

    def change_helper(self, *, name: str, unit: str, phone: str, reason: str, occurred_on: date,
                      by: Actor, at: datetime, command_id: str = "") -> None:
        """Hand the household to another 帮扶责任人 from ``occurred_on``, for ``reason``."""
        name, phone = _person(name, phone, HELPER_NAME)
        unit = require_text(unit, "unit", "帮扶责任人工作单位")
        reason = require_text(reason, "reason", "更换原因")
        current = _held(self.helper, HELPER, "HELPER_NOT_ASSIGNED")
        self._require_helpable()
        _after(current, occurred_on, HELPER)
        if (current.name, current.unit, current.phone) == (name, unit, phone):
            raise RuleViolation("STAFF_UNCHANGED", f"新{HELPER}与现任相同，无需更换", HELPER_NAME)
        self._record(HelperChanged, occurred_on, by, at, command_id, name=name, unit=unit,
                     phone=phone, reason=reason)

    @property
    def helper_to_confirm(self) -> Assignment | None:
        """The 帮扶责任人 named before the active case was included and neither confirmed for it
        nor changed since (§七: a change is prompted when a case is included): confirm or change."""
        case, current = self.active_case, self.helper
        if case is None or case.included_on is None or not case.monitored or current is None:
            return None
        if current.assigned_on >= case.included_on or (
                current.confirmed_on is not None and current.confirmed_on >= case.included_on):
            return None
        return current

    def confirm_helper(self, *, occurred_on: date, by: Actor, at: datetime,
                       command_id: str = "") -> None:
        """Keep the household's 帮扶责任人 for the case just included (else change them)."""
        current = _held(self.helper, HELPER, "HELPER_NOT_ASSIGNED")
        case = self.active_case
        if self.helper_to_confirm is None or case is None or case.included_on is None:
            raise RuleViolation("HELPER_NOTHING_TO_CONFIRM",
                                f"本户的{HELPER}（{current.name}）无需确认：新纳入的案件之后已指定、更换或确认",
                                "household_code")
        if isinstance(occurred_on, date) and occurred_on < case.included_on:
            raise InvalidValue("DATE_ORDER", f"确认日期不能早于纳入监测之日 {case.included_on}",
                               "occurred_on")
        self._record(HelperConfirmed, occurred_on, by, at, command_id, case_number=case.number,
                     name=current.name)

    def end_helper(self, *, reason: str = "", occurred_on: date, by: Actor, at: datetime,
                   command_id: str = "") -> None:
        """The household's 帮扶责任人 stops answering for it from ``occurred_on``."""
        current = _held(self.helper, HELPER, "HELPER_NOT_ASSIGNED")
        _after(current, occurred_on, HELPER)
        self._record(HelperEnded, occurred_on, by, at, command_id, reason=reason.strip())

    def _require_helpable(self) -> None:
        if not self.may_have_helper:
            raise RuleViolation(
                "HELPER_NOT_MONITORED",
                "只有监测对象（或正在绿色通道帮扶的案件、“四个不摘”跟踪帮扶的脱贫户）才安排帮扶责任人",
                "household_code",
            )


def _current(assignments: list[Assignment]) -> Assignment | None:
    last = assignments[-1] if assignments else None
    return last if last is not None and last.ended_on is None else None


def _person(name: str, phone: str, field: str) -> tuple[str, str]:
    return require_text(name, field, "姓名"), validate_phone(phone, "phone")


def _vacant(current: Assignment | None, duty: str, code: str, field: str) -> None:
    if current is not None:
        raise RuleViolation(
            code, f"本户已有{duty}（{current.name}，{current.assigned_on} 起）：请用“更换{duty}”", field)


def _held(current: Assignment | None, duty: str, code: str) -> Assignment:
    if current is None:
        raise RuleViolation(code, f"本户现在没有{duty}，无可更换或结束", "household_code")
    return current


def _after_last(assignments: list[Assignment], occurred_on: date, duty: str) -> None:
    """A new assignment starts once the last one ended: who answered when never overlaps."""
    last = assignments[-1] if assignments else None
    if last is not None and last.ended_on is not None and isinstance(occurred_on, date) \
            and occurred_on < last.ended_on:
        raise InvalidValue(
            "DATE_ORDER", f"日期不能早于上一任{duty}（{last.name}）的结束日 {last.ended_on}",
            "occurred_on")


def _after(current: Assignment, occurred_on: date, duty: str) -> None:
    if isinstance(occurred_on, date) and occurred_on < current.assigned_on:
        raise InvalidValue(
            "DATE_ORDER", f"日期不能早于现任{duty}（{current.name}）的起始日 {current.assigned_on}",
            "occurred_on")
