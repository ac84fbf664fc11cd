"""The read-model pages and the other answers of the queries (`interfaces.http.queries`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from msgspec import Meta, Struct

from domain.codes import Department, Role


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
