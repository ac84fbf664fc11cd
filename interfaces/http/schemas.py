"""Request and response bodies of the HTTP API, as `msgspec.Struct`s.

Code-table fields use the domain's enums, so the OpenAPI schema lists the Chinese terms and a
wrong term is refused before any handler runs. Money travels as a decimal string ("1234.50").
Who recorded a fact is never part of a body: it comes from the caller's token.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from msgspec import Meta, Struct

from domain.codes import (
    CaseStage,
    Category,
    Channel,
    Check,
    Decision,
    Department,
    DisasterKind,
    EliminationMode,
    Finding,
    Health,
    HouseholdType,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureStatus,
    MeasureType,
    Problem,
    Relation,
    RiskType,
    Role,
    Sex,
    SuddenHardship,
    Tier,
)

Text = Annotated[str, Meta(max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Id = Annotated[str, Meta(min_length=1, max_length=100)]
IdNumber = Annotated[str, Meta(min_length=1, max_length=32, description="居民身份证号码（18 位）")]
Money = Annotated[Decimal, Meta(description="金额（元），十进制字符串，如 \"1234.50\"")]
Year = Annotated[int, Meta(ge=2000, le=2100)]
CaseNumber = Annotated[int, Meta(ge=1, le=1_000_000, description="案件序号（户内从 1 起）")]
Happened = Annotated[date, Meta(description="事情发生之日（不是录入之日）")]
MAX_LIST = 100


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused (a typo never passes silently)."""


# ---------------------------------------------------------------------- households and members


class MemberIn(Body, kw_only=True):
    name: Name
    id_number: IdNumber
    relation: Relation
    health: Health = Health.HEALTHY
    labour_capacity: LabourCapacity = LabourCapacity.ORDINARY
    in_school: bool = False
    insured: bool = True


class RegisterHousehold(Body, kw_only=True):
    code: Annotated[str, Meta(min_length=1, max_length=40, description="户编号（全县唯一）")]
    township: Name
    village: Name
    address: Text = ""
    household_type: HouseholdType
    members: Annotated[list[MemberIn], Meta(min_length=1, max_length=30)]
    lifted_out_year: Year | None = None
    occurred_on: Happened


class JoinMember(Body, kw_only=True):
    member: MemberIn
    reason: JoinReason
    occurred_on: Happened


class LeaveMember(Body, kw_only=True):
    reason: LeaveReason
    new_head_id_number: IdNumber | None = None
    occurred_on: Happened


class MemberChanges(Body, kw_only=True):
    health: Health | None = None
    labour_capacity: LabourCapacity | None = None
    in_school: bool | None = None
    insured: bool | None = None


class UpdateMember(Body, kw_only=True):
    changes: MemberChanges
    occurred_on: Happened


# ---------------------------------------------------------------------- alerts and identification


class RaiseAlert(Body, kw_only=True):
    alert_id: Id | None = None
    channel: Channel
    person_id_number: IdNumber
    risk_types: Annotated[list[RiskType], Meta(max_length=MAX_LIST)]
    description: Text = ""
    period: Annotated[str, Meta(max_length=20)] | None = None
    department: Department | None = None
    tier: Tier | None = None
    batch_id: Id | None = None
    disaster_kind: DisasterKind | None = None
    problems: Annotated[list[Problem], Meta(max_length=MAX_LIST)] = []
    occurred_on: Annotated[date, Meta(description="发现之日（15 天时限自此起算）")]


class VerifyAtHome(Body, kw_only=True):
    case_number: CaseNumber
    finding: Finding
    risk_clear: bool = True
    notes: Text = ""
    occurred_on: Happened


class VillageDeliberation(Body, kw_only=True):
    case_number: CaseNumber
    decision: Decision
    notice_from: date
    notice_to: date
    objections: Annotated[list[Text], Meta(max_length=MAX_LIST)] = []
    reason: Text = ""
    occurred_on: Happened


class TownshipReview(Body, kw_only=True):
    case_number: CaseNumber
    decision: Decision
    disqualifying_found: bool = False
    reason: Text = ""
    occurred_on: Happened


