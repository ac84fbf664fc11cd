"""Workbook uploads and alerts about people in no registered household (`interfaces.http.intake`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from msgspec import Meta, Struct

from domain.codes import Department, RiskType, Tier
from interfaces.http.schemas.common import Body


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
    staff_assigned: Annotated[int, Meta(description="新指定的网格员、帮扶责任人（人次）")] = 0
    staff_changed: Annotated[int, Meta(description="更换的网格员、帮扶责任人（人次）")] = 0
    staff_unchanged: Annotated[int, Meta(description="人员与现任相同、未作变动的户数")] = 0


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
