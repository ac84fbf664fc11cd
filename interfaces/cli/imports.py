"""Department data coming in: ``fangpin import alerts|households|staff`` (a push, the registry or
the households' 网格员 and 帮扶责任人 from a workbook), ``fangpin template`` (a workbook to fill
in) and ``fangpin unmatched list|attach`` (alerts about people in no registered household)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from application.app import CaseFiles
from application.indicators import Cadences
from application.settings import Settings
from domain.identity import mask_id_number
from interfaces.cli.common import CLI_USER, department, tier
from interfaces.cli.lists import add_format, show_rows
from interfaces.cli.progress import add_quiet, progress_bar
from projections.runner import Projections


def add_import(commands: Any) -> None:
    imports = commands.add_parser("import", help="import a department push or the registry (.xlsx/.csv)")
    import_commands = imports.add_subparsers(title="imports")
    alerts = import_commands.add_parser("alerts", help="one department push")
    alerts.add_argument("file")
    alerts.add_argument("--department", type=department, required=True)
    alerts.add_argument("--tier", type=tier, required=True,
                        help="county (县级筛查) or provincial (省级推送)")
    alerts.add_argument("--period", required=True, help="2025-03, 2025-03上旬, 2025-03下半月 …")
    alerts.add_argument("--batch", help="batch id (default: from the file's content digest)")
    alerts.add_argument("--urgent", action="store_true", help="an urgent push outside the cadence")
    alerts.add_argument("--errors", help="where to write the error workbook (default: FILE.errors.xlsx)")
    add_quiet(alerts)
    alerts.set_defaults(run=_import, kind="alerts")
    households = import_commands.add_parser("households", help="the household registry")
    households.add_argument("file")
    households.add_argument("--errors", help="where to write the error workbook (default: FILE.errors.xlsx)")
    add_quiet(households)
    households.set_defaults(run=_import, kind="households")
    staff = import_commands.add_parser(
        "staff", help="网格员 and 帮扶责任人 of many households (户编号, 网格员姓名, 网格员电话, "
                      "帮扶责任人姓名, 帮扶责任人单位, 帮扶责任人电话)")
    staff.add_argument("file")
    staff.add_argument("--errors", help="where to write the error workbook (default: FILE.errors.xlsx)")
    add_quiet(staff)
    staff.set_defaults(run=_import, kind="staff")


def add_unmatched(commands: Any) -> None:
    unmatched = commands.add_parser("unmatched", help="alerts about people in no registered household")
    unmatched_commands = unmatched.add_subparsers(title="unmatched alerts")
    listing = unmatched_commands.add_parser("list", help="the alerts waiting for a household")
    listing.add_argument("--all", action="store_true", help="attached ones too")
    add_format(listing)
    listing.set_defaults(run=_unmatched_list)
    attach = unmatched_commands.add_parser("attach", help="record the alert on the person's household")
    attach.add_argument("alert_id")
    attach.add_argument("code", help="the household code (户编号)")
    attach.set_defaults(run=_unmatched_attach)


def add_template(commands: Any) -> None:
    template = commands.add_parser("template", help="write a workbook to fill in (Chinese headers, lists)")
    template.add_argument("kind", choices=("alerts", "households", "staff"))
    template.add_argument("--output", help="default: fangpin-template-<kind>.xlsx")
    template.set_defaults(run=_template, without_app=True)


def _import(app: CaseFiles, args: argparse.Namespace) -> int:
    from pathlib import Path

    from application.imports import import_alerts, import_households
    from application.staff_import import import_staff

    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    print(f"导入 {path.name} 到 {app.settings.describe()} …")
    # A small household cache: the catch-up after a big import touches most of the county.
    with Projections(app, cache_size=2000) as projections, \
            progress_bar(args, f"导入 {path.name}") as tick:
        if args.kind == "alerts":
            summary = import_alerts(
                app, path, department=args.department, tier=args.tier, period=args.period,
                batch_id=args.batch, urgent=args.urgent, by=CLI_USER, find_household=app.household_code_on,
                duties=Cadences.load(app.settings.cadences_path).duties, progress=tick)
        elif args.kind == "staff":  # the command line acts for the county: every household
            summary = import_staff(app, path, by=CLI_USER, allowed=lambda _: None,
                                   progress=tick)
        else:
            summary = import_households(app, path, by=CLI_USER, progress=tick)
        projections.catch_up(tick)
    for line in summary.lines():
        print(line)
    if summary.errors:
        errors = Path(args.errors) if args.errors else path.with_name(f"{path.stem}.errors.xlsx")
        errors.write_bytes(summary.errors)
        print(f"拒收的行及错误原因已写入 {errors}（改正后可重新导入）")
        for number, reason in summary.problems[:10]:
            print(f"  第 {number} 行：{reason}")
        if summary.rejected > 10:
            print(f"  …… 共 {summary.rejected} 行")
    return 0


def _unmatched_list(app: CaseFiles, args: argparse.Namespace) -> int:
    held = app.unmatched_alerts()
    alerts = sorted(held.alerts.values(), key=lambda a: a.discovered_on) if held else []
    shown = [a for a in alerts if args.all or a.pending]
    rows = [{"alert_id": alert.alert_id, "person": mask_id_number(alert.person_id_number),
             "risk_types": list(alert.risk_types), "discovered_on": alert.discovered_on,
             "department": alert.department,
             "where": f"{alert.township or '未指定乡镇'}{alert.village or ''}",
             "state": f"已认领到 {alert.household_code}" if alert.household_code else "待认领"}
            for alert in shown]
    show_rows(rows, UNMATCHED_COLUMNS, args.format,
              f"未匹配预警：{len(shown)} 条" + ("" if args.all else "（待认领）"))
    return 0


#: The unmatched list's columns.
UNMATCHED_COLUMNS = (("alert_id", "预警编号"), ("person", "身份证号"), ("risk_types", "风险类型"),
                     ("discovered_on", "发现日期"), ("department", "部门"), ("where", "乡镇村"),
                     ("state", "状态"))


def _unmatched_attach(app: CaseFiles, args: argparse.Namespace) -> int:
    result = app.attach_unmatched_alert(args.alert_id, args.code, by=CLI_USER,
                                        command_id=f"cli:attach:{args.alert_id}")
    outcome = result.outcome
    what = ("重复推送" if outcome.duplicate_of else "新案件" if outcome.new_case else "并入案件") \
        if outcome else "此前已认领"
    print(f"已认领：{args.alert_id} → 农户 {args.code}（{what}）")
    return 0


def _template(settings: Settings, args: argparse.Namespace) -> int:
    from application.imports import template

    path = args.output or f"fangpin-template-{args.kind}.xlsx"
    with open(path, "wb") as out:
        out.write(template(args.kind))
    print(f"已写入 {path}")
    return 0
