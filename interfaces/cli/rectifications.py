"""``fangpin rectifications list``: the rectification items (限期整改, domain.md §10) with their
status today, and each responsible unit's count of overdue ones."""

from __future__ import annotations

import argparse
from typing import Any

from application.app import CaseFiles
from domain.governance import RectificationStatus, count_by_unit, items_on
from interfaces.cli.common import department


def add_rectifications(commands: Any) -> None:
    group = commands.add_parser("rectifications", help="rectification items (限期整改): status, overdue")
    group_commands = group.add_subparsers(title="rectifications")
    listing = group_commands.add_parser("list", help="the items with their status today, counted per unit")
    listing.add_argument("--overdue", action="store_true", help="only those overdue (逾期未完成)")
    unit = listing.add_mutually_exclusive_group()
    unit.add_argument("--township", help="one township's items")
    unit.add_argument("--department", type=department, help="one department's items")
    listing.set_defaults(run=_list)


def _list(app: CaseFiles, args: argparse.Namespace) -> int:
    governance = app.governance()
    today = app.today()
    items = items_on(governance.rectifications.values() if governance else [], today,
                     township=args.township, department=args.department)
    shown = [i for i in items if not args.overdue or i.status_on(today) is RectificationStatus.OVERDUE]
    overdue = sum(i.status_on(today) is RectificationStatus.OVERDUE for i in items)
    print(f"限期整改事项 {len(items)} 项（{today}），逾期未完成 {overdue} 项"
          + ("；以下只列逾期未完成的" if args.overdue else ""))
    for i in shown:
        status = i.status_on(today)
        late = f" 逾期{i.days_overdue(today)}天" if i.days_overdue(today) else ""
        done = f" 完成于 {i.completed_on}：{i.what_was_done}" if i.completed_on else ""
        extended = f"（已延期{len(i.extensions)}次）" if i.extensions else ""
        print(f"{i.item_id}  {i.unit}  {status}{late}  时限 {i.deadline}{extended}  来源 {i.source}  "
              f"{i.problem}{done}")
    if items:
        print("各责任单位：")
        for c in count_by_unit(items, today):
            print(f"  {c.unit}  共{c.items}项  逾期未完成 {c.overdue}  逾期完成 {c.done_late}  "
                  f"已完成 {c.done}  未到期 {c.pending}")
    return 0