class CountyDecision(Body, kw_only=True):
    case_number: CaseNumber
    decision: Decision
    category: Category | None = None
    risk_types: Annotated[list[RiskType], Meta(max_length=MAX_LIST)] | None = None
    simplified: bool = False
    asset_comparison: Text = ""
    reason: Text = ""
    occurred_on: Happened


class OpenGreenChannel(Body, kw_only=True):
    case_number: CaseNumber
    hardship: SuddenHardship
    studied_on: date
    approved_on: date
    occurred_on: Happened


# ---------------------------------------------------------------------- help


class AnalyseRisk(Body, kw_only=True):
    causes: Annotated[list[RiskType], Meta(max_length=MAX_LIST)]
    labour_capacity: LabourCapacity
    needs: Annotated[list[MeasureType], Meta(max_length=MAX_LIST)]
    notes: Text = ""
    occurred_on: Happened


class AssignMeasure(Body, kw_only=True):
    measure_id: Id | None = None
    measure_type: MeasureType
    department: Department
    responsible_person: Name
    amount: Money | None = None
    occurred_on: Happened


class PutMeasureInPlace(Body, kw_only=True):
    occurred_on: Happened


class EndMeasure(Body, kw_only=True):
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    occurred_on: Happened


class SubsidiseMedicalInsurance(Body, kw_only=True):
    id_number: IdNumber
    year: Year
    amount: Money
    occurred_on: Happened


class PayReliefInsurance(Body, kw_only=True):
    payout_id: Id | None = None
    cause: RiskType
    amount: Money
    fee: Money = Decimal(0)
    basic_living_in_difficulty: bool = True
    beneficiary_id_number: IdNumber | None = None
    occurred_on: Happened


class RecordVisit(Body, kw_only=True):
    visit_id: Id | None = None
    visitor: Name
    checks: Annotated[dict[Check, bool], Meta(description="六项核实，每项 true 为通过")]
    income_change: Money = Decimal(0)
    spending_change: Money = Decimal(0)
    notes: Text = ""
    occurred_on: Happened


class AssessIncome(Body, kw_only=True):
    assessment_id: Id | None = None
    year: Year
    wages: Money
    business: Money
    property: Money
    transfers: Money
    production_costs: Money
    occurred_on: Happened


# ---------------------------------------------------------------------- risk elimination


class VerifyElimination(Body, kw_only=True):
    mode: EliminationMode
    notes: Text = ""
    occurred_on: Happened


class EliminationNotice(Body, kw_only=True):
    decision: Decision
    notice_from: date
    notice_to: date
    objections: Annotated[list[Text], Meta(max_length=MAX_LIST)] = []
    reason: Text = ""
    occurred_on: Happened


class EliminationDecision(Body, kw_only=True):
    decision: Decision
    reason: Text = ""
    occurred_on: Happened


# ---------------------------------------------------------------------- corrections and policy


class Correct(Body, kw_only=True):
    corrects_version: Annotated[int, Meta(ge=1, description="被更正事件的版本号（见档案历史）")]
    changes: Annotated[dict[str, Any], Meta(description="新值：字段名 → 值")]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    member_id_number: IdNumber | None = None
    occurred_on: Happened


class SetIncomeLine(Body, kw_only=True):
    yuan_per_capita: Money
    effective_from: date | None = None
    reason: Text = ""
    occurred_on: Happened


# ---------------------------------------------------------------------- command answers


class AlertOutcomeOut(Struct):
    alert_id: str
    case_number: int | None
    duplicate_of: str | None
    new_case: bool
    outcome: Annotated[str, Meta(description="新案件 / 并入案件 / 重复")]


class AssessmentOut(Struct):
    assessment_id: str
    occurred_on: date
    year: int
    household_size: int
    net_income: Decimal
    per_capita: Decimal
    line_in_force: Decimal
    below_line: bool


class CommandAnswer(Struct):
    """What a command recorded: the household, its new version and the log position reached
    (pass it as ``after`` to a query to read your own write)."""

    household_id: UUID
    household_code: str
    version: int
    position: int
    alert: AlertOutcomeOut | None = None
    assessment: AssessmentOut | None = None


