"""``fangpin income-line set|show`` and ``fangpin poverty-line set|show``: the county's income
monitoring line (收入监测标准) and poverty line (扶贫标准), year by year."""

from __future__ import annotations

import argparse
from datetime import date
from functools import partial
from typing import Any

from application.app import CaseFiles
from domain.policy import Line
from interfaces.cli.common import CLI_USER, moment, money

#: The command name of each line.
COMMANDS = {Line.MONITORING: "income-line", Line.POVERTY: "poverty-line"}
HELP = {Line.MONITORING: "the county's income monitoring line (收入监测标准)",
        Line.POVERTY: "the county's poverty line (扶贫标准), below the monitoring line"}


def add_income_line(commands: Any) -> None:
    for line, name in COMMANDS.items():
        parser = commands.add_parser(name, help=HELP[line])
        line_commands = parser.add_subparsers(title=f"{name} commands")
        set_line = line_commands.add_parser("set", help="set a year's line (yuan per capita)")
        set_line.add_argument("year", type=int)
        set_line.add_argument("yuan", type=money)
        set_line.add_argument("--effective-from", type=date.fromisoformat)
        set_line.add_argument("--reason", default="")
        set_line.set_defaults(run=partial(_set_line, line=line))
        show_line = line_commands.add_parser("show", help="the line in force on a day")
        show_line.add_argument("--on", type=date.fromisoformat, default=None)
        show_line.add_argument("--as-of", type=moment)
        show_line.set_defaults(run=partial(_show_line, line=line))


def _set_line(app: CaseFiles, args: argparse.Namespace, *, line: Line) -> int:
    result = app.set_income_line(
        year=args.year, yuan_per_capita=args.yuan, effective_from=args.effective_from,
        reason=args.reason, occurred_on=app.today(), by=CLI_USER, line=line,
    )
    print(f"{args.year} 年{line.value} {args.yuan} 元/人·年（日志位置 {result.position}）")
    return 0


def _show_line(app: CaseFiles, args: argparse.Namespace, *, line: Line) -> int:
    day = args.on or app.today()
    yuan = app.income_line_on(day, as_of=args.as_of, line=line)
    print(f"{day} {line.value}：{yuan if yuan is not None else '未设置'}")
    return 0 if yuan is not None else 1
