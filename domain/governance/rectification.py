"""限期整改 (domain.md §10): a problem named at a quarterly dispatch meeting (季督导调度), or by an
auditor (审计), is an item with the township or department responsible, a deadline and a status;
overdue items are listed and counted.

The items live on the county's `Governance` aggregate (`domain.governance.meetings`), beside the
meetings they come from, so that "named at a recorded dispatch meeting" is checked on the same
state, under the same lock, as the item is recorded. This module holds what an item is, its
status on a day, the checks of each command and the counts per unit; the events and commands
are `Governance`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any

from domain.codes import Department
from domain.deadlines import days_overdue
from domain.errors import InvalidValue, NotFound, RuleViolation

#: The source of an item an auditor named (not a meeting's id).
AUDIT_SOURCE = "审计"
MAX_PROBLEM = 2000
MAX_UNIT = 100
#: What an item's id may not hold: it names the item in a path (``/api/rectifications/{id}``).
_NOT_IN_ID = frozenset("/#?%\\")

#: How the status of an item is read (printed with the reports, `口径说明`).
RECTIFICATION_READING = (
    "限期整改事项按评价日判定状态：评价日前已完成且完成日期不晚于整改时限为“已完成”，晚于时限为“逾期完成”；"
    "评价日尚未完成而整改时限已过（时限 < 评价日）为“逾期未完成”，否则为“未到期”。延期须在原时限届满前"
    "批准并写明理由，时限按延期后的计。季度报告列出本季度末前下达、且未在本季度开始前完成的事项。")


class RectificationStatus(StrEnum):
    """The status of a rectification item on a day."""

    DONE = "已完成"
    DONE_LATE = "逾期完成"
    OVERDUE = "逾期未完成"
    PENDING = "未到期"


@dataclass(frozen=True)
class DeadlineExtension:
    """A deadline moved later, before it had passed, for a stated reason."""

    extended_on: date
    previous_deadline: date
    deadline: date
    reason: str


@dataclass(frozen=True)
class RectificationItem:
    """A problem to put right by a deadline, and who answers for it (one township or one
    department)."""

    item_id: str
    source: str  # the dispatch meeting's id, or 审计
    problem: str
    township: str | None
    department: Department | None
    ordered_on: date
    deadline: date  # as extended, if it was
    completed_on: date | None = None
    what_was_done: str = ""
    extensions: tuple[DeadlineExtension, ...] = ()

    @property
    def unit(self) -> str:
        """The responsible unit's name: the township, or the department."""
        return self.township or (self.department.value if self.department else "")

    @property
    def unit_level(self) -> str:
        return "township" if self.township else "department"

    def deadline_on(self, day: date) -> date:
        """The deadline in force on ``day`` (extensions granted by then counted). An extension
        comes before the deadline it moves, so the status on a day is the same by either."""
        granted = [e.deadline for e in self.extensions if e.extended_on <= day]
        return granted[-1] if granted else (self.extensions[0].previous_deadline if self.extensions
                                            else self.deadline)

    def status_on(self, day: date) -> RectificationStatus:
        """Completed by ``day`` (on time or late), or overdue (deadline < ``day``), or not due."""
        if self.completed_on is not None and self.completed_on <= day:
            return RectificationStatus.DONE_LATE if self.completed_on > self.deadline \
                else RectificationStatus.DONE
        return RectificationStatus.OVERDUE if self.deadline < day else RectificationStatus.PENDING

    def days_overdue(self, day: date) -> int:
        """Days past the deadline on ``day`` (overdue) or at completion (completed late)."""
        if self.completed_on is not None and self.completed_on <= day:
            return days_overdue(self.deadline, self.completed_on)
        return days_overdue(self.deadline, day)

    def completed(self, on: date, what_was_done: str) -> RectificationItem:
        return replace(self, completed_on=on, what_was_done=what_was_done)

    def extended(self, on: date, deadline: date, reason: str) -> RectificationItem:
        extension = DeadlineExtension(on, self.deadline, deadline, reason)
        return replace(self, deadline=deadline, extensions=(*self.extensions, extension))


@dataclass(frozen=True)
class UnitCount:
    """A responsible unit's items on a day, by status."""

    level: str  # "township" | "department"
    unit: str
    items: int
    done: int
    done_late: int
    overdue: int
    pending: int


# ---------------------------------------------------------------------- the checks of the commands


