"""``fangpin rectifications list``: the rectification items (限期整改, domain.md §10) with their
status today, and each responsible unit's count of overdue ones."""

from __future__ import annotations

import argparse
from typing import Any

from application.app import CaseFiles
from domain.governance import RectificationStatus, count_by_unit, items_on
from interfaces.cli.common import department
from interfaces.cli.lists import add_format, show_rows


def add_rectifications(commands: Any) -> None:
    group = commands.add_parser("rectifications", help="rectification items (限期整改): status, overdue")
    group_commands = group.add_subparsers(title="rectifications")
    listing = group_commands.add_parser("list", help="the items with their status today, counted per unit")
    listing.add_argument("--overdue", action="store_true", help="only those overdue (逾期未完成)")
    unit = listing.add_mutually_exclusive_group()
    unit.add_argument("--township", help="one township's items")
    unit.add_argument("--department", type=department, help="one department's items")
    add_format(listing)
    listing.set_defaults(run=_list)


#: The items' columns (csv and json: one row per item; the table adds the count per unit).
COLUMNS = (("item_id", "编号"), ("unit", "责任单位"), ("status", "状态"), ("days_overdue", "逾期天数"),
           ("deadline", "时限"), ("extensions", "延期次数"), ("source", "来源"), ("problem", "问题"),
           ("completed_on", "完成日期"), ("what_was_done", "整改情况"))
UNIT_COLUMNS = (("unit", "责任单位"), ("items", "共计"), ("overdue", "逾期未完成"),
                ("done_late", "逾期完成"), ("done", "已完成"), ("pending", "未到期"))


def _list(app: CaseFiles, args: argparse.Namespace) -> int:
    governance = app.governance()
    today = app.today()
    items = items_on(governance.rectifications.values() if governance else [], today,
                     township=args.township, department=args.department)
    shown = [i for i in items if not args.overdue or i.status_on(today) is RectificationStatus.OVERDUE]
    overdue = sum(i.status_on(today) is RectificationStatus.OVERDUE for i in items)
    rows = [{"item_id": i.item_id, "unit": i.unit, "status": i.status_on(today).value,
             "days_overdue": i.days_overdue(today) or None, "deadline": i.deadline,
             "extensions": len(i.extensions) or None, "source": i.source, "problem": i.problem,
             "completed_on": i.completed_on, "what_was_done": i.what_was_done or None}
            for i in shown]
    show_rows(rows, COLUMNS, args.format,
              f"限期整改事项 {len(items)} 项（{today}），逾期未完成 {overdue} 项"
              + ("；以下只列逾期未完成的" if args.overdue else ""))
    if items and args.format == "table":
        print("各责任单位：")
        show_rows([vars(c) for c in count_by_unit(items, today)], UNIT_COLUMNS, "table")
    return 0
