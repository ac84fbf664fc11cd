"""Assessment indicators, push compliance and the meetings that record them
(`interfaces.http.indicators`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct

from application.push_book import BookRow
from domain.codes import Department, Tier
from interfaces.http.limits import PERIOD_PATTERN
from interfaces.http.schemas.common import MAX_LIST, Body, Id, Text


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

    period: Annotated[str, Meta(pattern=PERIOD_PATTERN, description="统计期，如 2025-Q1")]
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


class PushBookOut(Struct):
    """推送台账 of a period (`application.push_book`): one row per department and push period."""

    period: str
    rows: list[BookRow]


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
    decisions: Annotated[list[Text], Meta(max_length=MAX_LIST)] = []  # noqa: RUF012
    households_discussed: Annotated[list[Id], Meta(max_length=MAX_LIST)] = []  # noqa: RUF012


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
