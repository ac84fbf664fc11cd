"""``fangpin list`` (the lists and queues, page by page) and ``fangpin export`` (one as .xlsx)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from application.app import CaseFiles
from domain.deadlines import IDENTIFICATION_DAYS, MEASURE_WITHIN_DAYS
from domain.household import STEP_NAMES
from domain.identity import mask_id_number
from interfaces.cli.common import plain
from interfaces.overdue import overdue_unmatched
from projections.queries import COUNTY, ReadModels
from projections.runner import Projections

LISTS = {
    "monitoring": "监测对象名单",
    "cases": "案件队列",
    "overdue": f"超过{IDENTIFICATION_DAYS}天未认定的案件",
    "green-channel": "绿色通道待补办程序",
    "visits-due": "本月未走访",
    "measures-missing": f"认定{MEASURE_WITHIN_DAYS}天未落实帮扶措施",
    "ledger": "部门推送台账",
    "households": "农户目录",
}
EXPORT_NAMES = ("monitoring", "cases", "overdue", "green-channel", "visits-due", "measures-missing",
                "households")


def add_list(commands: Any) -> None:
    lists = commands.add_parser("list", help="read the lists (monitoring, cases, overdue…)")
    lists.add_argument("which", choices=sorted(LISTS))
    lists.add_argument("--township")
    lists.add_argument("--village")
    lists.add_argument("--category")
    lists.add_argument("--as-of", type=date.fromisoformat, help="monitoring list on a past day")
    lists.add_argument("--today", type=date.fromisoformat, help="the day to count deadlines from")
    lists.add_argument("--limit", type=int, default=20)
    lists.add_argument("--after", help="cursor of the previous page")
    lists.set_defaults(run=_list)


def add_export(commands: Any) -> None:
    export = commands.add_parser("export", help="a list as an .xlsx workbook (Chinese headers)")
    export.add_argument("which", choices=sorted(EXPORT_NAMES))
    export.add_argument("--township")
    export.add_argument("--village")
    export.add_argument("--category")
    export.add_argument("--output", help="default: fangpin-<list>.xlsx")
    export.set_defaults(run=_export)


def _list(app: CaseFiles, args: argparse.Namespace) -> int:
    day = args.today or app.today()
    with Projections(app) as projections:
        projections.catch_up()
        views = ReadModels(projections.store, app.clock)
        filters = {"township": args.township, "village": args.village}
        if args.which == "ledger":
            rows = views.push_ledger()
            print(f"{LISTS['ledger']}：{len(rows)} 批")
            for row in rows:
                print(f"  {row['department']} {row['batch_id']} 收到 {row['received']} "
                      f"新案件 {row['new_cases']} 并入 {row['joined_cases']} 重复 {row['duplicates']}")
            return 0
        page_args = {"limit": args.limit, "after": args.after}
        if args.which == "monitoring":
            page = views.monitoring_list(category=args.category, as_of=args.as_of,
                                         today=day, **filters, **page_args)
        elif args.which in ("cases", "overdue", "green-channel"):
            page = views.case_queue(overdue=args.which == "overdue",
                                    green_channel_owed=args.which == "green-channel",
                                    today=day, **filters, **page_args)
        elif args.which == "visits-due":
            page = views.visits_due(month=day, **page_args)
        elif args.which == "measures-missing":
            page = views.measures_missing(today=day, **page_args)
        else:
            page = views.directory(**filters, **page_args)
    print(f"{LISTS[args.which]}：共 {page.total} 条")
    for row in page.rows:
        print("  " + "  ".join(_cell(row, column) for column in _LIST_COLUMNS if column in row))
    if page.after:
        print(f"下一页：--after {page.after}")
    if args.which == "overdue" and not args.after:
        held = overdue_unmatched(app.unmatched_alerts(), COUNTY, day, township=args.township,
                                 village=args.village)
        if held:
            print(f"另有未匹配预警超过{IDENTIFICATION_DAYS}天未认领：{len(held)} 条"
                  "（fangpin unmatched attach 认领）")
        for alert in held:
            print(f"  {alert.alert_id}  {alert.township or '未指明乡镇'}  {alert.village or ''}  "
                  f"{mask_id_number(alert.person_id_number)}  发现 {alert.discovered_on}  "
                  f"应认定 {alert.identification_deadline}  超期 {alert.days_overdue(day)} 天")
    return 0


_LIST_COLUMNS = (
    "code", "township", "village", "head_name", "category", "risk_types", "stage",
    "included_on", "from_on", "to_on", "days_in_monitoring", "visited_this_month",
    "discovered_on", "deadline_on", "days_left", "days_overdue", "pending_steps", "owed_steps",
    "last_visit_on",
    "household_type",
)


def _cell(row: dict, column: str) -> str:
    value = row[column]
    if isinstance(value, bool):
        return {"visited_this_month": "本月已走访" if value else "本月未走访"}.get(column, str(value))
    if column == "days_overdue":
        return f"超期{value}天" if value else ""
    if column == "days_left":
        return f"剩余{value}天" if value else ""
    if column == "owed_steps":
        return "绿色通道待补办：" + "、".join(STEP_NAMES[step] for step in value) if value else ""
    if column == "pending_steps":
        return "待完成：" + "、".join(STEP_NAMES[step] for step in value) if value else ""
    return plain(value) if value not in (None, "", []) else "—"


def _export(app: CaseFiles, args: argparse.Namespace) -> int:
    from interfaces.exports import EXPORTS, pages, workbook

    with Projections(app) as projections:
        projections.catch_up()
        rows = pages(ReadModels(projections.store, app.clock), args.which, township=args.township,
                     village=args.village, category=args.category, today=app.today(),
                     held=app.unmatched_alerts())
        content = workbook(args.which, rows)
    path = args.output or f"fangpin-{args.which}.xlsx"
    with open(path, "wb") as out:
        out.write(content)
    print(f"已写入 {path}：{EXPORTS[args.which][0]}")
    return 0
