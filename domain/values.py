"""Value objects carried by events, and the mutable records a household keeps of its case file.

Events carry frozen values (`Actor`, `MemberDetails`). The household's state is made of plain
records (`Member`, `Alert`, `Case`, …) that the events' ``apply`` methods create and update; they
are also what a snapshot stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from domain import deadlines
from domain.codes import (
    AppealSubject,
    CaseStage,
    Category,
    Channel,
    Decision,
    Department,
    DisasterKind,
    EliminationMode,
    Finding,
    Health,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureStatus,
    MeasureType,
    ObjectionOutcome,
    Problem,
    Relation,
    RiskType,
    Role,
    Sex,
    SuddenHardship,
    TargetGroup,
    Tier,
)
from domain.identity import birth_date_of, sex_of


@dataclass(frozen=True)
class Actor:
    """Who recorded a fact: a user id and the role they acted in."""

    user_id: str
    role: Role


@dataclass(frozen=True)
class MemberDetails:
    """A household member as registered or as joining."""

    name: str
    id_number: str
    relation: Relation
    health: Health = Health.HEALTHY
    labour_capacity: LabourCapacity = LabourCapacity.ORDINARY
    in_school: bool = False
    insured: bool = True


@dataclass
class Member:
    """A person of the household, current (``left_on`` is None) or former."""

    name: str
    id_number: str
    relation: Relation
    health: Health
    labour_capacity: LabourCapacity
    in_school: bool
    insured: bool
    joined_on: date | None = None  # None: already a member when the household was registered
    join_reason: JoinReason | None = None
    left_on: date | None = None
    leave_reason: LeaveReason | None = None
    #: Earlier memberships of someone who left and rejoined: (joined_on, left_on) pairs.
    past_periods: tuple[tuple[date | None, date | None], ...] = ()

    @property
    def sex(self) -> Sex:
        return sex_of(self.id_number)

    @property
    def birth_date(self) -> date:
        return birth_date_of(self.id_number)

    def is_member_on(self, day: date) -> bool:
        periods = ((self.joined_on, self.left_on), *self.past_periods)
        return any(
            (joined is None or joined <= day) and (left is None or left > day)
            for joined, left in periods
        )


@dataclass
class Alert:
    """A risk signal (预警信息) from one of the three channels."""

    alert_id: str
    channel: Channel
    person_id_number: str
    risk_types: tuple[RiskType, ...]
    discovered_on: date
    period: str
    description: str = ""
    department: Department | None = None
    tier: Tier | None = None
    batch_id: str | None = None
    disaster_kind: DisasterKind | None = None
    problems: tuple[Problem, ...] = ()
    case_number: int | None = None  # the case it opened or joined; None for a duplicate
    target_group: TargetGroup | None = None  # a push row's group, where its cadence names one
    amount: Decimal | None = None  # a push row's amount (⑥: the year's medical spending)
    sudden_hardship: SuddenHardship | None = None  # 突发困难类型: ① covers 疫情 this way
    duplicate_of: str | None = None
    recorded_at: datetime | None = None  # when the system received it (push timeliness)


@dataclass(frozen=True)
class Objection:
    """An objection to a village notice (村级评议公示) and how it was resolved: upheld 成立 or not
    upheld 不成立, and why. ``outcome`` is None only on objections recorded before outcomes were
    (their text alone): nobody can say now whether they were upheld."""

    content: str
    outcome: ObjectionOutcome | None
    reason: str = ""


@dataclass(frozen=True)
class PublishedNotice:
    """A public notice (公示) the system produced and the village posted, as recorded on a case:
    its period and the SHA-256 of exactly the page posted (`domain.notices`)."""

    notice_from: date
    notice_to: date
    digest: str


@dataclass
class Appeal:
    """An appeal (异议、申诉) against a decision on a case, answered by the unit that decided
    by the day recorded when it was lodged (the county's deadline, domain.md §14)."""

    appeal_id: str
    against: AppealSubject
    lodged_on: date
    appellant: str  # who appeals: the household member, by name
    by_household: bool  # lodged by the household itself, or by a cadre for it
    content: str
    deciding_role: Role  # the unit that decided, which answers
    answered_on: date | None = None
    outcome: ObjectionOutcome | None = None
    reason: str = ""
    new_category: Category | None = None  # an upheld appeal against the category: the new one
    answer_by: date | None = None  # recorded when lodged; None: lodged before it was recorded

    @property
    def due_on(self) -> date:
        """The last day to answer: as recorded when lodged (the county's deadline then), else
        the 15 days in force before the deadline was recorded."""
        return self.answer_by or deadlines.appeal_deadline(self.lodged_on)

    @property
    def pending(self) -> bool:
        return self.answered_on is None


@dataclass
class Step:
    """One step of a four-step procedure (identification or risk elimination)."""

    occurred_on: date
    decision: Decision
    reason: str = ""


@dataclass
class Procedure:
    """The four steps: household visit, village deliberation & notice, township review, county.

    Steps 2 and 3 may be taken in either order (or the same day) once step 1 has passed;
    step 4 needs both to have passed. A step that does not pass ends the procedure.
    """

    home_visit: Step | None = None
    village_notice: Step | None = None
    township_review: Step | None = None
    county_decision: Step | None = None
    #: The notice published for step 2, if the system produced it (`NoticePublished`).
    notice: PublishedNotice | None = None

    @property
    def steps(self) -> tuple[Step | None, Step | None, Step | None, Step | None]:
        return (self.home_visit, self.village_notice, self.township_review, self.county_decision)

    @property
    def rejected_step(self) -> Step | None:
        """The step that did not pass, if any (it ended the procedure)."""
        return next((s for s in self.steps if s and s.decision is Decision.REJECTED), None)

    @property
    def rejected(self) -> bool:
        return self.rejected_step is not None

    @property
    def finished(self) -> bool:
        return self.rejected or self.county_decision is not None

    @property
    def owed_steps(self) -> tuple[str, ...]:
        """Names of steps 2–4 not yet taken (what a green-channel case still owes)."""
        if self.rejected:
            return ()
        names = ("village_notice", "township_review", "county_decision")
        return tuple(n for n in names if getattr(self, n) is None)


@dataclass
class GreenChannel:
    """绿色通道: help before steps 2–4, which stay owed until done."""

    opened_on: date
    hardship: SuddenHardship
    studied_on: date  # 村两委研究
    approved_on: date  # 县乡审核通过


@dataclass
class Case:
    """One case: from the first alert through identification and help to its end.

    A household has at most one active case; a new risk after the case ended (rejected, closed
    or risk eliminated) opens a new one — after an elimination that is a re-entry. Dates of
    inclusion, closure and elimination are the dates of the steps that decided them, so a
    correction of a step's date corrects them too.
    """

    number: int
    opened_on: date  # discovery date of the alert that opened it: starts the 15-day clock
    alert_ids: list[str]
    risk_types: tuple[RiskType, ...]
    re_entry: bool = False
    identification: Procedure = field(default_factory=Procedure)
    risk_clear: bool = False  # 风险明确, found at the household visit
    objections: tuple[Objection, ...] = ()  # to the identification's village notice
    disqualifying_found: bool = False
    green_channel: GreenChannel | None = None
    category: Category | None = None
    simplified_approval: bool = False
    elimination: Procedure | None = None
    elimination_mode: EliminationMode | None = None
    appeals: list[Appeal] = field(default_factory=list)
    #: Objections to the elimination's village notice (风险消除公示), with their outcomes.
    elimination_objections: tuple[Objection, ...] = ()

    @property
    def open_appeal(self) -> Appeal | None:
        return next((a for a in self.appeals if a.pending), None)

    @property
    def included_on(self) -> date | None:
        step = self.identification.county_decision
        return step.occurred_on if step and step.decision is Decision.PASSED else None

    @property
    def closed_on(self) -> date | None:
        """Date the case ended without inclusion (no risk found, or rejected at a step)."""
        step = self.identification.rejected_step
        return step.occurred_on if step else None

    @property
    def closed_reason(self) -> str:
        step = self.identification.rejected_step
        return step.reason if step else ""

    @property
    def eliminated_on(self) -> date | None:
        step = self.elimination.county_decision if self.elimination else None
        return step.occurred_on if step and step.decision is Decision.PASSED else None

    @property
    def included(self) -> bool:
        return self.included_on is not None

    @property
    def closed(self) -> bool:
        return self.identification.rejected

    @property
    def eliminated(self) -> bool:
        return self.eliminated_on is not None

    @property
    def active(self) -> bool:
        """Still open: being identified, or a monitored case whose risk is not yet eliminated."""
        return not self.closed and not self.eliminated

    @property
    def monitored(self) -> bool:
        """The household is a monitoring object through this case."""
        return self.included and not self.eliminated

    @property
    def helpable(self) -> bool:
        """Help may be given: monitored, or a green-channel case still open."""
        return self.monitored or (self.green_channel is not None and self.active)

    @property
    def eliminating(self) -> bool:
        """A risk-elimination procedure is under way."""
        return self.elimination is not None and not self.elimination.finished

    @property
    def days_to_inclusion(self) -> int | None:
        """Days from discovery to inclusion (the notice's limit is 15)."""
        return (self.included_on - self.opened_on).days if self.included_on else None

    @property
    def identification_deadline(self) -> date:
        """The last day to include the case: 15 days from the discovery that opened it."""
        return deadlines.identification_deadline(self.opened_on)

    def days_left(self, today: date) -> int:
        """Days from ``today`` to the identification deadline; 0 once it has passed."""
        return deadlines.days_left(self.identification_deadline, today)

    def days_overdue(self, today: date) -> int:
        """Days ``today`` is past the identification deadline; 0 until then."""
        return deadlines.days_overdue(self.identification_deadline, today)

    @property
    def included_late(self) -> bool:
        """Included after the identification deadline (allowed, but counted late)."""
        included_on = self.included_on
        return included_on is not None and included_on > self.identification_deadline

    @property
    def measure_deadline(self) -> date | None:
        """The day a help measure should be in place by: 30 days after inclusion."""
        included_on = self.included_on
        return deadlines.measure_deadline(included_on) if included_on else None

    @property
    def pending_steps(self) -> tuple[str, ...]:
        """Steps 2–4 still to take once the household visit is done (none before it)."""
        return self.identification.owed_steps if self.identification.home_visit else ()

    @property
    def steps_owed_after_green_channel(self) -> tuple[str, ...]:
        """The pending steps of a green-channel case: help started before them, and they are
        owed until done (绿色通道待补办)."""
        return self.pending_steps if self.green_channel is not None else ()

    @property
    def stage(self) -> CaseStage:
        if self.closed:
            return CaseStage.CLOSED
        if self.eliminated:
            return CaseStage.ELIMINATED
        if self.eliminating:
            return CaseStage.ELIMINATING
        if self.included:
            return CaseStage.MONITORED
        if self.identification.home_visit is None:
            return CaseStage.AWAITING_VISIT
        if self.identification.owed_steps != ("county_decision",):
            return CaseStage.IDENTIFYING
        return CaseStage.AWAITING_COUNTY


@dataclass
class RiskAnalysis:
    """研判: causes, labour capacity and needs, per case."""

    case_number: int
    occurred_on: date
    causes: tuple[RiskType, ...]
    labour_capacity: LabourCapacity
    needs: tuple[MeasureType, ...]
    notes: str = ""
    #: Why the case was analysed again (a changed need); "" for the first analysis.
    reason: str = ""


@dataclass
class Measure:
    """A help measure (帮扶措施): assigned → in place → ended. ``case_number`` None: a
    follow-up measure for a 脱贫户 that is not a monitoring object (四个不摘), counted apart."""

    measure_id: str
    case_number: int | None
    measure_type: MeasureType
    department: Department
    responsible_person: str
    started_on: date
    status: MeasureStatus = MeasureStatus.PLANNED
    amount: Decimal | None = None
    in_place_on: date | None = None
    ended_on: date | None = None
    end_reason: str = ""
    #: Why it was assigned, where a rule asks (兜底 for a household able to work).
    reason: str = ""

    @property
    def follow_up(self) -> bool:
        """A 脱贫户's follow-up measure (四个不摘), of no case."""
        return self.case_number is None


@dataclass
class ReliefPayout:
    """A 防贫保 payout."""

    payout_id: str
    case_number: int
    occurred_on: date
    cause: RiskType
    amount: Decimal
    beneficiary_id_number: str | None = None
    #: Stated since payouts were judged by the county's bands (None / "": not recorded then).
    out_of_pocket: Decimal | None = None
    insurer: str = ""
    basic_living_in_difficulty: bool | None = None
    bands_from: date | None = None
    ceiling: Decimal | None = None


@dataclass
class Correction:
    """What a correction changed: the event it corrects, the new values and why."""

    corrects_version: int
    subject: str
    changes: dict[str, object]
    reason: str
    occurred_on: date


__all__ = [
    "Actor",
    "Alert",
    "Case",
    "Correction",
    "Finding",
    "GreenChannel",
    "Measure",
    "Member",
    "MemberDetails",
    "Procedure",
    "ReliefPayout",
    "RiskAnalysis",
    "Step",
]
