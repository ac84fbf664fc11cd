"""``fangpin pushes book``: 推送台账 as people read it — per department and push period, what was
due, what arrived (county and province apart), rows by outcome and the receipt's time. (The
batch list, each batch's alerts followed to the households, is ``fangpin list ledger``.)"""

from __future__ import annotations

import argparse
from typing import Any

import msgspec

from application.app import CaseFiles
from application.indicators import Scope
from application.push_book import BOOK_COLUMNS, BOOK_TITLE, book_rows, push_book
from interfaces.cli.common import clear_progress, department
from interfaces.cli.indicators import indicator_service
from interfaces.cli.lists import add_format, show_rows
from projections.runner import Projections


def add_pushes(commands: Any) -> None:
    pushes = commands.add_parser("pushes", help="the departments' pushes")
    sub = pushes.add_subparsers(dest="pushes_command", required=True, title="pushes commands")
    book = sub.add_parser("book", help=f"{BOOK_TITLE}: per department and period, due and arrived")
    book.add_argument("--period", help="2025, 2025-Q1 or 2025-03 (default: this month)")
    book.add_argument("--department", type=department, help="one department's lines")
    add_format(book)
    book.set_defaults(run=_book)


def _book(app: CaseFiles, args: argparse.Namespace) -> int:
    period = args.period or f"{app.today():%Y-%m}"
    scope = Scope("department", args.department.value) if args.department else Scope()
    with Projections(app) as projections:
        projections.catch_up()
        result = indicator_service(app, projections).compute(period, scope=scope)
        clear_progress()
    rows = [msgspec.structs.asdict(row) for row in book_rows(push_book(result))]
    show_rows(rows, BOOK_COLUMNS, args.format,
              f"{BOOK_TITLE}（{result.period.label}）：{len(rows)} 行；情况按推送频次表判定，"
              "省级推送另列，不计入本县部门；接收时间为北京时间")
    return 0
