"""Indicator facts: a household's case file reduced to the dated facts the indicators read (its
cases with the dates of their steps, its alerts, visits and members). Facts are plain values,
so they can be stored in a read model and compared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.codes import CaseStage, HouseholdType, MeasureStatus
from domain.deadlines import identification_deadline, measure_deadline
from domain.household import Household
from domain.rules import local_date
from domain.values import Case, Procedure

#: The stages of a case still being identified (`CaseFacts.stage_on`).
_IDENTIFYING = (CaseStage.AWAITING_VISIT, CaseStage.IDENTIFYING, CaseStage.AWAITING_COUNTY)

#: Bump when a definition or the facts change: published results name the version they used.
INDICATORS_VERSION = 6


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """The dated steps of one case."""

    number: int
    opened_on: date  # discovery of the first alert: starts the 15-day clock
    channel: str
    department: str | None  # the department whose alert opened the case
    re_entry: bool
    persons: int  # household size on the day the case was opened
    home_visit_on: date | None = None
    village_on: date | None = None
    township_on: date | None = None
    green_channel_on: date | None = None
    procedure_done_on: date | None = None  # steps 2–4 all taken, or the procedure ended
    included_on: date | None = None
    category: str | None = None
    closed_on: date | None = None
    closed_how: str | None = None  # 核查无风险 / 评议未通过 / 审核未通过 / 审定未通过
    first_in_place_on: date | None = None
    #: 缺什么补什么: the needs of the case's analysis in force on its measure deadline, and the
    #: day by which every one of them had a measure in place (None: one has none yet).
    needs: tuple[str, ...] = ()
    needs_met_on: date | None = None
    elimination_started_on: date | None = None
    elimination_refused_on: date | None = None  # the latest procedure ended without elimination
    eliminated_on: date | None = None
    #: appeals against the case's decisions: (appeal id, lodged on, due on, answered on or None)
    appeals: tuple[tuple[str, date, date, date | None], ...] = ()

    def stage_on(self, day: date) -> str | None:
        """The case's stage at the end of ``day`` (None before it was opened)."""
        if self.opened_on > day:
            return None
        if self.closed_on and self.closed_on <= day:
            return "已关闭"
        if self.eliminated_on and self.eliminated_on <= day:
            return "风险已消除"
        if (self.elimination_started_on and self.elimination_started_on <= day
                and not (self.elimination_refused_on and self.elimination_refused_on <= day)):
            return "风险消除程序中"
        if self.included_on and self.included_on <= day:
            return "监测帮扶中"
        if not self.home_visit_on or self.home_visit_on > day:
            return "待入户核查"
        village = self.village_on and self.village_on <= day
        township = self.township_on and self.township_on <= day
        return "待县级审定" if village and township else "评议审核中"

    def monitored_on(self, day: date) -> bool:
        return bool(self.included_on and self.included_on <= day
                    and not (self.eliminated_on and self.eliminated_on <= day))

    @property
    def identification_deadline(self) -> date:
        """The last day to include the case (`Case.identification_deadline`)."""
        return identification_deadline(self.opened_on)

    @property
    def included_late(self) -> bool:
        """Included after the identification deadline (`Case.included_late`)."""
        return self.included_on is not None and self.included_on > self.identification_deadline

    @property
    def measure_deadline(self) -> date | None:
        """The day a help measure should be in place by (`Case.measure_deadline`)."""
        return measure_deadline(self.included_on) if self.included_on else None

    def identification_overdue_on(self, day: date) -> bool:
        """Still being identified at the end of ``day``, past its 15-day deadline (an overdue
        case of the overdue lists, §5, §11)."""
        return self.stage_on(day) in _IDENTIFYING and self.identification_deadline < day

    def owes_steps_on(self, day: date) -> bool:
        """A green-channel case still owing steps 2–4 at the end of ``day``
        (`Case.steps_owed_after_green_channel`)."""
        return bool(self.green_channel_on and self.green_channel_on <= day
                    and not (self.procedure_done_on and self.procedure_done_on <= day))


@dataclass(frozen=True, slots=True)
class AlertFacts:
    alert_id: str
    channel: str
    department: str | None
    tier: str | None
    batch_id: str | None
    discovered_on: date
    received_on: date  # the county's calendar day it was recorded
    duplicate_of: str | None
    case_number: int | None
    risk_types: tuple[str, ...]
    problems: tuple[str, ...]
    sudden_hardship: str | None = None  # 突发困难类型 (① covers 疫情)


