"""What a household's case file holds, and what every chapter of the notice shares.

`HouseholdState` declares the state (also what a snapshot stores), the queries the rules read
(head of household, members on a day, the active case, the latest visit) and the helpers every
command uses to record an event. `Event` is the base of every household event: its ``apply``
only changes state, so replaying the stored events rebuilds the same case file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import rules
from domain.assignments import Assignment
from domain.codes import NO_WORKING_CAPACITY, Category, HouseholdType, Relation
from domain.corrections import CORRECTABLE, to_json_native
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.evidence import Evidence
from domain.identity import validate_id_number
from domain.income import IncomeAssessment, IncomeEvidence, Visit
from domain.values import Actor, Alert, Case, Correction, Measure, Member, ReliefPayout, RiskAnalysis

HOUSEHOLD_NAMESPACE = uuid5(NAMESPACE_URL, "https://fangpin.example/household")


def household_id(code: str) -> UUID:
    """The aggregate id of a household: derived from its household code (户编号)."""
    return uuid5(HOUSEHOLD_NAMESPACE, code)


class Event(Aggregate.Event):
    """Base of every household event: when it happened, who recorded it, for which command."""

    TOPIC = "fangpin:Household.Event"
    occurred_on: date
    recorded_by: Actor
    command_id: str

    #: Subject key of the fact this event records, for corrections (None: not correctable).
    def subject(self) -> str | None:
        return None

    def apply(self, aggregate: Any) -> None:
        household: HouseholdState = aggregate
        self.apply_to(household)
        subject = self.subject()
        if subject is not None:
            household.subjects[self.originator_version] = subject
        if self.command_id:
            household.command_ids[self.command_id] = self.originator_version

    def apply_to(self, household: HouseholdState) -> None:
        raise NotImplementedError


# The chapters are plain classes; `Household` adds `Aggregate` last. Type checkers see the
# aggregate's methods (``trigger_event``, ``_create``, ``id``) through this base.
if TYPE_CHECKING:
    _AggregateMethods = Aggregate
else:
    _AggregateMethods = object


# A dataclass only for its field list (as the aggregate was when it declared its own state).
@dataclass(init=False, repr=False, eq=False)
class HouseholdState(_AggregateMethods):
    """A household's state, its queries and the helpers its commands share."""

    # State held by a household (also what a snapshot stores).
    code: str
    township: str
    village: str
    address: str
    household_type: HouseholdType
    lifted_out_year: int | None
    members: dict[str, Member]
    alerts: dict[str, Alert]
    alert_keys: dict[str, str]
    cases: list[Case]
    analyses: list[RiskAnalysis]
    measures: dict[str, Measure]
    visits: list[Visit]
    assessments: list[IncomeAssessment]
    subsidies: dict[str, Decimal]
    payouts: dict[str, ReliefPayout]
    corrections: list[Correction]
    #: 网格员 and 帮扶责任人, each in the order they were assigned (`domain.household.staff`).
    grid_workers: list[Assignment]
    helpers: list[Assignment]
    #: Files attached as evidence of recorded facts (`domain.household.evidence`).
    evidence: list[Evidence]
    subjects: dict[int, str]
    command_ids: dict[str, int]

    # ------------------------------------------------------------------ queries

    @property
    def head(self) -> Member:
        return next(m for m in self.current_members() if m.relation is Relation.HEAD)

    def current_members(self) -> list[Member]:
        return [m for m in self.members.values() if m.left_on is None]

    def members_on(self, day: date) -> list[Member]:
        return [m for m in self.members.values() if m.is_member_on(day)]

    def household_size_on(self, day: date) -> int:
        return max(len(self.members_on(day)), 1)

    def without_labour_on(self, day: date) -> bool:
        """整户无劳动能力: no member on that day can work."""
        return all(m.labour_capacity in NO_WORKING_CAPACITY for m in self.members_on(day))

    @property
    def active_case(self) -> Case | None:
        case = self.cases[-1] if self.cases else None
        return case if case is not None and case.active else None

    @property
    def monitored_case(self) -> Case | None:
        case = self.active_case
        return case if case is not None and case.monitored else None

    @property
    def is_monitoring_object(self) -> bool:
        return self.monitored_case is not None

    @property
    def visited_monthly(self) -> bool:
        """Visited every month (domain.md §8–9): monitoring objects, 脱贫户, and households whose
        risk was eliminated (still visited after elimination)."""
        return (self.is_monitoring_object or self.household_type is HouseholdType.LIFTED_OUT
                or any(case.eliminated for case in self.cases))

    @property
    def category(self) -> Category | None:
        case = self.monitored_case
        return case.category if case else None

    def latest_visit(self, on: date) -> Visit | None:
        """The visit latest in date up to ``on`` (of several that day, the last recorded)."""
        return _latest(self.visits, on)

    def latest_income_assessment(self, on: date) -> IncomeAssessment | None:
        """The assessment latest in date up to ``on`` (of several that day, the last recorded)."""
        return _latest(self.assessments, on)

    def income_evidence(self, since: date, until: date) -> list[IncomeEvidence]:
        """The income evidence dated from ``since`` to ``until`` (domain.md §9): income
        assessments and the per-capita income visits recorded, in date order."""
        evidence = [IncomeEvidence(a.occurred_on, a.per_capita, a.line_in_force,
                                   f"收入核算 {a.assessment_id}") for a in self.assessments]
        evidence += [IncomeEvidence(v.occurred_on, v.per_capita_income, v.line_in_force,
                                    f"走访 {v.visit_id}") for v in self.visits
                     if v.per_capita_income is not None and v.line_in_force is not None]
        return sorted((e for e in evidence if since <= e.occurred_on <= until),
                      key=lambda e: e.occurred_on)

    # ------------------------------------------------------------------ shared helpers

    def _record(
        self, event_class: type[Event], occurred_on: date, by: Actor, at: datetime,
        command_id: str, **fields: Any,
    ) -> None:
        check_recorded_date(occurred_on, at)
        self.trigger_event(
            event_class, timestamp=at, occurred_on=occurred_on, recorded_by=by,
            command_id=command_id, **fields,
        )

    def _current_member(self, id_number: str, field: str) -> Member:
        number = validate_id_number(id_number, field)
        member = self.members.get(number)
        if member is None or member.left_on is not None:
            raise NotFound("MEMBER_NOT_FOUND", f"本户没有身份证号码为 {number} 的成员", field)
        return member

    def _case(self, case_number: int) -> Case:
        if not isinstance(case_number, int) or not 1 <= case_number <= len(self.cases):
            raise NotFound("CASE_NOT_FOUND", f"本户没有第 {case_number} 号案件", "case_number")
        return self.cases[case_number - 1]

    def _case_in_identification(self, case_number: int) -> Case:
        """A case still being identified (neither closed nor decided): the four steps and the
        green channel act on it."""
        case = self._case(case_number)
        if case.closed:
            raise RuleViolation(
                "CASE_CLOSED", f"第 {case_number} 号案件已关闭：{case.closed_reason}", "case_number"
            )
        if case.included:
            raise RuleViolation("CASE_DECIDED", f"第 {case_number} 号案件已认定为监测对象", "case_number")
        return case


