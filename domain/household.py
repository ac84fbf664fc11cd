"""The household case file: one event-sourced aggregate per registered rural household.

Every public method is something a person does in the notice's procedure. It checks the rules
and raises a `DomainError` (recording nothing) or triggers events whose ``apply`` only changes
state: replaying the stored events rebuilds the same case file without reading any clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain import rules
from domain.codes import (
    NO_WORKING_CAPACITY,
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
    MeasureStatus,
    MeasureType,
    Problem,
    Relation,
    RiskType,
    SuddenHardship,
    Tier,
)
from domain.corrections import CORRECTABLE, to_json_native
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.identity import validate_id_number
from domain.values import (
    Actor,
    Alert,
    Case,
    Correction,
    GreenChannel,
    IncomeAssessment,
    Measure,
    Member,
    MemberDetails,
    Procedure,
    ReliefPayout,
    RiskAnalysis,
    Step,
    Visit,
)

#: The six checks of a monthly visit, in the notice's order.
SIX_CHECKS = tuple(Check)

HOUSEHOLD_NAMESPACE = uuid5(NAMESPACE_URL, "https://fangpin.example/household")

#: Procedure step names, in order, with their Chinese names for messages.
STEP_NAMES = {
    "home_visit": "入户核查核实",
    "village_notice": "村级评议公示",
    "township_review": "乡镇核查初审",
    "county_decision": "县级比对审定",
}


def household_id(code: str) -> UUID:
    """The aggregate id of a household: derived from its household code (户编号)."""
    return uuid5(HOUSEHOLD_NAMESPACE, code)


@dataclass(frozen=True)
class AlertOutcome:
    """What became of an alert: the case it opened or joined, or the alert it duplicates."""

    alert_id: str
    case_number: int | None
    duplicate_of: str | None
    new_case: bool


def _require_text(value: str, field: str, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue("REQUIRED", f"{label}不能为空", field)
    return value.strip()


def _require_amount(value: Decimal, field: str, label: str, *, positive: bool = False) -> None:
    if not rules.is_amount(value) or value < 0:
        raise InvalidValue("AMOUNT_INVALID", f"{label}须为不小于0、不超过10亿元、最多两位小数的金额",
                           field)
    if positive and value == 0:
        raise InvalidValue("AMOUNT_INVALID", f"{label}须大于0", field)


class Household(Aggregate):
    """A registered rural household and its whole case file (户档案)."""

    TOPIC = "fangpin:Household"

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
    subjects: dict[int, str]
    command_ids: dict[str, int]

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
            household: Household = aggregate
            self.apply_to(household)
            subject = self.subject()
            if subject is not None:
                household.subjects[self.originator_version] = subject
            if self.command_id:
                household.command_ids[self.command_id] = self.originator_version

        def apply_to(self, household: Household) -> None:
            raise NotImplementedError

    # ------------------------------------------------------------------ registration

    class Registered(Event, Aggregate.Created):
        TOPIC = "fangpin:Household.Registered"
        code: str
        township: str
        village: str
        address: str
        household_type: HouseholdType
        lifted_out_year: int | None
        members: tuple[MemberDetails, ...]

        def subject(self) -> str:
            return "household"

        def apply_to(self, household: Household) -> None:
            household.code = self.code
            household.township = self.township
            household.village = self.village
            household.address = self.address
            household.household_type = self.household_type
            household.lifted_out_year = self.lifted_out_year
            household.members = {}
            household.alerts = {}
            household.alert_keys = {}
            household.cases = []
            household.analyses = []
            household.measures = {}
            household.visits = []
            household.assessments = []
            household.subsidies = {}
            household.payouts = {}
            household.corrections = []
            household.subjects = {}
            household.command_ids = {}
            for details in self.members:
                household.members[details.id_number] = _member_from(details)

    def __init__(self) -> None:
        """State is set by `Registered.apply_to`; use `Household.register`."""

    @classmethod
    def register(
        cls,
        *,
        code: str,
        township: str,
        village: str,
        address: str,
        household_type: HouseholdType,
        members: Sequence[MemberDetails],
        lifted_out_year: int | None = None,
        occurred_on: date,
        by: Actor,
        at: datetime,
        command_id: str = "",
    ) -> Household:
        """Register a household (户编号 unique in the county) with its members."""
        code = _require_text(code, "code", "户编号")
        township = _require_text(township, "township", "乡镇")
        village = _require_text(village, "village", "行政村")
        _check_recorded_date(occurred_on, at)
        if household_type is HouseholdType.LIFTED_OUT:
            if lifted_out_year is None or not 2013 <= lifted_out_year <= occurred_on.year:
                raise InvalidValue(
                    "LIFTED_OUT_YEAR", "脱贫户须填写脱贫年度（2013年至登记年度）", "lifted_out_year"
                )
        elif lifted_out_year is not None:
            raise InvalidValue("LIFTED_OUT_YEAR", "一般农户不填写脱贫年度", "lifted_out_year")
        if not members:
            raise InvalidValue("MEMBERS_REQUIRED", "农户至少有一名家庭成员", "members")
        checked: list[MemberDetails] = []
        for index, details in enumerate(members):
            checked.append(_checked_member(details, f"members[{index}]"))
        ids = [m.id_number for m in checked]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise InvalidValue("MEMBER_DUPLICATE", f"家庭成员身份证号码重复：{duplicate}", "members")
        heads = [m for m in checked if m.relation is Relation.HEAD]
        if len(heads) != 1:
            raise InvalidValue(
                "HEAD_REQUIRED", "家庭成员中须有且只有一名户主（与户主关系为“本人”）", "members"
            )
        return cls._create(
            cls.Registered,
            id=household_id(code),
            timestamp=at,
            occurred_on=occurred_on,
            recorded_by=by,
            command_id=command_id,
            code=code,
            township=township,
            village=village,
            address=(address or "").strip(),
            household_type=household_type,
            lifted_out_year=lifted_out_year,
            members=tuple(checked),
        )

    # ------------------------------------------------------------------ members

    class MemberJoined(Event):
        TOPIC = "fangpin:Household.MemberJoined"
        member: MemberDetails
        reason: JoinReason

        def subject(self) -> str:
            return f"member:{self.member.id_number}"

        def apply_to(self, household: Household) -> None:
            member = _member_from(self.member)
            former = household.members.get(member.id_number)
            if former is not None:  # rejoining: the earlier membership still counts on its days
                member.past_periods = (*former.past_periods, (former.joined_on, former.left_on))
            member.joined_on = self.occurred_on
            member.join_reason = self.reason
            household.members[member.id_number] = member

    class MemberLeft(Event):
        TOPIC = "fangpin:Household.MemberLeft"
        id_number: str
        reason: LeaveReason
        new_head_id_number: str | None

        def apply_to(self, household: Household) -> None:
            member = household.members[self.id_number]
            member.left_on = self.occurred_on
            member.leave_reason = self.reason
            if self.new_head_id_number:
                household.members[self.new_head_id_number].relation = Relation.HEAD

    class MemberDetailsUpdated(Event):
        """A real change in a member's situation (not a correction of a mistake)."""

        TOPIC = "fangpin:Household.MemberDetailsUpdated"
        id_number: str
        changes: dict[str, Any]

        def apply_to(self, household: Household) -> None:
            _apply_changes(household.members[self.id_number], "member", self.changes)

    def join_member(
        self, details: MemberDetails, reason: JoinReason, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A person joins the household (birth, marriage, moving in)."""
        details = _checked_member(details, "member")
        current = self.members.get(details.id_number)
        if current is not None and current.left_on is None:
            raise RuleViolation("MEMBER_ALREADY_PRESENT", f"{details.name} 已是本户成员", "member.id_number")
        if details.relation is Relation.HEAD:
            raise RuleViolation("HEAD_EXISTS", "本户已有户主；新成员不能以“本人”身份加入", "member.relation")
        if details.relation is Relation.SPOUSE and any(
            m.relation is Relation.SPOUSE for m in self.current_members()
        ):
            raise RuleViolation("SPOUSE_EXISTS", "户主已有配偶在册", "member.relation")
        self._record(self.MemberJoined, occurred_on, by, at, command_id, member=details, reason=reason)

    def leave_member(
        self, id_number: str, reason: LeaveReason, *, new_head_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A person leaves the household (death, marriage, moving out).

        When the head leaves and others remain, one of them must be named the new head.
        """
        member = self._current_member(id_number, "id_number")
        remaining = [m for m in self.current_members() if m.id_number != member.id_number]
        if not remaining:
            raise RuleViolation("LAST_MEMBER", "不能移出本户最后一名成员", "id_number")
        if member.relation is Relation.HEAD:
            if new_head_id_number is None:
                raise RuleViolation("NEW_HEAD_REQUIRED", "户主离开时须指定新户主", "new_head_id_number")
            if new_head_id_number not in {m.id_number for m in remaining}:
                raise NotFound("MEMBER_NOT_FOUND", "新户主须为本户现有成员", "new_head_id_number")
        elif new_head_id_number is not None:
            raise RuleViolation("NEW_HEAD_NOT_NEEDED", "只有户主离开时才指定新户主", "new_head_id_number")
        if member.joined_on and occurred_on < member.joined_on:
            raise RuleViolation("DATE_ORDER", "离开日期不能早于加入日期", "occurred_on")
        self._record(
            self.MemberLeft, occurred_on, by, at, command_id,
            id_number=member.id_number, reason=reason, new_head_id_number=new_head_id_number,
        )

    def update_member(
        self, id_number: str, changes: Mapping[str, Any], *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Record a change in a member's health, labour capacity, schooling or insurance."""
        member = self._current_member(id_number, "id_number")
        allowed = {"health", "labour_capacity", "in_school", "insured"}
        stored = _checked_changes("member", changes, allowed)
        self._record(
            self.MemberDetailsUpdated, occurred_on, by, at, command_id,
            id_number=member.id_number, changes=stored,
        )

    # ------------------------------------------------------------------ alerts

    class AlertRaised(Event):
        """A risk signal was received; it opened a case, joined the active one, or duplicated one."""

        TOPIC = "fangpin:Household.AlertRaised"
        alert_id: str
        channel: Channel
        person_id_number: str
        risk_types: tuple[RiskType, ...]
        period: str
        description: str
        department: Department | None
        tier: Tier | None
        batch_id: str | None
        disaster_kind: DisasterKind | None
        problems: tuple[Problem, ...]
        duplicate_of: str | None
        opens_case: bool

        def subject(self) -> str:
            return f"alert:{self.alert_id}"

        def apply_to(self, household: Household) -> None:
            alert = Alert(
                alert_id=self.alert_id,
                channel=self.channel,
                person_id_number=self.person_id_number,
                risk_types=self.risk_types,
                discovered_on=self.occurred_on,
                period=self.period,
                description=self.description,
                department=self.department,
                tier=self.tier,
                batch_id=self.batch_id,
                disaster_kind=self.disaster_kind,
                problems=self.problems,
                duplicate_of=self.duplicate_of,
                recorded_at=self.timestamp,
            )
            household.alerts[alert.alert_id] = alert
            if self.duplicate_of is not None:
                return
            for key in _alert_keys(alert):
                household.alert_keys.setdefault(key, alert.alert_id)
            if self.opens_case:
                case = Case(
                    number=len(household.cases) + 1,
                    opened_on=self.occurred_on,
                    alert_ids=[],
                    risk_types=(),
                    # after any elimination, even with a case found risk-free in between
                    re_entry=any(earlier.eliminated for earlier in household.cases),
                )
                household.cases.append(case)
            case = household.cases[-1]
            case.alert_ids.append(alert.alert_id)
            if not case.included:  # once included, the risk types are those the county decided
                case.risk_types = tuple(dict.fromkeys(case.risk_types + self.risk_types))
            alert.case_number = case.number

    def raise_alert(
        self,
        *,
        alert_id: str,
        channel: Channel,
        person_id_number: str,
        risk_types: Sequence[RiskType],
        description: str = "",
        period: str | None = None,
        department: Department | None = None,
        tier: Tier | None = None,
        batch_id: str | None = None,
        disaster_kind: DisasterKind | None = None,
        problems: Sequence[Problem] = (),
        occurred_on: date,
        by: Actor,
        at: datetime,
        command_id: str = "",
    ) -> AlertOutcome:
        """Record a risk alert; ``occurred_on`` is the discovery date (发现之日).

        An alert whose (person, risk type, department, period) keys are all known already is a
        duplicate of the first such alert and opens no case. Otherwise it joins the household's
        active case, or opens a new one (a re-entry when the last case ended in elimination).
        """
        fields = self._checked_alert(
            alert_id=alert_id, channel=channel, person_id_number=person_id_number,
            risk_types=risk_types, description=description, period=period,
            department=department, tier=tier, batch_id=batch_id,
            disaster_kind=disaster_kind, problems=problems, occurred_on=occurred_on,
        )
        _check_recorded_date(occurred_on, at)
        self._record(self.AlertRaised, occurred_on, by, at, command_id, **fields)
        alert = self.alerts[fields["alert_id"]]
        return AlertOutcome(
            alert_id=alert.alert_id,
            case_number=alert.case_number,
            duplicate_of=alert.duplicate_of,
            new_case=fields["opens_case"],
        )

    def _checked_alert(
        self, *, alert_id: str, channel: Channel, person_id_number: str,
        risk_types: Sequence[RiskType], description: str, period: str | None,
        department: Department | None, tier: Tier | None, batch_id: str | None,
        disaster_kind: DisasterKind | None, problems: Sequence[Problem], occurred_on: date,
    ) -> dict[str, Any]:
        alert_id = _require_text(alert_id, "alert_id", "预警编号")
        if alert_id in self.alerts:
            raise RuleViolation("ALERT_ID_TAKEN", f"预警编号已存在：{alert_id}", "alert_id")
        person = validate_id_number(person_id_number, "person_id_number")
        member = self.members.get(person)
        if member is None or not member.is_member_on(occurred_on):
            raise NotFound("PERSON_NOT_MEMBER", f"身份证号码 {person} 不是本户成员", "person_id_number")
        kinds = rules.checked_risk_types(risk_types, disaster_kind)
        if channel is Channel.DEPARTMENT_ALERT:
            if department is None:
                raise InvalidValue("DEPARTMENT_REQUIRED", "部门筛查预警须注明推送部门", "department")
            if tier is None:
                raise InvalidValue("TIER_REQUIRED", "部门筛查预警须注明省级推送或县级筛查", "tier")
        elif department is not None or tier is not None:
            raise InvalidValue(
                "DEPARTMENT_UNEXPECTED", "只有部门筛查预警才填写推送部门和层级", "department"
            )
        period = (period or "").strip() or occurred_on.strftime("%Y-%m")
        draft = Alert(
            alert_id=alert_id, channel=channel, person_id_number=person, risk_types=kinds,
            discovered_on=occurred_on, period=period, department=department,
        )
        first = [self.alert_keys.get(key) for key in _alert_keys(draft)]
        duplicate_of = first[0] if all(first) else None
        active = self.active_case
        return {
            "alert_id": alert_id,
            "channel": channel,
            "person_id_number": person,
            "risk_types": kinds,
            "period": period,
            "description": description or "",
            "department": department,
            "tier": tier,
            "batch_id": batch_id,
            "disaster_kind": disaster_kind,
            "problems": tuple(dict.fromkeys(problems)),
            "duplicate_of": duplicate_of,
            "opens_case": duplicate_of is None and active is None,
        }

    # ------------------------------------------------------------------ identification

    class HouseholdVerified(Event):
        """Step 1, 入户核查核实: the household visit confirmed the risk or found none."""

        TOPIC = "fangpin:Household.HouseholdVerified"
        case_number: int
        finding: Finding
        risk_clear: bool
        notes: str

        def subject(self) -> str:
            return f"step:{self.case_number}:identification:home_visit"

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            passed = self.finding is Finding.RISK_CONFIRMED
            reason = self.notes if passed else (self.notes or "入户核查无返贫致贫风险")
            case.identification.home_visit = Step(
                self.occurred_on, Decision.PASSED if passed else Decision.REJECTED, reason
            )
            case.risk_clear = passed and self.risk_clear

    class VillageDeliberationConcluded(Event):
        """Step 2, 村级评议公示: deliberation and public notice, with any objections."""

        TOPIC = "fangpin:Household.VillageDeliberationConcluded"
        case_number: int
        procedure: str
        decision: Decision
        notice_from: date
        notice_to: date
        objections: tuple[str, ...]
        reason: str

        def subject(self) -> str:
            return f"step:{self.case_number}:{self.procedure}:village_notice"

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            _procedure(case, self.procedure).village_notice = Step(
                self.occurred_on, self.decision, self.reason
            )
            if self.procedure == "identification":
                case.objections = self.objections

    class TownshipReviewCompleted(Event):
        """Step 3, 乡镇核查初审."""

        TOPIC = "fangpin:Household.TownshipReviewCompleted"
        case_number: int
        procedure: str
        decision: Decision
        disqualifying_found: bool
        reason: str

        def subject(self) -> str:
            return f"step:{self.case_number}:{self.procedure}:township_review"

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            _procedure(case, self.procedure).township_review = Step(
                self.occurred_on, self.decision, self.reason
            )
            if self.procedure == "identification":
                case.disqualifying_found = self.disqualifying_found

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

        def apply_to(self, household: Household) -> None:
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

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            case.identification.county_decision = Step(
                self.occurred_on, Decision.REJECTED, self.reason
            )

    def verify_at_home(
        self, case_number: int, finding: Finding, *, risk_clear: bool = True, notes: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Step 1: the household visit verifies the alert. Finding no risk closes the case."""
        case = self._case_in_identification(case_number)
        self._require_step_allowed(case, case.identification, "home_visit", occurred_on)
        self._record(
            self.HouseholdVerified, occurred_on, by, at, command_id,
            case_number=case.number, finding=finding, risk_clear=risk_clear, notes=notes or "",
        )

    def conclude_village_deliberation(
        self, case_number: int, decision: Decision, *, notice_from: date, notice_to: date,
        objections: Sequence[str] = (), reason: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Step 2 of identification: village deliberation and public notice (≥ 5 days)."""
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
            reason = _require_text(reason, "reason", "不予认定理由")
            self._record(
                self.IdentificationRejected, occurred_on, by, at, command_id,
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
            self.MonitoringObjectIncluded, occurred_on, by, at, command_id,
            case_number=case.number, category=category, risk_types=kinds,
            simplified=simplified, asset_comparison=asset_comparison.strip(),
        )

    # ------------------------------------------------------------------ green channel

    class GreenChannelOpened(Event):
        """绿色通道: help may start before steps 2–4, which are still owed."""

        TOPIC = "fangpin:Household.GreenChannelOpened"
        case_number: int
        hardship: SuddenHardship
        studied_on: date
        approved_on: date

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            case.green_channel = GreenChannel(
                self.occurred_on, self.hardship, self.studied_on, self.approved_on
            )

    def open_green_channel(
        self, case_number: int, hardship: SuddenHardship, *, studied_on: date, approved_on: date,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Open the green channel for a sudden risk from disaster, epidemic or accident.

        Needs the household visit to have confirmed the risk, the village committees' study
        (村两委研究) and county + township approval.
        """
        case = self._case_in_identification(case_number)
        visit = case.identification.home_visit
        if visit is None or visit.decision is not Decision.PASSED:
            raise RuleViolation(
                "GREEN_CHANNEL_BEFORE_VISIT", "绿色通道须在入户核查确认风险后开启", "case_number"
            )
        if case.green_channel is not None:
            raise RuleViolation("GREEN_CHANNEL_OPEN", "该案件已开启绿色通道", "case_number")
        if not set(case.risk_types) & rules.GREEN_CHANNEL_RISKS[hardship]:
            raise RuleViolation(
                "GREEN_CHANNEL_NOT_SUDDEN",
                f"绿色通道仅适用于因灾因疫等突发风险；本案风险类型（{'、'.join(case.risk_types)}）"
                f"不属于{hardship}",
                "hardship",
            )
        for field, day, label in (("studied_on", studied_on, "村两委研究"),
                                  ("approved_on", approved_on, "县乡审核")):
            if day < visit.occurred_on or day > occurred_on:
                raise RuleViolation(
                    "DATE_ORDER", f"{label}日期须在入户核查之后、开启绿色通道之前", field
                )
        self._record(
            self.GreenChannelOpened, occurred_on, by, at, command_id,
            case_number=case.number, hardship=hardship, studied_on=studied_on,
            approved_on=approved_on,
        )

    # ------------------------------------------------------------------ help

    class RiskAnalysed(Event):
        """研判: causes, labour capacity and needs."""

        TOPIC = "fangpin:Household.RiskAnalysed"
        case_number: int
        causes: tuple[RiskType, ...]
        labour_capacity: LabourCapacity
        needs: tuple[MeasureType, ...]
        notes: str

        def apply_to(self, household: Household) -> None:
            household.analyses.append(RiskAnalysis(
                self.case_number, self.occurred_on, self.causes, self.labour_capacity,
                self.needs, self.notes,
            ))

    class MeasureAssigned(Event):
        TOPIC = "fangpin:Household.MeasureAssigned"
        measure_id: str
        case_number: int
        measure_type: MeasureType
        department: Department
        responsible_person: str
        amount: Decimal | None

        def subject(self) -> str:
            return f"measure:{self.measure_id}"

        def apply_to(self, household: Household) -> None:
            household.measures[self.measure_id] = Measure(
                measure_id=self.measure_id,
                case_number=self.case_number,
                measure_type=self.measure_type,
                department=self.department,
                responsible_person=self.responsible_person,
                started_on=self.occurred_on,
                amount=self.amount,
            )

    class MeasurePutInPlace(Event):
        TOPIC = "fangpin:Household.MeasurePutInPlace"
        measure_id: str

        def subject(self) -> str:
            return f"measure:{self.measure_id}"

        def apply_to(self, household: Household) -> None:
            measure = household.measures[self.measure_id]
            measure.status = MeasureStatus.IN_PLACE
            measure.in_place_on = self.occurred_on

    class MeasureEnded(Event):
        TOPIC = "fangpin:Household.MeasureEnded"
        measure_id: str
        reason: str

        def apply_to(self, household: Household) -> None:
            measure = household.measures[self.measure_id]
            measure.status = MeasureStatus.ENDED
            measure.ended_on = self.occurred_on
            measure.end_reason = self.reason

    def analyse_risk(
        self, *, causes: Sequence[RiskType], labour_capacity: LabourCapacity,
        needs: Sequence[MeasureType], notes: str = "",
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Analyse the risk of the case under help: causes, labour capacity, needs (缺什么补什么)."""
        case = self._helpable_case("causes")
        if not causes:
            raise InvalidValue("CAUSES_REQUIRED", "须填写风险原因", "causes")
        if not needs:
            raise InvalidValue("NEEDS_REQUIRED", "须填写帮扶需求", "needs")
        self._record(
            self.RiskAnalysed, occurred_on, by, at, command_id,
            case_number=case.number, causes=tuple(dict.fromkeys(causes)),
            labour_capacity=labour_capacity, needs=tuple(dict.fromkeys(needs)), notes=notes,
        )

    def assign_measure(
        self, *, measure_id: str, measure_type: MeasureType, department: Department,
        responsible_person: str, amount: Decimal | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Assign a help measure (planned) to the case under help; ``occurred_on`` is its start."""
        case = self._helpable_case("measure_type")
        measure_id = _require_text(measure_id, "measure_id", "措施编号")
        if measure_id in self.measures:
            raise RuleViolation("MEASURE_ID_TAKEN", f"措施编号已存在：{measure_id}", "measure_id")
        person = _require_text(responsible_person, "responsible_person", "责任人")
        if amount is not None:
            _require_amount(amount, "amount", "帮扶金额")
        self._record(
            self.MeasureAssigned, occurred_on, by, at, command_id,
            measure_id=measure_id, case_number=case.number, measure_type=measure_type,
            department=department, responsible_person=person, amount=amount,
        )

    def put_measure_in_place(
        self, measure_id: str, *, occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A planned measure is now in place (落实)."""
        measure = self._measure(measure_id)
        if self.cases[measure.case_number - 1].closed:
            raise RuleViolation(
                "CASE_CLOSED", "该措施所属案件已关闭（未认定为监测对象），请结束该措施", "measure_id"
            )
        if measure.status is not MeasureStatus.PLANNED:
            raise RuleViolation(
                "MEASURE_NOT_PLANNED", f"措施状态为“{measure.status}”，只有计划中的措施可以落实",
                "measure_id",
            )
        if occurred_on < measure.started_on:
            raise RuleViolation("DATE_ORDER", "落实日期不能早于措施开始日期", "occurred_on")
        self._record(self.MeasurePutInPlace, occurred_on, by, at, command_id, measure_id=measure_id)

    def end_measure(
        self, measure_id: str, reason: str, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A measure ends (completed, or cancelled before it was in place)."""
        measure = self._measure(measure_id)
        if measure.status is MeasureStatus.ENDED:
            raise RuleViolation("MEASURE_ENDED", "该措施已结束", "measure_id")
        reason = _require_text(reason, "reason", "结束原因")
        if occurred_on < (measure.in_place_on or measure.started_on):
            raise RuleViolation("DATE_ORDER", "结束日期不能早于措施开始或落实日期", "occurred_on")
        self._record(
            self.MeasureEnded, occurred_on, by, at, command_id, measure_id=measure_id, reason=reason
        )

    class MedicalInsuranceSubsidised(Event):
        """医保参保资助 for one member for one year."""

        TOPIC = "fangpin:Household.MedicalInsuranceSubsidised"
        id_number: str
        year: int
        amount: Decimal

        def apply_to(self, household: Household) -> None:
            household.subsidies[f"{self.id_number}:{self.year}"] = self.amount

    def subsidise_medical_insurance(
        self, id_number: str, year: int, amount: Decimal, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Pay a member's resident medical-insurance premium subsidy (应保尽保)."""
        if self.monitored_case is None:
            raise RuleViolation(
                "SUBSIDY_NOT_MONITORED", "只有监测对象家庭成员可享受医保参保资助", "id_number"
            )
        member = self._current_member(id_number, "id_number")
        _require_amount(amount, "amount", "资助金额")
        if year not in (occurred_on.year, occurred_on.year + 1):
            raise InvalidValue("YEAR_INVALID", "资助年度须为当年或次年（预缴）", "year")
        if f"{member.id_number}:{year}" in self.subsidies:
            raise RuleViolation(
                "SUBSIDY_ALREADY_PAID", f"{member.name} {year} 年度已享受医保参保资助", "year"
            )
        self._record(
            self.MedicalInsuranceSubsidised, occurred_on, by, at, command_id,
            id_number=member.id_number, year=year, amount=amount,
        )

    class ReliefInsurancePaid(Event):
        """防贫保 payout for a sudden hardship; no fee is ever charged."""

        TOPIC = "fangpin:Household.ReliefInsurancePaid"
        payout_id: str
        case_number: int
        cause: RiskType
        amount: Decimal
        beneficiary_id_number: str | None

        def subject(self) -> str:
            return f"payout:{self.payout_id}"

        def apply_to(self, household: Household) -> None:
            household.payouts[self.payout_id] = ReliefPayout(
                self.payout_id, self.case_number, self.occurred_on, self.cause, self.amount,
                self.beneficiary_id_number,
            )

    def pay_relief_insurance(
        self, *, payout_id: str, cause: RiskType, amount: Decimal, fee: Decimal = Decimal(0),
        basic_living_in_difficulty: bool = True, beneficiary_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Pay 防贫保 relief (notice §五).

        Only monitoring objects of the three categories, only for a sudden hardship
        (灾/病/疫/意外) that leaves basic living in difficulty, and never with a fee.
        """
        case = self.monitored_case
        if case is None:
            raise RuleViolation(
                "RELIEF_NOT_MONITORING_OBJECT",
                "“防贫保”救助对象限定为脱贫不稳定户、边缘易致贫户、突发严重困难户三类监测对象",
                "payout_id",
            )
        if cause not in rules.RELIEF_CAUSES:
            raise RuleViolation(
                "RELIEF_CAUSE_NOT_SUDDEN",
                f"“防贫保”只救助因灾因病因疫因意外等突发困难，不救助“{cause}”",
                "cause",
            )
        if not basic_living_in_difficulty:
            raise RuleViolation(
                "RELIEF_LIVING_NOT_AFFECTED", "“防贫保”只救助基本生活存在困难的监测对象",
                "basic_living_in_difficulty",
            )
        if not isinstance(fee, Decimal) or fee != 0:
            raise RuleViolation(
                "RELIEF_FEE_CHARGED", "经办机构不得以任何理由收取管理费、手续费等费用", "fee"
            )
        _require_amount(amount, "amount", "救助金额", positive=True)
        payout_id = _require_text(payout_id, "payout_id", "救助编号")
        if payout_id in self.payouts:
            raise RuleViolation("PAYOUT_ID_TAKEN", f"救助编号已存在：{payout_id}", "payout_id")
        if beneficiary_id_number is not None:
            beneficiary_id_number = self._current_member(
                beneficiary_id_number, "beneficiary_id_number"
            ).id_number
        self._record(
            self.ReliefInsurancePaid, occurred_on, by, at, command_id,
            payout_id=payout_id, case_number=case.number, cause=cause, amount=amount,
            beneficiary_id_number=beneficiary_id_number,
        )

    # ------------------------------------------------------------------ visits and income

    class VisitRecorded(Event):
        """A monthly household visit with the six checks and income/spending changes."""

        TOPIC = "fangpin:Household.VisitRecorded"
        visit_id: str
        visitor: str
        checks: dict[Check, bool]
        income_change: Decimal
        spending_change: Decimal
        notes: str

        def subject(self) -> str:
            return f"visit:{self.visit_id}"

        def apply_to(self, household: Household) -> None:
            household.visits.append(Visit(
                self.visit_id, self.occurred_on, self.visitor,
                tuple(check for check in SIX_CHECKS if not self.checks[check]),
                self.income_change, self.spending_change, self.notes,
            ))

    def record_visit(
        self, *, visit_id: str, visitor: str, checks: Mapping[Check, bool],
        income_change: Decimal = Decimal(0), spending_change: Decimal = Decimal(0),
        notes: str = "", occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> AlertOutcome | None:
        """Record a monthly visit. A failed check is a risk signal: the same save raises a
        channel-2 (乡村干部排查) alert about the head of household, and that outcome is returned.
        """
        visit_id = _require_text(visit_id, "visit_id", "走访编号")
        if any(v.visit_id == visit_id for v in self.visits):
            raise RuleViolation("VISIT_ID_TAKEN", f"走访编号已存在：{visit_id}", "visit_id")
        visitor = _require_text(visitor, "visitor", "走访人")
        missing = [c for c in Check if c not in checks]
        if missing:
            raise InvalidValue(
                "CHECKS_INCOMPLETE", f"走访须核实全部六项：缺少{'、'.join(missing)}", "checks"
            )
        for value, field in ((income_change, "income_change"), (spending_change, "spending_change")):
            if not rules.is_amount(value):
                raise InvalidValue("AMOUNT_INVALID", "收支变化须为不超过10亿元、最多两位小数的金额", field)
        _check_recorded_date(occurred_on, at)
        failed = [c for c in Check if not checks[c]]
        alert_fields = None
        if failed:
            signals = [rules.FAILED_CHECK_SIGNALS[c] for c in failed]
            alert_fields = self._checked_alert(
                alert_id=f"{visit_id}-预警", channel=Channel.CADRE_SCREENING,
                person_id_number=self.head.id_number,
                risk_types=[risk for risk, _ in signals], description=f"走访发现{'、'.join(failed)}未保障",
                period=None, department=None, tier=None, batch_id=None, disaster_kind=None,
                problems=[p for _, p in signals if p is not None], occurred_on=occurred_on,
            )
        self._record(
            self.VisitRecorded, occurred_on, by, at, command_id,
            visit_id=visit_id, visitor=visitor, checks={c: bool(checks[c]) for c in Check},
            income_change=income_change, spending_change=spending_change, notes=notes or "",
        )
        if alert_fields is None:
            return None
        self._record(self.AlertRaised, occurred_on, by, at, command_id, **alert_fields)
        alert = self.alerts[alert_fields["alert_id"]]
        return AlertOutcome(
            alert.alert_id, alert.case_number, alert.duplicate_of, alert_fields["opens_case"]
        )

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

        def apply_to(self, household: Household) -> None:
            household.assessments.append(IncomeAssessment(
                self.assessment_id, self.occurred_on, self.year, self.wages, self.business,
                self.property, self.transfers, self.production_costs, self.household_size,
                self.line_in_force,
            ))

    def assess_income(
        self, *, assessment_id: str, year: int, wages: Decimal, business: Decimal,
        property: Decimal, transfers: Decimal, production_costs: Decimal,
        line_in_force: Decimal, occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> IncomeAssessment:
        """Assess per-capita net income: (wages + business + property + transfers − production
        costs) ÷ household size on the day, against ``line_in_force`` (the county's line that day).
        """
        assessment_id = _require_text(assessment_id, "assessment_id", "核算编号")
        if any(a.assessment_id == assessment_id for a in self.assessments):
            raise RuleViolation("ASSESSMENT_ID_TAKEN", f"核算编号已存在：{assessment_id}", "assessment_id")
        labels = {"wages": "工资性收入", "business": "生产经营性收入", "property": "财产性收入",
                  "transfers": "转移性收入", "production_costs": "生产经营性支出"}
        values = {"wages": wages, "business": business, "property": property,
                  "transfers": transfers, "production_costs": production_costs}
        for field, value in values.items():
            _require_amount(value, field, labels[field])
        _require_amount(line_in_force, "line_in_force", "收入监测标准", positive=True)
        if not 2000 <= year <= occurred_on.year:
            raise InvalidValue("YEAR_INVALID", "核算年度不能晚于核算日期所在年度", "year")
        size = self.household_size_on(occurred_on)
        self._record(
            self.IncomeAssessed, occurred_on, by, at, command_id,
            assessment_id=assessment_id, year=year, household_size=size,
            line_in_force=line_in_force, **values,
        )
        return replace(self.assessments[-1])  # the caller's own copy, not the case file's

    # ------------------------------------------------------------------ risk elimination

    class EliminationVerified(Event):
        """Elimination step 1: the household visit proposes eliminating the risk."""

        TOPIC = "fangpin:Household.EliminationVerified"
        case_number: int
        mode: EliminationMode
        notes: str

        def subject(self) -> str:
            return f"step:{self.case_number}:elimination:home_visit"

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            if case.elimination is not None:  # a new attempt: the refused one's steps are history
                superseded = f"step:{self.case_number}:elimination:"
                for version in [v for v, s in household.subjects.items() if s.startswith(superseded)]:
                    del household.subjects[version]
            case.elimination = Procedure(home_visit=Step(self.occurred_on, Decision.PASSED, self.notes))
            case.elimination_mode = self.mode

    class RiskEliminated(Event):
        """Elimination step 4 passed: the risk is eliminated; visits go on (四个不摘)."""

        TOPIC = "fangpin:Household.RiskEliminated"
        case_number: int
        mode: EliminationMode
        line_in_force: Decimal

        def subject(self) -> str:
            return f"step:{self.case_number}:elimination:county_decision"

        def apply_to(self, household: Household) -> None:
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

        def apply_to(self, household: Household) -> None:
            case = household.cases[self.case_number - 1]
            assert case.elimination is not None
            case.elimination.county_decision = Step(self.occurred_on, Decision.REJECTED, self.reason)

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
        _check_recorded_date(occurred_on, at)
        if case.included_on and occurred_on < case.included_on:
            raise RuleViolation("DATE_ORDER", "风险消除日期不能早于纳入监测日期", "occurred_on")
        self._require_eliminable(case, occurred_on, line_in_force)
        self._record(
            self.EliminationVerified, occurred_on, by, at, command_id,
            case_number=case.number, mode=mode, notes=notes or "",
        )

    def conclude_elimination_notice(
        self, decision: Decision, *, notice_from: date, notice_to: date,
        objections: Sequence[str] = (), reason: str = "",
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
            reason = _require_text(reason, "reason", "不予消除理由")
            self._record(
                self.EliminationRejected, occurred_on, by, at, command_id,
                case_number=case.number, reason=reason,
            )
            return
        self._require_eliminable(case, occurred_on, line_in_force)
        assert case.elimination_mode is not None and line_in_force is not None
        self._record(
            self.RiskEliminated, occurred_on, by, at, command_id,
            case_number=case.number, mode=case.elimination_mode, line_in_force=line_in_force,
        )

    # ------------------------------------------------------------------ corrections

    class FactCorrected(Event):
        """A correction: names the event it corrects (by version), the new values and why."""

        TOPIC = "fangpin:Household.FactCorrected"
        corrects_version: int
        corrects_subject: str
        changes: dict[str, Any]
        reason: str

        def apply_to(self, household: Household) -> None:
            kind = self.corrects_subject.split(":", 1)[0]
            record = household.subject_record(self.corrects_subject)
            if kind == "case" and "occurred_on" in self.changes:  # the inclusion date
                _apply_changes(record.identification.county_decision, "step",
                               {"occurred_on": self.changes["occurred_on"]})
                changes = {k: v for k, v in self.changes.items() if k != "occurred_on"}
            else:
                changes = self.changes
            _apply_changes(record, kind, changes)
            if isinstance(record, Alert):
                household._follow_alert_correction(record)
            household.corrections.append(Correction(
                self.corrects_version, self.corrects_subject, dict(self.changes), self.reason,
                self.occurred_on,
            ))

    def correct(
        self, corrects_version: int, changes: Mapping[str, Any], reason: str, *,
        member_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Correct a recorded fact. The event stays as it was; this records the new values.

        The corrected values must satisfy the rules a new record would: dates not after the
        recording day and in step order, at most five risk types, a disaster kind with
        因自然灾害, a category that fits. To correct a member registered with the household,
        name the registration (version 1) and the member's ID number.
        """
        reason = _require_text(reason, "reason", "更正原因")
        subject = self.subjects.get(corrects_version)
        if subject is None:
            raise NotFound(
                "CORRECTION_TARGET",
                f"第 {corrects_version} 条记录不存在、不可更正或已被后续程序取代",
                "corrects_version",
            )
        if member_id_number is not None:
            member = self._current_member(member_id_number, "member_id_number")
            if subject != "household" or member.joined_on is not None:
                raise RuleViolation(
                    "CORRECTION_TARGET", "只有随农户登记的成员可通过登记记录更正", "member_id_number"
                )
            subject = f"member:{member.id_number}"
        kind = subject.split(":", 1)[0]
        stored = _checked_changes(kind, changes, set(CORRECTABLE[kind]))
        self._check_correction(subject, stored, at)
        self._record(
            self.FactCorrected, occurred_on, by, at, command_id,
            corrects_version=corrects_version, corrects_subject=subject, changes=stored,
            reason=reason,
        )

    def _check_correction(self, subject: str, stored: dict[str, Any], at: datetime) -> None:
        """Refuse corrected values that the rules would refuse in a new record."""
        kind = subject.split(":", 1)[0]
        new = {name: CORRECTABLE[kind][name](value, name) for name, value in stored.items()}
        for name, value in new.items():
            if isinstance(value, date) and value > rules.local_date(at):
                raise InvalidValue(
                    "DATE_IN_FUTURE", f"更正后的日期 {value} 晚于登记日期", f"changes.{name}"
                )
        record = self.subject_record(subject)
        if kind == "member" and "relation" in new:
            heads = sum(
                1 for m in self.current_members()
                if (new["relation"] if m is record else m.relation) is Relation.HEAD
            )
            if heads != 1:
                raise RuleViolation(
                    "HEAD_REQUIRED", "更正后本户须有且只有一名户主（与户主关系为“本人”）",
                    "changes.relation",
                )
        if kind == "case" and "category" in new:
            rules.require_category_fits(new["category"], self.household_type)
        if kind == "alert":
            kinds = new.get("risk_types", record.risk_types)
            disaster = new.get("disaster_kind", record.disaster_kind)
            if len(kinds) > rules.MAX_RISK_TYPES:
                raise InvalidValue(
                    "RISK_TYPES_TOO_MANY", f"返贫致贫风险类型最多{rules.MAX_RISK_TYPES}种",
                    "changes.risk_types",
                )
            if RiskType.NATURAL_DISASTER in kinds and disaster is None:
                raise InvalidValue(
                    "DISASTER_KIND_REQUIRED", "因自然灾害须填写灾害类型", "changes.disaster_kind"
                )
            case = self.cases[record.case_number - 1] if record.case_number else None
            visit = case.identification.home_visit if case else None
            if ("discovered_on" in new and case is not None and case.alert_ids[0] == record.alert_id
                    and visit is not None and new["discovered_on"] > visit.occurred_on):
                raise RuleViolation(
                    "DATE_ORDER", f"发现日期不能晚于入户核查日期（{visit.occurred_on}）",
                    "changes.discovered_on",
                )
        if kind == "measure":
            in_place_on = new.get("in_place_on", record.in_place_on)
            if "in_place_on" in new and record.in_place_on is None:
                raise RuleViolation(
                    "MEASURE_NOT_IN_PLACE", "措施尚未落实，不能更正落实日期", "changes.in_place_on"
                )
            if in_place_on is not None and in_place_on < new.get("started_on", record.started_on):
                raise RuleViolation("DATE_ORDER", "落实日期不能早于措施开始日期", "changes.started_on")
        if "occurred_on" in new and kind in ("step", "case"):
            number, procedure, step = (
                subject.split(":")[1:] if kind == "step"
                else (subject.split(":")[1], "identification", "county_decision")
            )
            case = self.cases[int(number) - 1]
            earliest, latest = _step_window(case, _procedure(case, procedure), step)
            day = new["occurred_on"]
            if day < earliest or (latest is not None and day > latest):
                window = f"{earliest} 至 {latest}" if latest else f"{earliest} 之后"
                raise RuleViolation(
                    "DATE_ORDER", f"“{STEP_NAMES[step]}”的日期须在 {window}", "changes.occurred_on"
                )

    def _follow_alert_correction(self, alert: Alert) -> None:
        """A corrected alert corrects what its case took from it: the discovery date that
        starts the 15-day clock, and (before the county decided) the case's risk types; and
        the duplicate rule follows the corrected risk types."""
        self.alert_keys = {}
        for known in self.alerts.values():
            if known.duplicate_of is None:
                for key in _alert_keys(known):
                    self.alert_keys.setdefault(key, known.alert_id)
        if alert.case_number is None:
            return
        case = self.cases[alert.case_number - 1]
        if case.alert_ids[0] == alert.alert_id:
            case.opened_on = alert.discovered_on
        if not case.included:
            kinds: tuple[RiskType, ...] = ()
            for alert_id in case.alert_ids:
                kinds += self.alerts[alert_id].risk_types
            case.risk_types = tuple(dict.fromkeys(kinds))

    def subject_record(self, subject: str) -> Any:
        """The record a subject key names (household, member, alert, step, case, …)."""
        kind, _, key = subject.partition(":")
        if kind == "household":
            return self
        if kind == "member":
            return self.members[key]
        if kind == "alert":
            return self.alerts[key]
        if kind == "measure":
            return self.measures[key]
        if kind == "payout":
            return self.payouts[key]
        if kind == "visit":
            return next(v for v in self.visits if v.visit_id == key)
        if kind == "assessment":
            return next(a for a in self.assessments if a.assessment_id == key)
        if kind == "case":
            return self.cases[int(key) - 1]
        if kind == "step":
            number, procedure, step = key.split(":")
            return getattr(_procedure(self.cases[int(number) - 1], procedure), step)
        raise KeyError(subject)

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
    def category(self) -> Category | None:
        case = self.monitored_case
        return case.category if case else None

    def latest_visit(self, on: date) -> Visit | None:
        """The visit latest in date up to ``on`` (of several that day, the last recorded)."""
        return _latest(self.visits, on)

    def latest_income_assessment(self, on: date) -> IncomeAssessment | None:
        """The assessment latest in date up to ``on`` (of several that day, the last recorded)."""
        return _latest(self.assessments, on)

    # ------------------------------------------------------------------ helpers

    def _record(
        self, event_class: type[Event], occurred_on: date, by: Actor, at: datetime,
        command_id: str, **fields: Any,
    ) -> None:
        _check_recorded_date(occurred_on, at)
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
        case = self._case(case_number)
        if case.closed:
            raise RuleViolation(
                "CASE_CLOSED", f"第 {case_number} 号案件已关闭：{case.closed_reason}", "case_number"
            )
        if case.included:
            raise RuleViolation("CASE_DECIDED", f"第 {case_number} 号案件已认定为监测对象", "case_number")
        return case

    def _case_eliminating(self) -> Case:
        case = self.monitored_case
        if case is None or not case.eliminating:
            raise RuleViolation("NO_ELIMINATION", "没有进行中的风险消除程序", "case_number")
        return case

    def _helpable_case(self, field: str) -> Case:
        case = self.active_case
        if case is None or not case.helpable:
            raise RuleViolation(
                "NOT_UNDER_HELP",
                "只有监测对象（或已开启绿色通道的案件）才能研判风险、落实帮扶措施",
                field,
            )
        return case

    def _measure(self, measure_id: str) -> Measure:
        measure = self.measures.get(measure_id)
        if measure is None:
            raise NotFound("MEASURE_NOT_FOUND", f"本户没有编号为 {measure_id} 的帮扶措施", "measure_id")
        return measure

    def _require_step_allowed(
        self, case: Case, procedure: Procedure, step: str, occurred_on: date
    ) -> None:
        """A step can't happen twice, after a rejection, before the step it needs, or earlier
        than the date of the step it follows."""
        name = STEP_NAMES[step]
        if procedure.rejected:
            ended_at = STEP_NAMES[_rejected_name(procedure)]
            raise RuleViolation("PROCEDURE_ENDED", f"程序已在“{ended_at}”环节终止", "case_number")
        if getattr(procedure, step) is not None:
            raise RuleViolation("STEP_DONE", f"“{name}”已完成，不能重复", "case_number")
        if step == "home_visit":
            earliest = case.opened_on
        elif step in ("village_notice", "township_review"):
            if procedure.home_visit is None:
                raise RuleViolation(
                    "STEP_OUT_OF_ORDER", f"须先完成“入户核查核实”，才能进行“{name}”", "case_number"
                )
            earliest = procedure.home_visit.occurred_on
        else:
            missing = [STEP_NAMES[s] for s in ("village_notice", "township_review")
                       if getattr(procedure, s) is None]
            if missing:
                raise RuleViolation(
                    "STEP_OUT_OF_ORDER", f"须先完成“{'”“'.join(missing)}”，才能进行“{name}”",
                    "case_number",
                )
            assert procedure.village_notice and procedure.township_review
            earliest = max(procedure.village_notice.occurred_on, procedure.township_review.occurred_on)
        if occurred_on < earliest:
            raise RuleViolation("DATE_ORDER", f"“{name}”的日期不能早于前一环节（{earliest}）", "occurred_on")

    def _village_step(
        self, case: Case, procedure_name: str, decision: Decision, notice_from: date,
        notice_to: date, objections: Sequence[str], reason: str,
        occurred_on: date, by: Actor, at: datetime, command_id: str,
    ) -> None:
        procedure = _procedure(case, procedure_name)
        self._require_step_allowed(case, procedure, "village_notice", occurred_on)
        assert procedure.home_visit is not None
        if notice_from < procedure.home_visit.occurred_on:
            raise RuleViolation("DATE_ORDER", "公示开始日期不能早于入户核查日期", "notice_from")
        days = (notice_to - notice_from).days + 1
        if days < rules.MIN_NOTICE_DAYS:
            raise RuleViolation(
                "NOTICE_TOO_SHORT", f"公示期不少于{rules.MIN_NOTICE_DAYS}天（本次{days}天）", "notice_to"
            )
        if notice_to > occurred_on:
            raise RuleViolation("DATE_ORDER", "公示期结束后才能得出评议公示结果", "notice_to")
        if decision is Decision.REJECTED:
            reason = _require_text(reason, "reason", "评议不通过的理由")
        self._record(
            self.VillageDeliberationConcluded, occurred_on, by, at, command_id,
            case_number=case.number, procedure=procedure_name, decision=decision,
            notice_from=notice_from, notice_to=notice_to,
            objections=tuple(o.strip() for o in objections if o.strip()), reason=reason,
        )

    def _township_step(
        self, case: Case, procedure_name: str, decision: Decision, disqualifying_found: bool,
        reason: str, occurred_on: date, by: Actor, at: datetime, command_id: str,
    ) -> None:
        procedure = _procedure(case, procedure_name)
        self._require_step_allowed(case, procedure, "township_review", occurred_on)
        if decision is Decision.REJECTED:
            reason = _require_text(reason, "reason", "初审不通过的理由")
        self._record(
            self.TownshipReviewCompleted, occurred_on, by, at, command_id,
            case_number=case.number, procedure=procedure_name, decision=decision,
            disqualifying_found=disqualifying_found, reason=reason,
        )

    def _require_eliminable(self, case: Case, on: date, line_in_force: Decimal | None) -> None:
        blockers = rules.elimination_blockers(self, case, on, line_in_force)
        if blockers:
            code, message = blockers[0]
            others = "；".join(m for _, m in blockers[1:])
            detail = f"{message}（另：{others}）" if others else message
            raise RuleViolation(code, detail, "occurred_on")


def _latest(records: list[Any], on: date) -> Any:
    latest = None
    for record in records:
        if record.occurred_on <= on and (latest is None or record.occurred_on >= latest.occurred_on):
            latest = record
    return latest


def _procedure(case: Case, name: str) -> Procedure:
    if name == "identification":
        return case.identification
    assert case.elimination is not None
    return case.elimination


def _step_window(case: Case, procedure: Procedure, step: str) -> tuple[date, date | None]:
    """The dates a step may carry: not before the step(s) it needs, not after the step(s)
    that followed it."""
    def day(name: str) -> date | None:
        taken = getattr(procedure, name)
        return taken.occurred_on if taken is not None else None

    first = day("home_visit") or case.opened_on
    earliest = {
        "home_visit": case.opened_on if procedure is case.identification else case.included_on,
        "village_notice": first,
        "township_review": first,
        "county_decision": max(d for d in (day("village_notice"), day("township_review"), first)
                               if d is not None),
    }[step]
    followers = {
        "home_visit": ("village_notice", "township_review", "county_decision"),
        "village_notice": ("county_decision",),
        "township_review": ("county_decision",),
        "county_decision": (),
    }[step]
    later = [d for d in (day(name) for name in followers) if d is not None]
    if step == "home_visit" and procedure is case.identification and case.green_channel:
        later.append(case.green_channel.studied_on)  # the green channel followed the visit
    return earliest or case.opened_on, min(later) if later else None


def _rejected_name(procedure: Procedure) -> str:
    for name in STEP_NAMES:
        step = getattr(procedure, name)
        if step is not None and step.decision is Decision.REJECTED:
            return name
    raise ValueError("procedure not rejected")


def _member_from(details: MemberDetails) -> Member:
    return Member(
        name=details.name, id_number=details.id_number, relation=details.relation,
        health=details.health, labour_capacity=details.labour_capacity,
        in_school=details.in_school, insured=details.insured,
    )


def _checked_member(details: MemberDetails, field: str) -> MemberDetails:
    name = _require_text(details.name, f"{field}.name", "姓名")
    number = validate_id_number(details.id_number, f"{field}.id_number")
    if name == details.name and number == details.id_number:
        return details
    return MemberDetails(
        name, number, details.relation, details.health, details.labour_capacity,
        details.in_school, details.insured,
    )


def _alert_keys(alert: Alert) -> Iterable[str]:
    """The (person, risk type, department, period) keys of the duplicate rule. Alerts from the
    household or village cadres use their channel in the department's place."""
    source = alert.department or alert.channel
    return (f"{alert.person_id_number}|{risk}|{source}|{alert.period}" for risk in alert.risk_types)


def _check_recorded_date(occurred_on: date, at: datetime) -> None:
    if not isinstance(occurred_on, date) or isinstance(occurred_on, datetime):
        raise InvalidValue("DATE_INVALID", "日期格式不正确", "occurred_on")
    if occurred_on > rules.local_date(at):
        raise InvalidValue(
            "DATE_IN_FUTURE", f"发生日期 {occurred_on} 晚于登记日期 {rules.local_date(at)}", "occurred_on"
        )


def _checked_changes(kind: str, changes: Mapping[str, Any], allowed: set[str]) -> dict[str, Any]:
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


def _apply_changes(record: Any, kind: str, changes: Mapping[str, Any]) -> None:
    converters: dict[str, Any] = CORRECTABLE[kind]
    for name, raw in changes.items():
        setattr(record, name, converters[name](raw, name))


def household_event_classes() -> list[type[Household.Event]]:
    """Every concrete household event class (for projections and the mapper)."""
    return [
        value for value in vars(Household).values()
        if isinstance(value, type) and issubclass(value, Household.Event)
        and value is not Household.Event and value.TOPIC.startswith("fangpin:")
    ]