@dataclass(frozen=True, slots=True)
class MemberFacts:
    spans: tuple[tuple[date | None, date | None], ...]  # (joined, left); None: open
    subsidised_years: tuple[int, ...]

    def member_on(self, day: date) -> bool:
        return any((j is None or j <= day) and (left is None or left > day) for j, left in self.spans)


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """What the indicators read of one household's case file."""

    code: str
    township: str
    village: str
    household_type: str
    registered_on: date  # the day it was registered in the system (its first recording)
    members: tuple[MemberFacts, ...]
    cases: tuple[CaseFacts, ...]
    alerts: tuple[AlertFacts, ...]
    visits: tuple[date, ...]
    #: Income evidence (assessments, visits that found a figure): (day, per-capita net income).
    incomes: tuple[tuple[date, Decimal], ...] = ()
    #: The year a 脱贫户 was lifted out of poverty (None for a 一般农户).
    lifted_out_year: int | None = None

    def persons_on(self, day: date) -> int:
        """Members of the household on ``day``."""
        return sum(1 for m in self.members if m.member_on(day))

    def type_on(self, day: date) -> str | None:
        """The household's type (户类型) on ``day``: a 脱贫户 is one from 1 January of the year
        it was lifted out; before that it was a poor household not yet lifted out (None)."""
        if self.household_type != HouseholdType.LIFTED_OUT:
            return self.household_type
        if self.lifted_out_year is not None and day.year < self.lifted_out_year:
            return None
        return self.household_type


def household_facts(household: Household) -> HouseholdFacts:
    """The indicator facts of a household as its case file stands."""
    subsidised: dict[str, list[int]] = {}
    for key in household.subsidies:
        id_number, _, year = key.rpartition(":")
        subsidised.setdefault(id_number, []).append(int(year))
    members = tuple(
        MemberFacts(
            spans=((m.joined_on, m.left_on), *m.past_periods),
            subsidised_years=tuple(sorted(subsidised.get(m.id_number, ()))),
        )
        for m in household.members.values()
    )
    alerts = tuple(
        AlertFacts(
            alert_id=a.alert_id, channel=a.channel.value,
            department=a.department.value if a.department else None,
            tier=a.tier.value if a.tier else None, batch_id=a.batch_id,
            discovered_on=a.discovered_on,
            received_on=local_date(a.recorded_at) if a.recorded_at else a.discovered_on,
            duplicate_of=a.duplicate_of, case_number=a.case_number,
            risk_types=tuple(r.value for r in a.risk_types),
            problems=tuple(p.value for p in a.problems),
            sudden_hardship=a.sudden_hardship.value if a.sudden_hardship else None,
        )
        for a in household.alerts.values()
    )
    return HouseholdFacts(
        code=household.code, township=household.township, village=household.village,
        household_type=household.household_type.value,
        registered_on=local_date(household.created_on),
        members=members,
        cases=tuple(_case_facts(household, case) for case in household.cases),
        alerts=alerts,
        visits=tuple(sorted(v.occurred_on for v in household.visits)),
        incomes=tuple((e.occurred_on, e.per_capita)
                      for e in household.income_evidence(date.min, date.max)),
        lifted_out_year=household.lifted_out_year,
    )


def _case_facts(household: Household, case: Case) -> CaseFacts:
    first = household.alerts[case.alert_ids[0]]
    steps = case.identification
    in_place = [m.in_place_on for m in household.measures.values()
                if m.case_number == case.number and m.in_place_on is not None
                and m.status in (MeasureStatus.IN_PLACE, MeasureStatus.ENDED)]
    elimination = case.elimination
    needs, needs_met_on = household.needs_met(case)
    return CaseFacts(
        number=case.number, opened_on=case.opened_on, channel=first.channel.value,
        department=first.department.value if first.department else None,
        re_entry=case.re_entry, persons=household.household_size_on(case.opened_on),
        home_visit_on=_day(steps.home_visit), village_on=_day(steps.village_notice),
        township_on=_day(steps.township_review),
        green_channel_on=case.green_channel.opened_on if case.green_channel else None,
        procedure_done_on=_done_on(steps),
        included_on=case.included_on,
        category=case.category.value if case.category and case.included else None,
        closed_on=case.closed_on, closed_how=_closed_how(steps),
        first_in_place_on=min(in_place, default=None),
        needs=tuple(n.value for n in needs), needs_met_on=needs_met_on,
        elimination_started_on=_day(elimination.home_visit) if elimination else None,
        elimination_refused_on=_day(elimination.rejected_step) if elimination else None,
        eliminated_on=case.eliminated_on,
        appeals=tuple((a.appeal_id, a.lodged_on, a.due_on, a.answered_on) for a in case.appeals),
    )


def _day(step: object) -> date | None:
    return step.occurred_on if step is not None else None  # type: ignore[attr-defined]


def _done_on(steps: Procedure) -> date | None:
    """The day steps 2–4 were all taken, or the day a step ended the procedure."""
    rejected = steps.rejected_step
    if rejected is not None:
        return rejected.occurred_on
    taken = [steps.village_notice, steps.township_review, steps.county_decision]
    if any(s is None for s in taken):
        return None
    return max(s.occurred_on for s in taken if s is not None)


_CLOSED_HOW = {"home_visit": "核查无风险", "village_notice": "评议未通过",
               "township_review": "审核未通过", "county_decision": "审定未通过"}


def _closed_how(steps: Procedure) -> str | None:
    rejected = steps.rejected_step
    if rejected is None:
        return None
    for name, how in _CLOSED_HOW.items():
        if getattr(steps, name) is rejected:
            return how
    return None
