"""``fangpin list`` (the lists and queues, page by page) and ``fangpin export`` (one as .xlsx)."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date
from typing import Any

import msgspec

from application.app import CaseFiles
from application.push_book import BATCH_LIST_TITLE
from application.pushes import with_receipts
from application.workbooks import display_width
from domain.deadlines import IDENTIFICATION_DAYS, MEASURE_WITHIN_DAYS
from domain.identity import mask_id_number
from interfaces.cli.common import cli_reader
from interfaces.cli.exchange import add_exchange_options, export_exchange
from interfaces.cli.progress import add_quiet, counted, progress_bar
from interfaces.exports import EXPORTS, pages, text_value
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
    "ledger": BATCH_LIST_TITLE,
    "households": "农户目录",
}
#: The batch list's columns on the command line (its rows: `projections.tables.LedgerRow`).
LEDGER_COLUMNS = (("department", "部门"), ("batch_id", "批次号"), ("tier", "层级"), ("period", "期次"),
                  ("received", "条数"), ("new_cases", "新案件"), ("joined_cases", "并入案件"),
                  ("duplicates", "重复"), ("rejected", "拒收"), ("state", "状态"),
                  ("received_at", "接收时间"))
EXPORT_NAMES = ("monitoring", "cases", "overdue", "green-channel", "visits-due", "measures-missing",
                "households", "appeals", "exchange")


def add_list(commands: Any) -> None:
    lists = commands.add_parser("list", help="read the lists (monitoring, cases, overdue…)")
    lists.add_argument("which", choices=sorted(LISTS))
    lists.add_argument("--township")
    lists.add_argument("--village")
    lists.add_argument("--category")
    lists.add_argument("--grid-worker", help="网格员姓名：只列其现在负责的农户（monitoring, "
                       "visits-due, households）")
    lists.add_argument("--as-of", type=date.fromisoformat, help="monitoring list on a past day")
    lists.add_argument("--today", type=date.fromisoformat, help="the day to count deadlines from")
    lists.add_argument("--limit", type=int, default=20)
    lists.add_argument("--after", help="cursor of the previous page")
    add_format(lists)
    lists.set_defaults(run=_list)


def add_export(commands: Any) -> None:
    export = commands.add_parser("export", help="a list as an .xlsx workbook (Chinese headers), or "
                                                "an exchange export as a mapping file says")
    export.add_argument("which", choices=sorted(EXPORT_NAMES))
    export.add_argument("--township")
    export.add_argument("--village")
    export.add_argument("--category")
    export.add_argument("--grid-worker", help="网格员姓名：只导出其现在负责的农户")
    export.add_argument("--output", help="default: fangpin-<list>.xlsx")
    add_exchange_options(export)
    add_quiet(export)
    export.set_defaults(run=_export)


def _list(app: CaseFiles, args: argparse.Namespace) -> int:
    day = args.today or app.today()
    with Projections(app) as projections:
        projections.catch_up()
        views = ReadModels(projections.store, app.clock)
        filters = {"township": args.township, "village": args.village}
        if args.which == "ledger":
            rows = with_receipts(app, views.push_ledger())
            show_rows(rows, LEDGER_COLUMNS, args.format, f"{LISTS['ledger']}：{len(rows)} 批")
            return 0
        if args.format != "table":  # a script gets every row of the list, not a page
            rows = list(pages(views, args.which, township=args.township, village=args.village,
                              category=args.category, grid_worker=args.grid_worker, today=day,
                              held=app.unmatched_alerts()))
            print_rows(rows, EXPORTS[args.which][1], args.format)
            return 0
        page_args = {"limit": args.limit, "after": args.after}
        if args.which == "monitoring":
            page = views.monitoring_list(category=args.category, as_of=args.as_of,
                                         grid_worker=args.grid_worker, today=day, **filters,
                                         **page_args)
        elif args.which in ("cases", "overdue", "green-channel"):
            page = views.case_queue(overdue=args.which == "overdue",
                                    green_channel_owed=args.which == "green-channel",
                                    today=day, **filters, **page_args)
        elif args.which == "visits-due":
            page = views.visits_due(month=day, grid_worker=args.grid_worker, **filters,
                                    **page_args)
        elif args.which == "measures-missing":
            page = views.measures_missing(today=day, **filters, **page_args)
        else:
            page = views.directory(grid_worker=args.grid_worker, **filters, **page_args)
    print(f"{LISTS[args.which]}：共 {page.total} 条")
    print(table(page.rows, EXPORTS[args.which][1]))
    if page.after:
        print(f"下一页：--after {page.after}")
    if args.which == "overdue" and not args.after:
        held = overdue_unmatched(app.unmatched_alerts(), COUNTY, day,
                                 township=views.name_match(COUNTY, "township", args.township),
                                 village=views.name_match(COUNTY, "village", args.village))
        if held:
            print(f"另有未匹配预警超过{IDENTIFICATION_DAYS}天未认领：{len(held)} 条"
                  "（fangpin unmatched attach 认领）")
        for alert in held:
            print(f"  {alert.alert_id}  {alert.township or '未指明乡镇'}  {alert.village or ''}  "
                  f"{mask_id_number(alert.person_id_number)}  发现 {alert.discovered_on}  "
                  f"应认定 {alert.identification_deadline}  超期 {alert.days_overdue(day)} 天")
    return 0


def table(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> str:
    """Rows under their Chinese headers, aligned however wide their characters (a CJK character
    takes two columns of a terminal); only the columns the rows have, empty ones left out."""
    shown = [(key, title) for key, title in columns
             if any(row.get(key) not in (None, "", [], ()) for row in rows)] or list(columns)
    cells = [[title for _, title in shown]] + [[text_value(row.get(key)) for key, _ in shown]
                                              for row in rows]
    widths = [max(display_width(line[i]) for line in cells) for i in range(len(shown))]
    return "\n".join("  " + "  ".join(value + " " * (widths[i] - display_width(value))
                                       for i, value in enumerate(line)).rstrip()
                      for line in cells)


FORMATS = ("table", "csv", "json")


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = FORMATS) -> None:
    """The ``--format`` of every command that prints rows."""
    parser.add_argument("--format", choices=choices, default="table",
                        help="table (aligned, with headers), csv or json (for scripts)")


def show_rows(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...], form: str,
              title: str = "") -> None:
    """Rows as ``--format`` asks: a title and the aligned table, or CSV / JSON for a script."""
    if form != "table":
        print_rows(rows, columns, form)
        return
    if title:
        print(title)
    if rows:
        print(table(rows, columns))


def print_rows(rows: list[dict[str, Any]], columns: tuple[tuple[str, str], ...], form: str) -> None:
    """Rows for a script: CSV under the Chinese headers, or JSON objects by field name."""
    if form == "json":
        print(msgspec.json.encode(rows).decode())
        return
    out = csv.writer(sys.stdout)
    out.writerow([title for _, title in columns])
    for row in rows:
        out.writerow([text_value(row.get(key)) for key, _ in columns])


def _export(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.accounts.access_log import AccessLog
    from interfaces.exports import logged, workbook

    if args.which == "exchange":
        return export_exchange(app, args)

    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    with Projections(app) as projections, progress_bar(args, f"导出{EXPORTS[args.which][0]}") as tick:
        projections.catch_up()
        rows = pages(ReadModels(projections.store, app.clock), args.which, township=args.township,
                     village=args.village, category=args.category,
                     grid_worker=args.grid_worker, today=app.today(), held=app.unmatched_alerts())
        content = workbook(args.which, counted(
            logged(rows, log, cli_reader(), f"cli:export {args.which}"), tick))
    path = args.output or f"fangpin-{args.which}.xlsx"
    with open(path, "wb") as out:
        out.write(content)
    print(f"已写入 {path}：{EXPORTS[args.which][0]}")
    return 0
