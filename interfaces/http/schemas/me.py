"""My work: the signed-in person's tasks and notifications (`interfaces.http.me`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct

from application.tasks import TaskKind, Urgency


class TaskOut(Struct):
    """One thing to do: what, on which household or item, by when, and where."""

    key: str
    kind: TaskKind
    what: str
    subject: Annotated[str, Meta(description="户编号、整改事项编号、申报编号或推送职责序号")]
    name: Annotated[str, Meta(description="户主姓名、申报人、问题来源或推送职责")]
    deadline: date | None
    days_left: Annotated[int | None, Meta(description="距期限天数，已超期为负数")]
    urgency: Urgency
    path: Annotated[str, Meta(description="办理此事的接口路径")]
    link: Annotated[str, Meta(description="工作台上办理此事的页面")]
    township: str | None
    village: str | None
    landed_on: date | None


class UrgencyCounts(Struct):
    overdue: int
    soon: Annotated[int, Meta(description="3 天内到期（含今天）")]
    later: int


class TasksOut(Struct):
    user: str
    today: date
    grid_worker: Annotated[str | None, Meta(
        description="村联络站用户所关联的网格员姓名（fangpin users link）；未关联则列全村的走访")]
    counts: UrgencyCounts
    total: int
    unread: int
    tasks: list[TaskOut]


class NotificationOut(Struct):
    key: str
    text: str
    on: date
    unread: bool
    kind: TaskKind
    subject: str
    path: str
    link: str


class NotificationsOut(Struct):
    unread: int
    notifications: list[NotificationOut]


class MarkReadIn(Struct, forbid_unknown_fields=True):
    """The notifications to mark read, by key; or ``all``."""

    keys: Annotated[list[Annotated[str, Meta(min_length=1, max_length=200)]],
                    Meta(max_length=1000)] | None = None
    all: bool = False


class MarkReadOut(Struct):
    marked: int
    unread: int
