"""``fangpin report monthly|quarterly|annual``: the monthly consultation and quarterly dispatch
reports, and the annual assessment (年考核评估)."""

from __future__ import annotations

import argparse
from typing import Any

from application.app import CaseFiles
from interfaces.cli.common import as_of, clear_progress, write
from interfaces.cli.indicators import indicator_service
from interfaces.cli.progress import add_quiet, progress_bar
from projections.runner import Projections


def add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="the monthly consultation or quarterly dispatch report, or the annual assessment")
    report_commands = report.add_subparsers(title="reports")
    for name, label in (("monthly", "2025-03"), ("quarterly", "2025-Q1"), ("annual", "2025")):
        one = report_commands.add_parser(name, help=f"the {name} report, e.g. {label}")
        one.add_argument("period", help=label)
        if name == "monthly":
            one.add_argument("--township")
        one.add_argument("--as-of", type=as_of)
        one.add_argument("--format", choices=("json", "xlsx"), default="xlsx")
        one.add_argument("--output", help="file to write; default fangpin-<report>-<period>.<format>")
        add_quiet(one)
        one.set_defaults(run=_report, report=name)


def _report(app: CaseFiles, args: argparse.Namespace) -> int:
    import json

    from application.reports import annual_report, monthly_report, quarterly_report
    from interfaces.xlsx import report_workbook

    with Projections(app) as projections:
        if args.as_of is None:
            with progress_bar(args, "更新读模型") as tick:
                projections.catch_up(tick)
        service = indicator_service(app, projections)
        if args.report == "monthly":
            report = monthly_report(service, args.period, township=args.township,
                                    as_of=args.as_of)
        elif args.report == "quarterly":
            report = quarterly_report(service, args.period, as_of=args.as_of)
        else:
            report = annual_report(service, args.period, as_of=args.as_of)
        clear_progress()
    path = args.output or f"fangpin-{args.report}-{args.period}.{args.format}"
    if args.format == "json":
        write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n", path)
    else:
        with open(path, "wb") as out:
            out.write(report_workbook(report))
        print(f"已写入 {path}：{report.title}")
    return 0
