"""The read-model pages and the other answers of the queries (`interfaces.http.queries`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from msgspec import Meta, Struct, field

from domain.codes import Department, Role
from interfaces.http.schemas.commands import ReliefBandOut
from interfaces.http.schemas.intake import UnmatchedAlertOut
from projections.tables import (
    AlertRow,
    AppealRow,
    CaseQueueRow,
    HouseholdRow,
    LedgerRow,
    MonitoringListRow,
)


class MonitoringRow(MonitoringListRow):
    """A row of the monitoring list, with what the query counts from "today" (or the past day
    asked for)."""

    days_in_monitoring: int | None = None
    visited_this_month: bool | None = None


class CaseRow(CaseQueueRow):
    """A case in the queue, with its days left to (or past) the deadline counted from "today"."""

    days_left: int
    days_overdue: int


class AppealListRow(AppealRow):
    """An appeal on the appeals list, marked by what "today" makes of its deadline."""

    overdue: Annotated[bool, Meta(description="未答复且已过答复期限")]
    days_overdue: int
    on_time: Annotated[bool | None, Meta(description="已答复的：是否在期限内答复（申诉按期办结）")]


class AppealPage(Struct):
    rows: list[AppealListRow]
    total: int
    next_cursor: str | None
    position: int


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
    unmatched: Annotated[list[UnmatchedAlertOut], Meta(
        description="overdue=true 的第一页另列：超过15日仍未认领的未匹配预警（发现之日起算）")] = field(
        default_factory=list)


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


class ReliefBandsOut(Struct):
    """The 防贫保 payout bands in force on a day (none set: ``effective_from`` is null)."""

    on: date
    effective_from: date | None
    bands: list[ReliefBandOut]
    yearly_cap: Decimal | None
    reason: str = ""
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