class IncomeLineAnswer(Struct):
    year: int
    yuan_per_capita: Decimal
    version: int
    position: int


# ---------------------------------------------------------------------- department pushes


class PushRow(Body, kw_only=True):
    """One alert of a push, as the department sent it. Values are checked row by row, so one bad
    value is answered on its own row and never blocks the others; a row of the wrong shape (an
    unknown or misspelt field) is a fault of the sending system and refuses the whole batch."""

    person_id_number: Annotated[str, Meta(max_length=32)]
    risk_types: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=MAX_LIST)]
    occurred_on: Annotated[str, Meta(max_length=40, description="发现之日 YYYY-MM-DD")]
    description: Text = ""
    disaster_kind: Annotated[str, Meta(max_length=40)] | None = None
    problems: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=MAX_LIST)] = []
    township: Annotated[str, Meta(max_length=100, description="所在乡镇：未匹配时转该乡镇认领")] | None = None
    village: Annotated[str, Meta(max_length=100)] | None = None


class DepartmentPush(Body, kw_only=True):
    batch_id: Annotated[str, Meta(min_length=1, max_length=100, description="批次号（部门内唯一）")]
    department: Annotated[
        Department | None, Meta(description="推送部门；部门用户可省略（即本部门）")
    ] = None
    tier: Tier
    period: Annotated[str, Meta(
        pattern=r"^\d{4}-(0[1-9]|1[0-2])(上旬|中旬|下旬|上半月|下半月)?$",
        description="推送期次：月份 2025-03，或旬、半月 2025-03上旬 / 2025-03下半月（按推送频次表）")]
    urgent: Annotated[bool, Meta(description="紧急推送（频次表之外，另行统计）")] = False
    rows: Annotated[list[PushRow], Meta(
        max_length=5000, description="预警明细；本期无预警时为空（零报告），仍计为按期推送")]


class PushRowAnswer(Struct):
    row: int
    result: Annotated[str, Meta(description="新案件 / 并入案件 / 重复 / 未匹配 / 拒收")]
    household_code: str | None = None
    alert_id: str | None = None
    case_number: int | None = None
    duplicate_of: str | None = None
    position: int | None = None
    repeated: bool = False
    code: str | None = None
    message: str | None = None
    field: str | None = None


class PushAnswer(Struct):
    batch_id: str
    department: Department
    tier: Tier
    period: str
    received: int
    recorded: int
    new_cases: int
    joined_cases: int
    duplicates: int
    rejected: int
    repeated: int
    position: int
    rows: list[PushRowAnswer]
    unmatched: Annotated[int, Meta(description="身份证号码不在已登记农户中、列入未匹配名单的条数")] = 0
    urgent: bool = False
    received_on: Annotated[date | None, Meta(description="本批次的接收日期（首次推送之日）")] = None


# ---------------------------------------------------------------------- indicators


class ScopeOut(Struct):
    level: Annotated[str, Meta(pattern="^(county|township|department)$",
                               description="county / township / department")]
    name: Annotated[str, Meta(max_length=100)]


class FigureOut(Struct):
    indicator: Annotated[str, Meta(max_length=40, description="指标名称")]
    code: str
    level: str
    area: str
    numerator: int
    denominator: int | None
    rate: float | None
    kind: Annotated[str, Meta(description="rate（比率）或 count（计数）")]


class ItemOut(Struct):
    key: str
    township: str | None
    village: str | None
    department: str | None
    numerator: int
    denominator: int
    note: str


class DetailOut(Struct):
    indicator: str
    level: str
    area: str
    items: list[ItemOut]


class IndicatorResultOut(Struct):
    """Figures as recorded at ``as_of`` (log ``position``); ``digest`` covers their inputs."""

    period: str
    scope: ScopeOut
    as_of: datetime
    position: int
    evaluated_on: date
    source: Annotated[str, Meta(description="read_models（当前）或 log（按日志复算）")]
    version: int
    cadences_digest: str
    digest: str
    figures: list[FigureOut]
    formulas: dict[str, str]
    detail: DetailOut | None = None


