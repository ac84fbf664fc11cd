"""``fangpin appeals list``: the appeals (异议与申诉) by the day their answer is due — open ones by
default, ``--all`` for every one — with the columns of ``GET /api/appeals`` and of the export
(`interfaces.exports.EXPORTS["appeals"]`)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from application.app import CaseFiles
from domain.codes import Role
from interfaces.cli.lists import print_rows, table
from interfaces.exports import EXPORTS
from projections.queries import ReadModels
from projections.runner import Projections


def add_appeals(commands: Any) -> None:
    appeals = commands.add_parser("appeals", help="the appeals to answer (异议与申诉)")
    actions = appeals.add_subparsers(title="actions", required=True)
    listing = actions.add_parser("list", help="open appeals by deadline (--all: every one)")
    listing.add_argument("--all", action="store_true", help="answered ones too")
    listing.add_argument("--overdue", action="store_true", help="only open ones past the deadline")
    listing.add_argument("--deciding-role", choices=[r.value for r in (
        Role.VILLAGE_LIAISON, Role.TOWNSHIP_WORKSTATION, Role.COUNTY_CENTRE)],
        help="the unit that decided, which answers")
    listing.add_argument("--township")
    listing.add_argument("--village")
    listing.add_argument("--today", type=date.fromisoformat, help="the day to count deadlines from")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--after", help="cursor of the previous page")
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    listing.set_defaults(run=_list)


def _list(app: CaseFiles, args: argparse.Namespace) -> int:
    title, columns = EXPORTS["appeals"]
    status = "all" if args.all else "open"
    with Projections(app) as projections:
        projections.catch_up()
        views = ReadModels(projections.store, app.clock)
        query = {"status": status, "township": args.township, "village": args.village,
                 "overdue": args.overdue, "deciding_role": args.deciding_role,
                 "today": args.today or app.today()}
        if args.format != "table":  # a script gets every row, not a page
            print_rows(_every(views, query), columns, args.format)
            return 0
        page = views.appeals(**query, limit=args.limit, after=args.after)
    print(f"{title}（{'全部' if args.all else '未答复'}）：共 {page.total} 条")
    print(table(page.rows, columns))
    if page.after:
        print(f"下一页：--after {page.after}")
    return 0


def _every(views: ReadModels, query: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    after = None
    while True:
        page = views.appeals(**query, after=after, limit=500)
        rows += page.rows
        if not (after := page.after):
            return rows
