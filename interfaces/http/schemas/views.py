"""A household's case file and its history with the hash chain, as `interfaces.http.views`
builds them."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, get_type_hints
from uuid import UUID

import msgspec
from msgspec import Meta, Struct

from domain.codes import (
    AppealSubject,
    CaseStage,
    Category,
    Check,
    Decision,
    Department,
    EliminationMode,
    Health,
    HouseholdType,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    MeasureStatus,
    MeasureType,
    ObjectionOutcome,
    Relation,
    RiskType,
    Role,
    Sex,
)
from domain.values import Alert, Objection
from interfaces.http.schemas.commands import AssessmentOut
from interfaces.http.schemas.evidence import EvidenceOut


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


def fields_of(record: type) -> type[Struct]:
    """A Struct with the fields of a domain record (a dataclass), in its order and with its
    types, every one required: the base of an answer that shows the record as it is."""
    hints = get_type_hints(record)
    return msgspec.defstruct(f"{record.__name__}Fields", [
        (field.name, hints[field.name]) for field in dataclasses.fields(record)], module=__name__)


class AlertOut(fields_of(Alert)):  # type: ignore[misc]
    """An alert as its household's case file holds it (`domain.values.Alert`)."""


class ObjectionOut(fields_of(Objection)):  # type: ignore[misc]
    """An objection to a village notice and how it was resolved (`domain.values.Objection`):
    ``outcome`` 成立 / 不成立, null on objections recorded before outcomes were."""


class AppealOut(Struct):
    """An appeal against a decision on the case (异议与申诉) and its answer."""

    appeal_id: str
    against: AppealSubject
    lodged_on: date
    appellant: str
    by_household: Annotated[bool, Meta(description="农户本人提出（是）或干部代为提出（否）")]
    content: str
    deciding_role: Annotated[Role, Meta(description="作出决定、负责答复的单位")]
    due_on: Annotated[date, Meta(description="答复期限：提出时按县定期限记下的答复日（默认提出之日起15日）")]
    answered_on: date | None
    outcome: ObjectionOutcome | None
    reason: str
    new_category: Category | None


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
    objections: Annotated[list[ObjectionOut], Meta(
        description="认定时村级评议公示收到的异议及处理结果（成立的异议不得简化审定）")] = []
    appeals: Annotated[list[AppealOut], Meta(description="对本案决定的申诉及答复")] = []
    elimination_objections: Annotated[list[ObjectionOut], Meta(
        description="风险消除时村级评议公示收到的异议及处理结果")] = []


class MeasureOut(Struct):
    measure_id: str
    case_number: Annotated[int | None, Meta(
        description="所属案件；脱贫户的持续跟踪帮扶措施（四个不摘）不属于任何案件，为 null")]
    measure_type: MeasureType
    department: Department
    responsible_person: str
    status: MeasureStatus
    amount: Decimal | None
    started_on: date
    in_place_on: date | None
    ended_on: date | None
    end_reason: str
    follow_up: Annotated[bool, Meta(
        description="脱贫户持续跟踪帮扶措施（四个不摘），与监测对象的措施分开统计")] = False
    reason: Annotated[str, Meta(description="安排依据（如对有劳动能力的户安排兜底的依据）")] = ""


class VisitOut(Struct):
    visit_id: str
    occurred_on: date
    visitor: str
    failed_checks: list[Check]
    income_change: Decimal
    spending_change: Decimal
    notes: str
    per_capita_income: Annotated[Decimal | None, Meta(
        description="走访核实的家庭人均纯收入（元/人·年），未核实为 null")] = None
    line_in_force: Annotated[Decimal | None, Meta(description="当日生效的收入监测标准")] = None


class RiskAnalysisOut(Struct):
    case_number: int
    occurred_on: date
    causes: list[RiskType]
    labour_capacity: LabourCapacity
    needs: list[MeasureType]
    notes: str
    reason: Annotated[str, Meta(description="重新研判（需求变化）的原因")] = ""


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
    out_of_pocket: Decimal | None = None
    insurer: Annotated[str, Meta(description="经办机构（早于赔付标准记录的赔付为空）")] = ""
    basic_living_in_difficulty: Annotated[bool | None, Meta(
        description="核实结论：基本生活存在困难（早于赔付标准记录的赔付未写明，为 null）")] = None
    bands_from: Annotated[date | None, Meta(description="审核所依据的赔付标准的生效日期")] = None
    ceiling: Annotated[Decimal | None, Meta(description="按该标准此笔最多可赔金额")] = None


class AssignmentOut(Struct):
    """A 网格员 or 帮扶责任人 of the household, from the day assigned to the day ended."""

    name: str
    phone: str
    unit: Annotated[str, Meta(description="工作单位（帮扶责任人）；网格员为空")]
    assigned_on: date
    reason: Annotated[str, Meta(description="接替前任的原因；首次指定为空")]
    ended_on: date | None
    end_reason: str
    current: bool


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
    grid_workers: Annotated[list[AssignmentOut], Meta(description="网格员，按指定先后")]
    helpers: Annotated[list[AssignmentOut], Meta(description="帮扶责任人，按指定先后")]
    evidence: Annotated[list[EvidenceOut], Meta(description="证据附件：照片、扫描件、PDF，按附上先后")] = []
    as_of: datetime | None = None


class RecordedBy(Struct):
    user: str
    role: Role


class HistoryEntryOut(Struct):
    version: int
    event: Annotated[str, Meta(description="事件（英文名）")]
    what: Annotated[str, Meta(description="发生了什么（中文）")]
    sentence: Annotated[str, Meta(description=(
        "这条记录的一句话：日期、谁、做了什么（如“2025-03-19 网格员王立新入户走访：六项核实全部通过，"
        "收入增加119元”）；身份证号按读者角色遮蔽，原始字段见 details"))]
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


class FeedEventOut(HistoryEntryOut, kw_only=True):
    """An event of the change feed: the history's entry (details masked as the history masks
    them), with its log position and its household."""

    position: Annotated[int, Meta(description="日志位置（全县唯一、递增）")]
    household_code: str


class FeedPageOut(Struct):
    events: list[FeedEventOut]
    next_after: Annotated[int, Meta(description="下一页的 after（本页读到的日志位置）")]
    end: Annotated[int, Meta(description="读取时日志的最后位置")]
    at_end: Annotated[bool, Meta(description="已读到日志末尾：稍后再以 next_after 读新事件")]