class PublishedFigure(Struct):
    indicator: Annotated[str, Meta(max_length=40)]
    level: Annotated[str, Meta(max_length=20)]
    area: Annotated[str, Meta(max_length=100)]
    numerator: int
    denominator: int | None = None
    rate: float | None = None


class PublishedResult(Struct, kw_only=True):
    """A result as ``GET /api/indicators`` published it (other fields are ignored)."""

    period: Annotated[str, Meta(max_length=20)]
    scope: ScopeOut
    as_of: Annotated[str, Meta(max_length=40)]
    position: Annotated[int, Meta(ge=0, le=2**62)]
    digest: Annotated[str, Meta(max_length=100)]
    version: int | None = None
    cadences_digest: Annotated[str, Meta(max_length=100)] | None = None
    evaluated_on: Annotated[str, Meta(max_length=20)] | None = None
    figures: Annotated[list[PublishedFigure], Meta(max_length=10_000)]
    detail: DetailOut | None = None


class VerificationOut(Struct):
    matches: bool
    digest: str
    recomputed_digest: str
    differences: list[str]


class ExpectedPushOut(Struct):
    department: Department
    duty: Annotated[str, Meta(description="推送频次表的序号 ①…⑨")]
    what: str
    period: Annotated[str, Meta(description="推送期次，或事件类推送的预警编号")]
    due_on: date
    received_on: date | None
    received_at: datetime | None
    tier: Tier | None
    batch_id: str | None
    status: Annotated[str, Meta(description="按时 / 迟报N天 / 漏报")]
    days_late: int | None
    on_time: bool
    reading: str


class UrgentPushOut(Struct):
    department: Department
    batch_id: str
    period: str
    received_on: date
    rows: int


class BatchOut(Struct):
    """A batch as received (部门推送批次)."""

    department: Department
    batch_id: str
    tier: Tier | None
    period: str
    urgent: bool
    received_at: datetime
    rows: int
    new_cases: int
    joined: int
    duplicates: int
    rejected: int


class PushComplianceOut(Struct):
    period: str
    as_of: datetime
    position: int
    digest: str
    pushes: list[ExpectedPushOut]
    urgent: list[UrgentPushOut]
    batches: Annotated[list[BatchOut], Meta(description="统计期内收到的全部批次，含接收时间与层级")]


class ConsultationIn(Body, kw_only=True):
    meeting_id: Id
    occurred_on: Annotated[date, Meta(description="会议日期")]
    departments_present: Annotated[list[Department], Meta(min_length=1, max_length=MAX_LIST)]
    topics: Annotated[list[Text], Meta(min_length=1, max_length=MAX_LIST)]
    decisions: Annotated[list[Text], Meta(max_length=MAX_LIST)] = []
    households_discussed: Annotated[list[Id], Meta(max_length=MAX_LIST)] = []


class DispatchMeetingIn(ConsultationIn, kw_only=True):
    quarter: Annotated[str, Meta(pattern=r"^\d{4}-Q[1-4]$", description="季度 2025-Q1")]


class MeetingAnswer(Struct):
    meeting_id: str
    version: int
    position: int
    repeated: bool = False


class MeetingOut(Struct):
    kind: str
    meeting_id: str
    held_on: date
    quarter: str | None
    departments_present: list[Department]
    topics: list[str]
    decisions: list[str]
    households_discussed: list[str]


# ---------------------------------------------------------------------- imports and unmatched alerts


class ImportProblem(Struct):
    row: int
    reason: str


class ImportAnswer(Struct):
    """What an upload read and recorded; rejected rows come back as a workbook to fix."""

    kind: str
    filename: str
    digest: str
    rows_read: int
    blank_rows: int
    recorded: int
    rejected: int
    new_cases: int
    joined: int
    duplicates: int
    unmatched: int
    households_registered: int
    members_registered: int
    repeated: int
    batch_id: str | None
    already_imported_at: datetime | None
    summary: list[str]
    problems: Annotated[list[ImportProblem], Meta(description="拒收的行（前200行）及原因")]
    errors_xlsx_base64: Annotated[str | None, Meta(
        description="拒收行的工作簿（原行加“错误原因”列），base64 编码；无拒收时为空")]
    position: int


