"""Property test: random sequences of commands on one household, with increasing dates.

Every command either records events or is refused with a `DomainError` that records nothing.
After every step the case file keeps its invariants, and replaying every event recorded so far
rebuilds a household equal to the live one.

Two kinds of rules: *fuzz* rules fire any command with random arguments (mostly refused, which
exercises the refusals), and a *drive* rule that takes the next sensible step of the household's
lifecycle (alert → four steps → help → elimination → a new alert), with random decisions, so that
deep states (monitored, eliminating, eliminated, re-entry) are reached too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import hypothesis.strategies as st
from household_kit import COUNTY, LINE, PAYOUT, TOWNSHIP, VILLAGE, at, make_id, member, replay
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain import rules
from domain.codes import (
    Category,
    Channel,
    Check,
    Decision,
    Department,
    DisasterKind,
    EliminationMode,
    Finding,
    HouseholdType,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureType,
    ObjectionOutcome,
    Relation,
    RiskType,
    SuddenHardship,
    Tier,
)
from domain.errors import DomainError
from domain.household import Household
from domain.values import Case, Objection, Procedure

START = date(2023, 1, 2)
UPHELD = Objection("有异议", ObjectionOutcome.UPHELD, "经核实属实")

days = st.integers(min_value=0, max_value=12)
dice = st.integers(min_value=0, max_value=99)
risk_choices = st.lists(
    st.sampled_from(
        [RiskType.ILLNESS, RiskType.NATURAL_DISASTER, RiskType.ACCIDENT, RiskType.SCHOOLING, RiskType.OTHER]
    ),
    min_size=1,
    max_size=3,
)
STEPS = ("home_visit", "village_notice", "township_review", "county_decision")
#: Risk types the drive rule raises alerts with (index by dice).
DRIVE_RISKS = [
    (RiskType.ILLNESS,),
    (RiskType.NATURAL_DISASTER,),
    (RiskType.SCHOOLING,),
    (RiskType.ACCIDENT, RiskType.ILLNESS),
]


def fitting_categories(household_type: HouseholdType) -> list[Category]:
    return [c for c in Category if rules.category_fits(c, household_type)]


def step_bounds(case: Case, procedure_name: str, step: str) -> tuple[date, date | None]:
    """The earliest date a step may have (its prerequisite) and the latest (its dependants)."""
    p: Procedure = case.identification if procedure_name == "identification" else case.elimination
    if step == "home_visit":
        low = case.opened_on if procedure_name == "identification" else case.included_on
        later = [s.occurred_on for s in (p.village_notice, p.township_review, p.county_decision) if s]
        if procedure_name == "identification" and case.green_channel:
            later += [case.green_channel.studied_on, case.green_channel.approved_on]
    elif step in ("village_notice", "township_review"):
        low = p.home_visit.occurred_on
        later = [p.county_decision.occurred_on] if p.county_decision else []
    else:
        low = max(s.occurred_on for s in (p.village_notice, p.township_review) if s)
        later = []
    return low, min(later) if later else None


def check_procedure(procedure: Procedure, start: date) -> None:
    home, village, township, county = procedure.steps
    if home is not None:
        assert home.occurred_on >= start
    for step in (village, township):
        if step is not None:
            assert home is not None and home.decision is Decision.PASSED
            assert step.occurred_on >= home.occurred_on
    if county is not None:
        assert village is not None and township is not None
        assert village.decision is Decision.PASSED and township.decision is Decision.PASSED
        assert county.occurred_on >= max(village.occurred_on, township.occurred_on)
    rejected = [s for s in procedure.steps if s is not None and s.decision is Decision.REJECTED]
    assert len(rejected) <= 1


class HouseholdMachine(RuleBasedStateMachine):
    """One household under random commands."""

    def __init__(self) -> None:
        super().__init__()
        self.serial = itertools.count(1)
        self.events: list[Any] = []

    # ------------------------------------------------------------------ plumbing

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.serial)}"

    def when(self, by=VILLAGE) -> dict[str, Any]:
        return {"occurred_on": self.today, "by": by, "at": at(self.today), "command_id": self.next_id("c")}

    def advance(self, n: int) -> None:
        self.today += timedelta(n)

    def advance_to(self, day: date) -> None:
        self.today = max(self.today, day)

    def run(self, command: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run a command; a refusal must have recorded nothing. Collect what was recorded."""
        household = self.household
        before = (household.version, len(household.pending_events), repr(household))
        try:
            command(*args, **kwargs)
        except DomainError as error:
            assert error.code and error.message
            after = (household.version, len(household.pending_events), repr(household))
            assert after == before, f"refused {error.code} but recorded something"
            event(f"refused {error.code}")
            return False
        assert household.version > before[0]
        recorded = household.collect_events()
        for recorded_event in recorded:
            event(type(recorded_event).__name__)
            assert recorded_event.command_id in household.command_ids
        self.events.extend(recorded)
        return True

    @property
    def case_number(self) -> int:
        return len(self.household.cases) or 1

    def people(self) -> list[str]:
        return sorted(m.id_number for m in self.household.current_members())

    # ------------------------------------------------------------------ setup

    @initialize(
        household_type=st.sampled_from(HouseholdType),
        labour=st.sampled_from([LabourCapacity.ORDINARY, LabourCapacity.LOST]),
    )
    def register(self, household_type: HouseholdType, labour: LabourCapacity) -> None:
        self.today = START
        people = [
            member("张三", make_id(date(1970, 5, 17)), Relation.HEAD, labour_capacity=labour),
            member("李四", make_id(date(1972, 3, 1), male=False), Relation.SPOUSE, labour_capacity=labour),
            member("张小", make_id(date(2010, 9, 1)), Relation.SON, labour_capacity=labour),
        ]
        self.household = Household.register(
            code=self.next_id("H"),
            township="王安镇",
            village="王安村",
            address="1号",
            household_type=household_type,
            lifted_out_year=2019 if household_type is HouseholdType.LIFTED_OUT else None,
            members=people,
            **self.when(COUNTY),
        )
        self.events.extend(self.household.collect_events())

    # ------------------------------------------------------------------ drive: the lifecycle

    @rule(throws=st.lists(dice, min_size=1, max_size=10))
    def drive(self, throws: list[int]) -> None:
        """Take up to len(throws) next sensible steps; each throw decides the random choices."""
        for d in throws:
            self.advance(d % 4)
            self.drive_once(d)

    def drive_once(self, d: int) -> None:
        household = self.household
        case = household.active_case
        if case is None:
            risks = DRIVE_RISKS[d % len(DRIVE_RISKS)]
            self.run(
                household.raise_alert,
                alert_id=self.next_id("A"),
                channel=Channel.SELF_DECLARATION if d % 2 else Channel.CADRE_SCREENING,
                person_id_number=household.head.id_number,
                risk_types=risks,
                disaster_kind=DisasterKind.FLOOD if RiskType.NATURAL_DISASTER in risks else None,
                **self.when(),
            )
        elif not case.included:
            self.drive_identification(case, d)
        elif case.eliminating:
            self.drive_elimination(case, d)
        else:
            self.drive_help(case, d)

    def drive_identification(self, case: Case, d: int) -> None:
        household, proc = self.household, case.identification
        decision = Decision.PASSED if d >= 6 else Decision.REJECTED
        if proc.home_visit is None:
            finding = Finding.RISK_CONFIRMED if d >= 6 else Finding.NO_RISK
            self.run(household.verify_at_home, case.number, finding, risk_clear=d % 3 != 0, **self.when())
        elif case.green_channel is None and d % 5 == 0:
            hardship = [SuddenHardship.NATURAL_DISASTER, SuddenHardship.ACCIDENT, SuddenHardship.EPIDEMIC][
                d % 3
            ]
            self.run(
                household.open_green_channel,
                case.number,
                hardship,
                studied_on=self.today,
                approved_on=self.today,
                **self.when(COUNTY),
            )
        elif proc.village_notice is None and (proc.township_review is not None or d % 2):
            self.advance_to(proc.home_visit.occurred_on + timedelta(5))
            self.run(
                household.conclude_village_deliberation,
                case.number,
                decision,
                notice_from=self.today - timedelta(5),
                notice_to=self.today - timedelta(1),
                objections=[UPHELD] if d % 7 == 0 else [],
                reason="评议不通过",
                **self.when(),
            )
        elif proc.township_review is None:
            self.run(
                household.complete_township_review,
                case.number,
                decision,
                disqualifying_found=d % 11 == 0,
                reason="初审不通过",
                **self.when(TOWNSHIP),
            )
        else:
            fitting = fitting_categories(household.household_type)
            category = list(Category)[d % 3] if d % 13 == 0 else fitting[d % len(fitting)]
            simplified = d % 2 == 0
            self.run(
                household.decide_at_county,
                case.number,
                Decision.PASSED if d >= 8 else Decision.REJECTED,
                category=category,
                simplified=simplified,
                asset_comparison="" if simplified else "无存款房产车辆",
                reason="不予认定",
                **self.when(COUNTY),
            )

    def drive_help(self, case: Case, d: int) -> None:
        household = self.household
        measures = [m for m in household.measures.values() if m.case_number == case.number]
        planned = [m for m in measures if m.in_place_on is None and m.ended_on is None]
        visit = household.latest_visit(self.today)
        assessment = household.latest_income_assessment(self.today)
        if not measures:
            self.run(
                household.assign_measure,
                measure_id=self.next_id("M"),
                measure_type=MeasureType.HEALTH if d % 4 else MeasureType.SOCIAL_SECURITY,
                department=Department.HEALTH,
                responsible_person="王医生",
                **self.when(TOWNSHIP),
            )
        elif planned:
            self.run(household.put_measure_in_place, planned[0].measure_id, **self.when(TOWNSHIP))
        elif visit is None or visit.occurred_on < case.included_on or visit.failed_checks:
            failed = {list(Check)[d % 6]} if d % 10 == 0 else set()
            self.run(
                household.record_visit,
                visit_id=self.next_id("V"),
                visitor="网格员",
                checks={c: c not in failed for c in Check},
                **self.when(),
            )
        elif assessment is None or assessment.occurred_on < case.included_on:
            self.run(
                household.assess_income,
                assessment_id=self.next_id("I"),
                year=self.today.year,
                wages=Decimal(40000 if d >= 10 else 9000),
                business=Decimal(0),
                property=Decimal(0),
                transfers=Decimal(0),
                production_costs=Decimal(0),
                line_in_force=LINE,
                **self.when(),
            )
        else:
            self.advance_to(rules.add_months(case.included_on, rules.ELIMINATION_MIN_MONTHS))
            self.run(
                household.verify_elimination_at_home,
                EliminationMode.BY_HELP if d % 2 else EliminationMode.NATURAL,
                line_in_force=LINE,
                **self.when(),
            )

    def drive_elimination(self, case: Case, d: int) -> None:
        household, proc = self.household, case.elimination
        decision = Decision.PASSED if d >= 8 else Decision.REJECTED
        if proc.village_notice is None and (proc.township_review is not None or d % 2):
            self.advance_to(proc.home_visit.occurred_on + timedelta(5))
            self.run(
                household.conclude_elimination_notice,
                decision,
                notice_from=self.today - timedelta(5),
                notice_to=self.today - timedelta(1),
                reason="群众有异议",
                **self.when(),
            )
        elif proc.township_review is None:
            self.run(
                household.complete_elimination_review, decision, reason="初审不通过", **self.when(TOWNSHIP)
            )
        else:
            self.run(
                household.decide_elimination_at_county,
                decision,
                line_in_force=LINE,
                reason="不予消除",
                **self.when(COUNTY),
            )

    # ------------------------------------------------------------------ fuzz: time and members

    @rule(n=st.integers(min_value=20, max_value=120))
    def wait(self, n: int) -> None:
        self.advance(n)

    @rule(n=days, index=st.integers(0, 5), leave=st.booleans())
    def members(self, n: int, index: int, leave: bool) -> None:
        self.advance(n)
        if not leave:
            newborn = member("新生", make_id(self.today - timedelta(30)), Relation.GRANDCHILD)
            self.run(self.household.join_member, newborn, JoinReason.BIRTH, **self.when())
            return
        people = [p for p in self.people() if p != self.household.head.id_number]
        if people:
            person = people[index % len(people)]
            self.run(self.household.leave_member, person, LeaveReason.MOVED_OUT, **self.when())

    # ------------------------------------------------------------------ fuzz: alerts

    @rule(
        n=days,
        channel=st.sampled_from(Channel),
        risks=risk_choices,
        department=st.sampled_from([Department.HEALTH, Department.EMERGENCY, Department.EDUCATION]),
        tier=st.sampled_from(Tier),
        index=st.integers(0, 5),
    )
    def alert(self, n, channel, risks, department, tier, index) -> None:
        self.advance(n)
        people = self.people()
        pushed = channel is Channel.DEPARTMENT_ALERT
        self.run(
            self.household.raise_alert,
            alert_id=self.next_id("A"),
            channel=channel,
            person_id_number=people[index % len(people)],
            risk_types=risks,
            department=department if pushed else None,
            tier=tier if pushed else None,
            disaster_kind=DisasterKind.FLOOD if RiskType.NATURAL_DISASTER in risks else None,
            **self.when(),
        )

    @rule()
    def alert_dated_tomorrow_is_refused(self) -> None:
        household = self.household
        before = (household.version, len(household.pending_events))
        try:
            household.raise_alert(
                alert_id=self.next_id("A"),
                channel=Channel.SELF_DECLARATION,
                person_id_number=household.head.id_number,
                risk_types=[RiskType.ILLNESS],
                occurred_on=self.today + timedelta(1),
                by=VILLAGE,
                at=at(self.today),
            )
        except DomainError as error:
            assert error.code == "DATE_IN_FUTURE"
        else:
            raise AssertionError("an alert dated tomorrow was accepted")
        assert (household.version, len(household.pending_events)) == before

    # ------------------------------------------------------------------ fuzz: procedures

    @rule(
        n=days,
        procedure=st.sampled_from(["identification", "elimination"]),
        step=st.sampled_from(STEPS),
        decision=st.sampled_from(Decision),
        category=st.sampled_from(Category),
        flag=st.booleans(),
        length=st.integers(3, 7),
    )
    def any_step(self, n, procedure, step, decision, category, flag, length) -> None:
        """Any step of either procedure, in whatever state the household is."""
        self.advance(n)
        h = self.household
        notice = {
            "notice_from": self.today - timedelta(length),
            "notice_to": self.today - timedelta(1),
            "objections": [UPHELD] if flag else [],
            "reason": "不通过",
        }
        if procedure == "identification":
            number = self.case_number
            if step == "home_visit":
                finding = Finding.RISK_CONFIRMED if decision is Decision.PASSED else Finding.NO_RISK
                self.run(h.verify_at_home, number, finding, risk_clear=flag, **self.when())
            elif step == "village_notice":
                self.run(h.conclude_village_deliberation, number, decision, **notice, **self.when())
            elif step == "township_review":
                self.run(
                    h.complete_township_review,
                    number,
                    decision,
                    disqualifying_found=flag,
                    reason="不通过",
                    **self.when(TOWNSHIP),
                )
            else:
                self.run(
                    h.decide_at_county,
                    number,
                    decision,
                    category=category,
                    simplified=flag,
                    asset_comparison="" if flag else "比对无异常",
                    reason="不通过",
                    **self.when(COUNTY),
                )
        elif step == "home_visit":
            mode = EliminationMode.BY_HELP if flag else EliminationMode.NATURAL
            self.run(h.verify_elimination_at_home, mode, line_in_force=LINE, **self.when())
        elif step == "village_notice":
            self.run(h.conclude_elimination_notice, decision, **notice, **self.when())
        elif step == "township_review":
            self.run(h.complete_elimination_review, decision, reason="不通过", **self.when(TOWNSHIP))
        else:
            self.run(
                h.decide_elimination_at_county,
                decision,
                line_in_force=LINE,
                reason="不通过",
                **self.when(COUNTY),
            )

    @rule(n=days, hardship=st.sampled_from(SuddenHardship))
    def green_channel(self, n, hardship) -> None:
        self.advance(n)
        self.run(
            self.household.open_green_channel,
            self.case_number,
            hardship,
            studied_on=self.today,
            approved_on=self.today,
            **self.when(COUNTY),
        )

    # ------------------------------------------------------------------ fuzz: help

    @rule(
        n=days,
        needs=st.sets(st.sampled_from([MeasureType.HEALTH, MeasureType.SOCIAL_SECURITY]), min_size=1),
        labour=st.sampled_from([LabourCapacity.ORDINARY, LabourCapacity.WEAK]),
        reason=st.sampled_from(["", "需求变化"]),
    )
    def analyse(self, n, needs, labour, reason) -> None:
        self.advance(n)
        self.run(self.household.analyse_risk, causes=[RiskType.ILLNESS], labour_capacity=labour,
                 needs=sorted(needs), reason=reason, **self.when(TOWNSHIP))

    @rule(
        n=days,
        action=st.sampled_from(["assign", "in_place", "end"]),
        measure_type=st.sampled_from([MeasureType.HEALTH, MeasureType.SOCIAL_SECURITY]),
        index=st.integers(0, 9),
        reason=st.sampled_from(["", "民政审核纳入低保"]),
    )
    def measure(self, n, action, measure_type, index, reason) -> None:
        self.advance(n)
        h = self.household
        if action == "assign":
            self.run(
                h.assign_measure,
                measure_id=self.next_id("M"),
                measure_type=measure_type,
                department=Department.CIVIL_AFFAIRS,
                responsible_person="民政所",
                amount=Decimal("500"),
                reason=reason,
                **self.when(TOWNSHIP),
            )
            return
        ids = sorted(h.measures)
        if ids:
            measure_id = ids[index % len(ids)]
            if action == "end":
                self.run(h.end_measure, measure_id, "完成", **self.when(TOWNSHIP))
            else:
                self.run(h.put_measure_in_place, measure_id, **self.when(TOWNSHIP))

    @rule(n=days, cause=st.sampled_from([RiskType.ILLNESS, RiskType.SCHOOLING]), subsidy=st.booleans())
    def money(self, n, cause, subsidy) -> None:
        self.advance(n)
        h = self.household
        if subsidy:
            self.run(
                h.subsidise_medical_insurance,
                h.head.id_number,
                self.today.year,
                Decimal("350"),
                **self.when(),
            )
        else:
            self.run(
                h.pay_relief_insurance,
                payout_id=self.next_id("P"),
                cause=cause,
                amount=Decimal("2000"),
                **PAYOUT,
                **self.when(COUNTY),
            )

    # ------------------------------------------------------------------ fuzz: visits and income

    @rule(
        n=days,
        failed=st.one_of(st.just(frozenset()), st.frozensets(st.sampled_from(Check), max_size=2)),
        wages=st.none() | st.integers(0, 60000),
    )
    def visit_or_assess(self, n, failed, wages) -> None:
        self.advance(n)
        h = self.household
        if wages is None:
            self.run(
                h.record_visit,
                visit_id=self.next_id("V"),
                visitor="网格员",
                checks={c: c not in failed for c in Check},
                **self.when(),
            )
        else:
            self.run(
                h.assess_income,
                assessment_id=self.next_id("I"),
                year=self.today.year,
                wages=Decimal(wages),
                business=Decimal(0),
                property=Decimal(0),
                transfers=Decimal(0),
                production_costs=Decimal(0),
                line_in_force=LINE,
                **self.when(),
            )

    # ------------------------------------------------------------------ fuzz: corrections

    @rule(
        n=days,
        pick=st.integers(0, 10_000),
        category=st.sampled_from(Category),
        shift=st.integers(-3, 3),
        risks=risk_choices,
    )
    def correct(self, n, pick, category, shift, risks) -> None:
        """Correct a random recorded fact, dates shifted either way: corrections that would
        break the date order must be refused, and the invariants must hold after the rest."""
        self.advance(n)
        h = self.household
        versions = sorted(h.subjects)
        version = versions[pick % len(versions)]
        subject = h.subjects[version]
        kind = subject.split(":", 1)[0]
        record = h.subject_record(subject)
        changes: dict[str, Any]
        if kind == "household":
            changes = {"address": f"{pick}号"}
        elif kind == "member":
            changes = {"name": f"成员{pick}"}
        elif kind == "alert":
            safe = [r.value for r in risks if r is not RiskType.NATURAL_DISASTER]
            if shift > 0 and safe:
                changes = {"risk_types": safe}
            else:
                changes = {"discovered_on": (record.discovered_on + timedelta(shift)).isoformat()}
        elif kind == "step":
            changes = {"occurred_on": (record.occurred_on + timedelta(shift)).isoformat()}
        elif kind == "case":
            changes = {"category": category.value}
        elif kind == "measure":
            changes = {"responsible_person": f"责任人{pick}"}
        elif kind == "visit":
            changes = {"notes": "补记"}
        elif kind == "assessment":
            changes = {"transfers": str(pick)}
        elif kind == "payout":
            changes = {"amount": str(pick + 1)}
        else:
            raise AssertionError(f"unexpected subject {subject}")
        self.run(h.correct, version, changes, "录入错误", **self.when(COUNTY))

    # ------------------------------------------------------------------ invariants

    @invariant()
    def at_most_one_active_case_and_it_is_the_last(self) -> None:
        cases = self.household.cases
        active = [c for c in cases if c.active]
        assert len(active) <= 1
        if active:
            assert active[0] is cases[-1] is self.household.active_case
        if any(c.re_entry for c in cases):
            event("reached a re-entry case")
        assert [c.number for c in cases] == list(range(1, len(cases) + 1))

    @invariant()
    def a_monitored_case_has_a_fitting_category(self) -> None:
        for case in self.household.cases:
            if case.monitored:
                assert case.category is not None
                assert rules.category_fits(case.category, self.household.household_type)
        if self.household.is_monitoring_object:
            assert self.household.monitored_case is self.household.cases[-1]

    @invariant()
    def inclusion_is_not_before_discovery(self) -> None:
        for case in self.household.cases:
            if case.included:
                assert case.included_on >= case.opened_on
                assert case.days_to_inclusion >= 0

    @invariant()
    def no_step_precedes_its_prerequisite(self) -> None:
        for case in self.household.cases:
            check_procedure(case.identification, case.opened_on)
            if case.elimination is not None:
                assert case.included
                check_procedure(case.elimination, case.included_on)
            if case.green_channel is not None:
                visit = case.identification.home_visit
                assert visit is not None and visit.decision is Decision.PASSED
                assert case.green_channel.studied_on >= visit.occurred_on
            if case.eliminated:
                assert not case.active and not case.monitored

    @invariant()
    def every_measure_belongs_to_an_existing_case(self) -> None:
        """A case's measure answers a need its analysis found (缺什么补什么), 兜底 only for weak
        labour or with a reason; a measure of no case is a 脱贫户's follow-up (四个不摘)."""
        h = self.household
        numbers = {c.number for c in h.cases}
        for measure in h.measures.values():
            if measure.case_number is None:
                assert h.household_type is HouseholdType.LIFTED_OUT
            else:
                assert measure.case_number in numbers
                assert any(measure.measure_type in a.needs for a in h.analyses
                           if a.case_number == measure.case_number)
                if measure.measure_type is MeasureType.SOCIAL_SECURITY and not measure.reason:
                    assert any(a.labour_capacity is LabourCapacity.WEAK for a in h.analyses
                               if a.case_number == measure.case_number)
            if measure.in_place_on is not None:
                assert measure.in_place_on >= measure.started_on

    @invariant()
    def replaying_every_event_gives_the_same_household(self) -> None:
        assert self.household.pending_events == []
        assert self.household.version == len(self.events)
        assert replay(self.events) == self.household


HouseholdMachine.TestCase.settings = settings(
    max_examples=80,
    stateful_step_count=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestHouseholdCommands = HouseholdMachine.TestCase