def check_order(
    items: dict[str, RectificationItem], *, item_id: str, problem: str, township: str | None,
    department: Department | None, deadline: date, occurred_on: date, today: date,
) -> dict[str, Any]:
    """The fields of a new item, checked: a new id, a problem, one responsible unit, a deadline
    not before the order date, which is not in the future. (The source is checked against the
    meetings by `Governance.order_rectification`.)"""
    item_id = (item_id or "").strip()
    if not item_id:
        raise InvalidValue("RECTIFICATION_ID_REQUIRED", "整改事项编号不能为空", "item_id")
    if not item_id.isprintable() or any(ch in _NOT_IN_ID or ch.isspace() for ch in item_id):
        raise InvalidValue("RECTIFICATION_ID_FORMAT", "整改事项编号不能含空白或“/ # ? % \\”", "item_id")
    if item_id in items:
        raise RuleViolation("RECTIFICATION_ID_TAKEN", f"整改事项编号已存在：{item_id}", "item_id")
    problem = (problem or "").strip()
    if not problem:
        raise InvalidValue("PROBLEM_REQUIRED", "须写明要整改的问题", "problem")
    if len(problem) > MAX_PROBLEM:
        raise InvalidValue("TEXT_TOO_LONG", f"问题最多{MAX_PROBLEM}字", "problem")
    township = (township or "").strip() or None
    if township and department:
        raise InvalidValue("UNIT_AMBIGUOUS", "责任单位只能是一个乡镇或一个部门", "department")
    if not township and not department:
        raise InvalidValue("UNIT_REQUIRED", "须指定责任乡镇或责任部门", "township")
    if township and len(township) > MAX_UNIT:
        raise InvalidValue("TEXT_TOO_LONG", f"乡镇名称最多{MAX_UNIT}字", "township")
    if department is not None and not isinstance(department, Department):
        raise InvalidValue("DEPARTMENT_UNKNOWN", "责任部门须为部门代码表中的部门", "department")
    _not_in_future(occurred_on, today, "下达日期")
    if deadline < occurred_on:
        raise InvalidValue("DEADLINE_BEFORE_ORDER",
                           f"整改时限 {deadline} 早于下达日期 {occurred_on}", "deadline")
    return {"item_id": item_id, "problem": problem, "township": township, "department": department,
            "deadline": deadline}


def check_completion(item: RectificationItem, *, what_was_done: str, occurred_on: date,
                     today: date) -> str:
    """What was done, checked: an item is completed once, on or after the day it was ordered."""
    what_was_done = _open_and_stated(item, what_was_done, "WHAT_WAS_DONE_REQUIRED",
                                     "what_was_done", "整改情况")
    _after_order(item, occurred_on, today, "COMPLETED_BEFORE_ORDER", "完成日期")
    return what_was_done


def check_extension(item: RectificationItem, *, deadline: date, reason: str, occurred_on: date,
                    today: date) -> str:
    """A later deadline for an open item, granted before the deadline in force has passed (an
    overdue item stays overdue), for a stated reason."""
    reason = _open_and_stated(item, reason, "REASON_REQUIRED", "reason", "延期理由")
    _after_order(item, occurred_on, today, "EXTENDED_BEFORE_ORDER", "批准延期日期")
    if occurred_on > item.deadline:
        raise RuleViolation("RECTIFICATION_OVERDUE",
                            f"整改时限 {item.deadline} 已过，逾期事项不能再延期", "occurred_on")
    if deadline <= item.deadline:
        raise InvalidValue("DEADLINE_NOT_LATER",
                           f"新的整改时限须晚于现时限 {item.deadline}", "deadline")
    return reason


def _open_and_stated(item: RectificationItem, text: str, code: str, field: str, label: str) -> str:
    """The text a command on an item still open must state, trimmed."""
    if item.completed_on is not None:
        raise RuleViolation("RECTIFICATION_COMPLETED",
                            f"整改事项 {item.item_id} 已于 {item.completed_on} 完成", "item_id")
    text = (text or "").strip()
    if not text:
        raise InvalidValue(code, f"须写明{label}", field)
    if len(text) > MAX_PROBLEM:
        raise InvalidValue("TEXT_TOO_LONG", f"{label}最多{MAX_PROBLEM}字", field)
    return text


def _after_order(item: RectificationItem, day: date, today: date, code: str, label: str) -> None:
    _not_in_future(day, today, label)
    if day < item.ordered_on:
        raise InvalidValue(code, f"{label} {day} 早于下达日期 {item.ordered_on}", "occurred_on")


def item_named(items: dict[str, RectificationItem], item_id: str) -> RectificationItem:
    item = items.get((item_id or "").strip())
    if item is None:
        raise NotFound("RECTIFICATION_NOT_FOUND", f"没有编号为 {item_id} 的整改事项", "item_id")
    return item


def _not_in_future(day: date, today: date, label: str) -> None:
    if day > today:
        raise InvalidValue("DATE_IN_FUTURE", f"{label} {day} 晚于登记日期", "occurred_on")


# ---------------------------------------------------------------------- lists and counts


def items_on(
    items: Iterable[RectificationItem], day: date, *, township: str | None = None,
    department: Department | None = None, status: RectificationStatus | None = None,
) -> list[RectificationItem]:
    """The items ordered by ``day`` (of one township or department, in one status on ``day``),
    by unit, deadline and id."""
    found = [i for i in items if i.ordered_on <= day
             and (township is None or i.township == township)
             and (department is None or i.department == department)
             and (status is None or i.status_on(day) is status)]
    return sorted(found, key=lambda i: (i.unit_level != "township", i.unit, i.deadline, i.item_id))


def count_by_unit(items: Iterable[RectificationItem], day: date) -> list[UnitCount]:
    """Each responsible unit's items on ``day`` by status, the most overdue first."""
    by_unit: dict[tuple[str, str], list[RectificationStatus]] = {}
    for item in items:
        if item.ordered_on <= day:
            by_unit.setdefault((item.unit_level, item.unit), []).append(item.status_on(day))
    counts = [UnitCount(level, unit, len(statuses), *(statuses.count(s) for s in (
        RectificationStatus.DONE, RectificationStatus.DONE_LATE, RectificationStatus.OVERDUE,
        RectificationStatus.PENDING))) for (level, unit), statuses in by_unit.items()]
    return sorted(counts, key=lambda c: (-c.overdue, -c.done_late, c.level != "township", c.unit))
