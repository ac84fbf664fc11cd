"""Rectification items (限期整改) in and out (`interfaces.http.rectifications`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct

from domain.codes import Department
from domain.governance import RectificationStatus, UnitCount
from interfaces.http.schemas.common import Body, Id, Name
from interfaces.http.schemas.views import fields_of

Problem = Annotated[str, Meta(min_length=1, max_length=2000)]


class RectificationIn(Body, kw_only=True):
    """An item ordered at a dispatch meeting, or on an auditor's finding: one township or one
    department answers for it."""

    item_id: Annotated[str, Meta(min_length=1, max_length=100,
                                 description="整改事项编号（如 2025Q1-01），不含空白与 / # ? % \\")]
    source: Annotated[str, Meta(min_length=1, max_length=100,
                                description="来源：季督导调度会议编号，或“审计”")]
    problem: Problem
    township: Annotated[Name | None, Meta(description="责任乡镇（与责任部门二选一）")] = None
    department: Annotated[Department | None, Meta(description="责任部门（与责任乡镇二选一）")] = None
    deadline: Annotated[date, Meta(description="整改时限（不早于下达日期）")]
    occurred_on: Annotated[date, Meta(description="下达日期")]


class CompletionIn(Body, kw_only=True):
    what_was_done: Annotated[Problem, Meta(description="整改情况")]
    occurred_on: Annotated[date, Meta(description="完成日期（不早于下达日期）")]


class ExtensionIn(Body, kw_only=True):
    deadline: Annotated[date, Meta(description="新的整改时限（晚于现时限）")]
    reason: Annotated[Problem, Meta(description="延期理由")]
    occurred_on: Annotated[date, Meta(description="批准延期日期（不晚于现时限）")]


class RectificationAnswer(Struct):
    item_id: Id
    status: RectificationStatus
    deadline: date
    version: int
    position: int
    repeated: bool = False


class ExtensionOut(Struct):
    extended_on: date
    previous_deadline: date
    deadline: date
    reason: str


class RectificationOut(Struct):
    item_id: str
    source: Annotated[str, Meta(description="季督导调度会议编号，或“审计”")]
    problem: str
    township: str | None
    department: Department | None
    ordered_on: date
    deadline: Annotated[date, Meta(description="整改时限（延期后的）")]
    completed_on: date | None
    what_was_done: str
    status: RectificationStatus
    days_overdue: Annotated[int, Meta(description="逾期天数：逾期未完成至今，或逾期完成时")]
    extensions: list[ExtensionOut]


class UnitCountOut(fields_of(UnitCount)):  # type: ignore[misc]
    """A responsible unit's items by status (`domain.governance.UnitCount`); ``level`` is
    township（乡镇）or department（部门）."""


class RectificationsOut(Struct):
    """The items as of ``on`` (today), with each unit's count by status."""

    on: date
    items: list[RectificationOut]
    counts: list[UnitCountOut]