def _latest(records: list[Any], on: date) -> Any:
    latest = None
    for record in records:
        if record.occurred_on <= on and (latest is None or record.occurred_on >= latest.occurred_on):
            latest = record
    return latest


def require_text(value: str, field: str, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("REQUIRED", f"{label}不能为空", field)
    return value.strip()


def require_amount(value: Decimal, field: str, label: str, *, positive: bool = False) -> None:
    if not rules.is_amount(value) or value < 0:
        raise InvalidValue("AMOUNT_INVALID", f"{label}须为不小于0、不超过10亿元、最多两位小数的金额",
                           field)
    if positive and value == 0:
        raise InvalidValue("AMOUNT_INVALID", f"{label}须大于0", field)


def check_recorded_date(occurred_on: date, at: datetime) -> None:
    """A fact cannot have happened after the day it is recorded (the county's calendar)."""
    if not isinstance(occurred_on, date) or isinstance(occurred_on, datetime):
        raise InvalidValue("DATE_INVALID", "日期格式不正确", "occurred_on")
    if occurred_on > rules.local_date(at):
        raise InvalidValue(
            "DATE_IN_FUTURE", f"发生日期 {occurred_on} 晚于登记日期 {rules.local_date(at)}", "occurred_on"
        )


def checked_changes(kind: str, changes: Mapping[str, Any], allowed: set[str]) -> dict[str, Any]:
    """New values of a change or correction, read by the converters of their kind of fact and
    stored JSON-native; a field outside ``allowed`` is refused."""
    if not changes:
        raise InvalidValue("CHANGES_REQUIRED", "须填写要更正或变更的内容", "changes")
    converters = CORRECTABLE[kind]
    stored: dict[str, Any] = {}
    for name, raw in changes.items():
        if name not in allowed:
            raise InvalidValue(
                "FIELD_NOT_CORRECTABLE",
                f"“{name}”不可更正；可更正：{'、'.join(sorted(allowed))}",
                f"changes.{name}",
            )
        stored[name] = to_json_native(converters[name](to_json_native(raw), f"changes.{name}"))
    return stored


def apply_changes(record: Any, kind: str, changes: Mapping[str, Any]) -> None:
    """Set the stored new values on the record they change."""
    converters: dict[str, Any] = CORRECTABLE[kind]
    for name, raw in changes.items():
        setattr(record, name, converters[name](raw, name))