class UnmatchedAlertOut(Struct):
    alert_id: str
    person_id_number: str
    risk_types: list[RiskType]
    description: str
    discovered_on: date
    deadline_on: Annotated[date, Meta(description="发现之日起15日")]
    days_left: int | None
    department: Department | None
    tier: Tier | None
    batch_id: str | None
    township: str | None
    village: str | None
    held_at: datetime
    resolved_on: date | None
    household_code: str | None


class AttachIn(Body, kw_only=True):
    household_code: Annotated[str, Meta(min_length=1, max_length=100, description="该人所在农户的户编号")]


class AttachAnswer(Struct):
    alert_id: str
    household_code: str
    position: int
    case_number: int | None
    outcome: str
    repeated: bool = False


# ---------------------------------------------------------------------- errors


class ProblemDetails(Struct):
    """An error as RFC 9457 problem details, with a stable ``code`` and the offending field."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


# ---------------------------------------------------------------------- case files


class MemberOut(Struct):
    name: str
    id_number: str
    relation: Relation
    sex: Sex
    birth_date: Annotated[date | None, Meta(description="出生日期（身份证号码被遮盖的角色不显示）")]
    birth_year: int
    health: Health
    labour_capacity: LabourCapacity
    in_school: bool
    insured: bool
    current: bool
    joined_on: date | None
    join_reason: JoinReason | None
    left_on: date | None
    leave_reason: LeaveReason | None


class AlertOut(Struct):
    alert_id: str
    channel: Channel
    person_id_number: str
    risk_types: list[RiskType]
    discovered_on: date
    period: str
    description: str
    department: Department | None
    tier: Tier | None
    batch_id: str | None
    disaster_kind: DisasterKind | None
    problems: list[Problem]
    case_number: int | None
    duplicate_of: str | None
    recorded_at: datetime | None


class StepOut(Struct):
    step: str
    occurred_on: date
    decision: Decision
    reason: str


class CaseOut(Struct):
    number: int
    stage: CaseStage
    opened_on: date
    deadline_on: date
    risk_types: list[RiskType]
    alert_ids: list[str]
    re_entry: bool
    category: Category | None
    included_on: date | None
    days_to_inclusion: int | None
    closed_on: date | None
    eliminated_on: date | None
    green_channel: bool
    owed_steps: list[str]
    identification: list[StepOut]
    elimination: list[StepOut]
    elimination_mode: EliminationMode | None


class MeasureOut(Struct):
    measure_id: str
    case_number: int
    measure_type: MeasureType
    department: Department
    responsible_person: str
    status: MeasureStatus
    amount: Decimal | None
    started_on: date
    in_place_on: date | None
    ended_on: date | None
    end_reason: str


class VisitOut(Struct):
    visit_id: str
    occurred_on: date
    visitor: str
    failed_checks: list[Check]
    income_change: Decimal
    spending_change: Decimal
    notes: str


class RiskAnalysisOut(Struct):
    case_number: int
    occurred_on: date
    causes: list[RiskType]
    labour_capacity: LabourCapacity
    needs: list[MeasureType]
    notes: str


class SubsidyOut(Struct):
    id_number: str
    year: int
    amount: Decimal


class PayoutOut(Struct):
    payout_id: str
    case_number: int
    occurred_on: date
    cause: RiskType
    amount: Decimal
    beneficiary_id_number: str | None


class CaseFile(Struct):
    """A household's case file as it stands (or stood, for an as-of read)."""

    household_id: UUID
    code: str
    township: str
    village: str
    address: str
    household_type: HouseholdType
    lifted_out_year: int | None
    version: int
    monitoring_object: bool
    category: Category | None
    members: list[MemberOut]
    alerts: list[AlertOut]
    cases: list[CaseOut]
    measures: list[MeasureOut]
    visits: list[VisitOut]
    assessments: list[AssessmentOut]
    risk_analyses: list[RiskAnalysisOut]
    medical_subsidies: list[SubsidyOut]
    relief_payouts: list[PayoutOut]
    as_of: datetime | None = None


class RecordedBy(Struct):
    user: str
    role: Role


