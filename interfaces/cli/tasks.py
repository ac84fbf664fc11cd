"""``fangpin tasks --as USER``: a person's work on the command line — what they owe by deadline,
counted by urgency, and their unread notifications (`application.tasks`, as
``GET /api/me/tasks`` gives them). Reading marks nothing read."""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from application.accounts.desk_marks import DeskMarks
from application.app import CaseFiles
from application.tasks import Desk, MyWork, TaskKind, Urgency, counts
from interfaces.cli.common import users
from interfaces.cli.indicators import indicator_service
from interfaces.cli.lists import add_format, print_rows, table
from interfaces.http.auth import area_of
from interfaces.http.me import notification_out, task_out
from projections.queries import ReadModels
from projections.runner import Projections

COLUMNS = (("deadline", "期限"), ("days_left", "剩余天数"), ("kind", "类别"), ("what", "待办"),
           ("subject", "户编号/事项"), ("name", "户主/名称"), ("village", "行政村"), ("path", "接口"))
URGENCY_NAMES = {Urgency.OVERDUE: "已超期", Urgency.SOON: "3天内到期", Urgency.LATER: "以后"}


def add_tasks(commands: Any) -> None:
    tasks = commands.add_parser("tasks", help="a person's work: tasks by deadline, notifications")
    tasks.add_argument("--as", dest="user", required=True, help="the user whose desk to show")
    tasks.add_argument("--kind", choices=[k.value for k in TaskKind])
    add_format(tasks)
    tasks.set_defaults(run=_tasks)


def _tasks(app: CaseFiles, args: argparse.Namespace) -> int:
    accounts = users(app)
    user = accounts.get(args.user)  # USER_NOT_FOUND, naming the field
    area = area_of(user)
    with Projections(app) as projections:
        projections.catch_up()
        work = MyWork(Desk(ReadModels(projections.store, app.clock), app,
                           indicator_service(app, projections)),
                      DeskMarks(accounts), lambda: app.max_position())
        today = app.today()
        found = work.tasks(user, area)
        unread = [n for n in work.notifications(user, area) if n.unread]
    counted = counts(found, today)
    shown = [task_out(t, today) for t in found if args.kind is None or t.kind == args.kind]
    if args.format == "csv":  # the tasks alone, for a script
        print_rows([msgspec.structs.asdict(t) for t in shown], COLUMNS, "csv")
        return 0
    if args.format == "json":
        print(msgspec.json.encode({
            "user": user.name, "today": today, "grid_worker": work.grid_worker(user),
            "counts": {u.value: n for u, n in counted.items()}, "tasks": shown,
            "unread": [notification_out(n) for n in unread]}).decode())
        return 0
    worker = work.grid_worker(user)
    print(f"{user.name} 的待办（{today}）：共 {len(found)} 件 — "
          + "，".join(f"{URGENCY_NAMES[u]} {n}" for u, n in counted.items())
          + (f"；网格员：{worker}" if worker else ""))
    if shown:
        print(table([msgspec.structs.asdict(t) for t in shown], COLUMNS))
    if unread:
        print(f"\n未读通知 {len(unread)} 条：")
        for n in unread:
            print(f"  {n.on} {n.text}")
    return 0
