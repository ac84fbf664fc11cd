"""``fangpin income-line set|show``: the county's income monitoring line, year by year."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from application.app import CaseFiles
from interfaces.cli.common import CLI_USER, moment, money


def add_income_line(commands: Any) -> None:
    line = commands.add_parser("income-line", help="the county's income monitoring line")
    line_commands = line.add_subparsers(title="income-line commands")
    set_line = line_commands.add_parser("set", help="set a year's line (yuan per capita)")
    set_line.add_argument("year", type=int)
    set_line.add_argument("yuan", type=money)
    set_line.add_argument("--effective-from", type=date.fromisoformat)
    set_line.add_argument("--reason", default="")
    set_line.set_defaults(run=_set_line)
    show_line = line_commands.add_parser("show", help="the line in force on a day")
    show_line.add_argument("--on", type=date.fromisoformat, default=None)
    show_line.add_argument("--as-of", type=moment)
    show_line.set_defaults(run=_show_line)


def _set_line(app: CaseFiles, args: argparse.Namespace) -> int:
    result = app.set_income_line(
        year=args.year, yuan_per_capita=args.yuan, effective_from=args.effective_from,
        reason=args.reason, occurred_on=app.today(), by=CLI_USER,
    )
    print(f"{args.year} 年收入监测标准 {args.yuan} 元/人·年（日志位置 {result.position}）")
    return 0


def _show_line(app: CaseFiles, args: argparse.Namespace) -> int:
    day = args.on or app.today()
    line = app.income_line_on(day, as_of=args.as_of)
    print(f"{day} 收入监测标准：{line if line is not None else '未设置'}")
    return 0 if line is not None else 1
