"""My work (issue 18 item 3): ``GET /api/me/tasks`` — what the signed-in person owes, by
deadline, counted by urgency — and their notifications, read and unread
(``GET /api/me/notifications``, ``POST /api/me/notifications/read``). The tasks and
notifications are `application.tasks`; the read marks live beside the log."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromQuery, JSONBody

from application.tasks import MyWork, Notification, Task, TaskKind, Urgency, counts
from domain.deadlines import days_until
from domain.errors import InvalidValue
from interfaces.http.auth import area_of
from interfaces.http.problems import PROBLEMS
from interfaces.http.queries import After, caught_up
from interfaces.http.schemas import me as s


def _read(path: str, summary: str) -> Any:
    return get(path, opt={"read": "my_work"}, summary=summary, sync_to_thread=True,
               responses=PROBLEMS, tags=["我的待办"])


def task_out(task: Task, today: Any) -> s.TaskOut:
    return s.TaskOut(
        key=task.key, kind=task.kind, what=task.what, subject=task.subject, name=task.name,
        deadline=task.deadline,
        days_left=days_until(task.deadline, today) if task.deadline else None,
        urgency=task.urgency(today), path=task.path, link=task.link, township=task.township,
        village=task.village, landed_on=task.landed_on)


def notification_out(n: Notification) -> s.NotificationOut:
    return s.NotificationOut(key=n.key, text=n.text, on=n.on, unread=n.unread, kind=n.task.kind,
                             subject=n.task.subject, path=n.task.path, link=n.task.link)


@_read("/api/me/tasks", "我的待办：按期限排序，按超期、3 天内到期、以后计数")
def tasks(request: Request, kind: FromQuery[TaskKind | None] = None,
          urgency: FromQuery[Urgency | None] = None, after: After = None) -> s.TasksOut:
    caught_up(request, after)
    work: MyWork = request.app.state.my_work
    user, area, today = request.user, area_of(request.user), work.today()
    found = work.tasks(user, area)
    counted = counts(found, today)
    shown = [t for t in found if (kind is None or t.kind is kind)
             and (urgency is None or t.urgency(today) is urgency)]
    return s.TasksOut(
        user=user.name, today=today, grid_worker=work.grid_worker(user),
        counts=s.UrgencyCounts(**{u.value: n for u, n in counted.items()}), total=len(found),
        unread=work.unread(user, area), tasks=[task_out(t, today) for t in shown])


@_read("/api/me/notifications", "我的通知：新到案头的事项和明天到期的事项，未读在前")
def notifications(request: Request, after: After = None) -> s.NotificationsOut:
    caught_up(request, after)
    found = request.app.state.my_work.notifications(request.user, area_of(request.user))
    return s.NotificationsOut(unread=sum(1 for n in found if n.unread),
                              notifications=[notification_out(n) for n in found])


@post("/api/me/notifications/read", opt={"read": "my_work"}, sync_to_thread=True,
      responses=PROBLEMS, status_code=200, summary="把通知标为已读（按 keys，或 all: true）",
      tags=["我的待办"])
def mark_read(request: Request, data: JSONBody[s.MarkReadIn]) -> s.MarkReadOut:
    if data.all and data.keys is not None:
        raise InvalidValue("KEYS_WITH_ALL", "keys 与 all 只能给出其一", "keys")
    work: MyWork = request.app.state.my_work
    user, area = request.user, area_of(request.user)
    marked = work.mark_read(user, area, None if data.all else (data.keys or []))
    return s.MarkReadOut(marked=marked, unread=work.unread(user, area))


HANDLERS = [tasks, notifications, mark_read]
