"""``fangpin staff grid-worker|helper assign|change|end CODE``: a household's 网格员 and 帮扶责任人
(§七), by the household's own commands (`application.commands.staff`), as the county centre."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from application.app import CaseFiles
from application.commands import (
    AssignGridWorker,
    AssignHelper,
    ChangeGridWorker,
    ChangeHelper,
    EndGridWorker,
    EndHelper,
    HouseholdCommand,
)
from application.unit_of_work import retrying
from interfaces.cli.common import CLI_USER


def add_staff(commands: Any) -> None:
    staff = commands.add_parser("staff", help="a household's 网格员 (grid worker) and 帮扶责任人 (helper)")
    duties = staff.add_subparsers(title="duties")
    for duty, title in (("grid-worker", "网格员"), ("helper", "帮扶责任人")):
        parser = duties.add_parser(duty, help=f"assign, change or end a household's {title}")
        actions = parser.add_subparsers(title="actions")
        for action in ("assign", "change", "end"):
            sub = actions.add_parser(action, help=f"{action} the {title}")
            sub.add_argument("code", help="户编号")
            if action != "end":
                sub.add_argument("--name", required=True, help=f"{title}姓名")
                sub.add_argument("--phone", required=True, help="11位手机号或带区号的固定电话")
                if duty == "helper":
                    sub.add_argument("--unit", required=True, help="工作单位")
            sub.add_argument("--reason", default="", help="更换原因（change 必填）/ 结束原因")
            sub.add_argument("--on", type=date.fromisoformat,
                             help="自该日起（YYYY-MM-DD；默认今天）")
            sub.set_defaults(run=_run, duty=duty, action=action)


def command_of(args: argparse.Namespace, day: date) -> HouseholdCommand:
    """The household command the arguments name."""
    if args.duty == "grid-worker":
        if args.action == "assign":
            return AssignGridWorker(worker_name=args.name, phone=args.phone, occurred_on=day)
        if args.action == "change":
            return ChangeGridWorker(worker_name=args.name, phone=args.phone, reason=args.reason,
                                    occurred_on=day)
        return EndGridWorker(reason=args.reason, occurred_on=day)
    if args.action == "assign":
        return AssignHelper(helper_name=args.name, unit=args.unit, phone=args.phone, occurred_on=day)
    if args.action == "change":
        return ChangeHelper(helper_name=args.name, unit=args.unit, phone=args.phone,
                            reason=args.reason, occurred_on=day)
    return EndHelper(reason=args.reason, occurred_on=day)


def _run(app: CaseFiles, args: argparse.Namespace) -> int:
    command = command_of(args, args.on or app.today())
    result = retrying(lambda: app.execute(args.code, command, by=CLI_USER))
    household = app.household(args.code)
    person = household.grid_worker if args.duty == "grid-worker" else household.helper
    now = f"{person.name}（{person.unit + '，' if person.unit else ''}{person.phone}）" if person \
        else "无"
    title = "网格员" if args.duty == "grid-worker" else "帮扶责任人"
    print(f"已记录：农户 {args.code} 的{title}现为 {now}"
          f"（版本 {result.version}，日志位置 {result.position}）")
    return 0