class HistoryEntryOut(Struct):
    version: int
    event: Annotated[str, Meta(description="事件（英文名）")]
    what: Annotated[str, Meta(description="发生了什么（中文）")]
    occurred_on: date | None
    recorded_at: datetime
    recorded_by: RecordedBy | None
    details: dict[str, Any]


class ChainLink(Struct):
    """One event's place in the household's hash chain, recomputed from the stored bytes."""

    version: int
    position: int
    content_hash: str
    previous_hash: str | None
    event_hash: str | None
    intact: bool


class CheckpointRef(Struct):
    """The latest signed checkpoint of the whole log (Ed25519 over its segment digests)."""

    sequence: int
    position: int
    created_at: str
    log_hash: str
    public_key: str
    signature: str
    covers_last_event: bool


class ChainProof(Struct):
    """The household's chain: ``intact`` when every link recomputes from the stored events."""

    algorithm: str
    intact: bool
    links: list[ChainLink]
    checkpoint: CheckpointRef | None


class History(Struct):
    household_id: UUID
    code: str
    entries: list[HistoryEntryOut]
    chain: ChainProof


# ---------------------------------------------------------------------- read-model pages


class MonitoringRow(Struct):
    household_id: UUID
    code: str
    township: str
    village: str
    head_name: str
    head_id_masked: str = ""
    household_type: str | None = None
    category: str | None = None
    risk_types: str = ""
    case_number: int | None = None
    included_on: date | None = None
    from_on: date | None = None
    to_on: date | None = None
    ended_how: str | None = None
    measures_in_place: int | None = None
    measures_planned: int | None = None
    first_in_place_on: date | None = None
    first_in_place_days: int | None = None
    last_visit_on: date | None = None
    eliminating: bool | None = None
    days_in_monitoring: int | None = None
    visited_this_month: bool | None = None


class CaseRow(Struct):
    household_id: UUID
    case_number: int
    code: str
    township: str
    village: str
    head_name: str
    stage: str
    discovered_on: date
    deadline_on: date
    green_channel: bool
    owed_steps: list[str]
    pending_steps: list[str]
    re_entry: bool
    days_left: int
    days_overdue: int


class HouseholdRow(Struct):
    household_id: UUID
    code: str
    township: str
    village: str
    address: str
    household_type: str
    head_name: str
    head_id_masked: str
    members: int
    monitored: bool
    category: str | None
    visit_due: bool
    last_visit_on: date | None
    version: int


class AlertRow(Struct):
    household_id: UUID
    alert_id: str
    code: str
    township: str
    village: str
    channel: str
    department: str | None
    tier: str | None
    batch_id: str | None
    period: str | None
    discovered_on: date
    recorded_at: datetime | None
    outcome: str
    duplicate_of: str | None
    case_number: int | None
    case_stage: str | None


class LedgerRow(Struct):
    department: str
    batch_id: str | None
    received: int
    new_cases: int
    joined_cases: int
    duplicates: int
    first_received: datetime | None
    last_received: datetime | None


class MonitoringPage(Struct):
    rows: list[MonitoringRow]
    total: int
    next_cursor: str | None
    position: int


class CasePage(Struct):
    rows: list[CaseRow]
    total: int
    next_cursor: str | None
    position: int


class HouseholdPage(Struct):
    rows: list[HouseholdRow]
    total: int
    next_cursor: str | None
    position: int


class AlertPage(Struct):
    rows: list[AlertRow]
    total: int
    next_cursor: str | None
    position: int


class Ledger(Struct):
    rows: list[LedgerRow]
    position: int


class IncomeLineOut(Struct):
    on: date
    yuan_per_capita: Decimal | None
    as_of: datetime | None = None


class AccessRecordOut(Struct):
    """One read of a household's file (or an attempt refused for the area)."""

    id: int
    at: datetime
    user: str
    role: str
    household_code: str
    route: str
    outcome: Annotated[str, Meta(description="read（已查看）或 refused:<原因代码>")]


class Me(Struct):
    name: str
    role: Role
    township: str | None
    village: str | None
    department: Department | None
    sees_id_numbers: bool

