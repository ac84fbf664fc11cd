"""The ``fangpin`` command line: one entry point, subcommands per job.

    fangpin demo [--households N] [--seed S]   load a synthetic county and summarise it
    fangpin summary                             households, monitoring objects, open cases
    fangpin household show CODE [--as-of T | --version N]
    fangpin household history CODE
    fangpin income-line set YEAR YUAN [--effective-from D] [--reason R]
    fangpin income-line show [--on D] [--as-of T]
    fangpin users add NAME --role township --township 银坊镇   (prints the bearer token once)
    fangpin users list | token NAME | password NAME | disable NAME
    fangpin serve [--host H] [--port P] [--workers N]          the HTTP API
    fangpin indicators 2025 [--township T | --department D] [--as-of T [--position P]]
                       [--indicator NAME] [--format table|json|xlsx] [--output FILE]
    fangpin verify RESULT.json                  recompute a published result from the log
    fangpin import households FILE              the registry (.xlsx/.csv), one row per member
    fangpin import alerts FILE --department 医保局 --tier county --period 2025-03
    fangpin template alerts|households          a workbook to fill in
    fangpin audit access-log [--household CODE] [--user NAME]   who read which household's file
    fangpin audit history CODE [--as-of T]      a household's timeline as recorded by a time
    fangpin audit keygen | checkpoint | verify [--from-checkpoint FILE]   the log's tamper evidence
    fangpin log export FILE | import FILE | keygen   backup, restore, move; encryption key
    fangpin unmatched list | attach ALERT_ID CODE   alerts about people in no registered household
    fangpin export monitoring|cases|overdue|… [--township T] [--output F]   a list as .xlsx
    fangpin report monthly 2025-03 [--township T] | report quarterly 2025-Q1
                       [--as-of T] [--format json|xlsx] [--output FILE]

Settings come from ``FANGPIN_*`` environment variables (see `application.settings.Settings`);
by default the log is the SQLite file ``var/fangpin.sqlite3``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import is_dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from application.accounts.access import User, parse_role
from application.accounts.users import Users
from application.app import CaseFiles
from application.indicators import Cadences, Indicators, Scope, end_of_day, result_json
from application.settings import Settings
from domain.codes import Category, Department, Role, Tier
from domain.errors import DomainError
from domain.household import STEP_NAMES
from domain.identity import mask_id_number
from domain.rules import CHINA_TIME
from domain.values import Actor
from interfaces import audit_cli
from projections.queries import ReadModels
from projections.rows import TABLES as READ_MODELS
from projections.runner import Projections

CLI_USER = Actor("cli", Role.COUNTY_CENTRE)
#: Who the command line is in the access log (it runs with the county centre's rights).
CLI_READER = User(f"cli:{os.environ.get('USER', 'unknown')}"[:64], Role.COUNTY_CENTRE)
EXPORT_NAMES = ("monitoring", "cases", "overdue", "green-channel", "visits-due", "measures-missing",
                "households")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_environ(os.environ)
    except ValueError as error:
        print(f"设置错误：{error}", file=sys.stderr)
        return 2
    try:
        if getattr(args, "without_app", False):
            return args.run(settings, args)
        with CaseFiles(settings) as app:
            return args.run(app, args)
    except DomainError as error:
        field = f"（字段：{error.field}）" if error.field else ""
        print(f"错误 {error.code}：{error.message}{field}", file=sys.stderr)
        return 1
    except ValueError as error:  # settings that cannot work together (e.g. workers on SQLite)
        print(f"错误：{error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fangpin", description="防贫监测帮扶 — county case files")
    commands = parser.add_subparsers(title="commands")

    demo = commands.add_parser("demo", help="load a synthetic demo county and summarise it")
    demo.add_argument("--households", type=int, default=300)
    demo.add_argument("--seed", type=int, default=2025)
    demo.set_defaults(run=_demo)

    summary = commands.add_parser("summary", help="households, monitoring objects, open cases")
    summary.set_defaults(run=_summary)

    household = commands.add_parser("household", help="read one household's case file")
    household_commands = household.add_subparsers(title="household commands")
    show = household_commands.add_parser("show", help="the case file now, as of a time or version")
    show.add_argument("code")
    when = show.add_mutually_exclusive_group()
    when.add_argument("--as-of", type=_moment, help="recorded time, e.g. 2025-06-30T18:00+08:00")
    when.add_argument("--version", type=int)
    show.set_defaults(run=_show_household)
    history = household_commands.add_parser("history", help="every recorded fact in order")
    history.add_argument("code")
    history.set_defaults(run=_history, route="cli: household history")

    projections = commands.add_parser("projections", help="the read models (lists, queues)")
    projection_commands = projections.add_subparsers(title="projections commands")
    rebuild = projection_commands.add_parser("rebuild", help="drop and rebuild from the log")
    rebuild.add_argument("name", nargs="?", choices=sorted(READ_MODELS), help="one read model")
    rebuild.set_defaults(run=_rebuild)
    status = projection_commands.add_parser("status", help="each read model's log position")
    status.set_defaults(run=_status)
    worker = projection_commands.add_parser(
        "run", help="follow the log (PostgreSQL: woken by NOTIFY, and by a poll)"
    )
    worker.add_argument("--poll", type=float, default=2.0, help="seconds between polls")
    worker.add_argument("--batch", type=int, default=1000, help="notifications per transaction")
    worker.set_defaults(run=_run_worker)

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

    serve = commands.add_parser("serve", help="serve the HTTP API (docs at /schema/swagger)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes (PostgreSQL only; SQLite serves from one)")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(run=_serve, without_app=True)

    users = commands.add_parser("users", help="who may sign in: roles, areas, tokens")
    user_commands = users.add_subparsers(title="users commands")
    add = user_commands.add_parser("add", help="add a user and print their bearer token")
    add.add_argument("name")
    add.add_argument("--role", required=True, type=_role,
                     help="county | township | village | department | auditor | assessment "
                          "(or the Chinese term)")
    add.add_argument("--township")
    add.add_argument("--village")
    add.add_argument("--department", type=_department)
    add.add_argument("--display-name", default="")
    add.set_defaults(run=_add_user)
    token = user_commands.add_parser("token", help="issue a new token (the old one stops working)")
    token.add_argument("name")
    token.set_defaults(run=_issue_token)
    password = user_commands.add_parser(
        "password", help="set a user's workbench password (read from stdin; also lifts a lock-out)")
    password.add_argument("name")
    password.set_defaults(run=_set_password)
    disable = user_commands.add_parser("disable", help="the user's token stops working")
    disable.add_argument("name")
    disable.set_defaults(run=_disable_user)
    listing = user_commands.add_parser("list", help="every user with role and area")
    listing.set_defaults(run=_list_users)

    line = commands.add_parser("income-line", help="the county's income monitoring line")
    line_commands = line.add_subparsers(title="income-line commands")
    set_line = line_commands.add_parser("set", help="set a year's line (yuan per capita)")
    set_line.add_argument("year", type=int)
    set_line.add_argument("yuan", type=_money)
    set_line.add_argument("--effective-from", type=date.fromisoformat)
    set_line.add_argument("--reason", default="")
    set_line.set_defaults(run=_set_line)
    show_line = line_commands.add_parser("show", help="the line in force on a day")
    show_line.add_argument("--on", type=date.fromisoformat, default=None)
    show_line.add_argument("--as-of", type=_moment)
    show_line.set_defaults(run=_show_line)
    indicators = commands.add_parser(
        "indicators", help="assessment indicators for a year, quarter or month (domain.md §12)")
    indicators.add_argument("period", help="2025, 2025-Q1 or 2025-03")
    area = indicators.add_mutually_exclusive_group()
    area.add_argument("--township")
    area.add_argument("--department", type=_department)
    indicators.add_argument("--as-of", type=_as_of,
                            help="as the log stood at this recorded time or date (end of day)")
    indicators.add_argument("--position", type=int, help="with --as-of: the log position to stop at")
    indicators.add_argument("--indicator", help="list the cases behind this indicator")
    indicators.add_argument("--format", choices=("table", "json", "xlsx"), default="table")
    indicators.add_argument("--output", help="file to write (json or xlsx); default standard output")
    indicators.set_defaults(run=_indicators)

    verify = commands.add_parser("verify", help="recompute a published indicator result (its JSON)")
    verify.add_argument("result", help="the JSON of `fangpin indicators --format json` or the API")
    verify.set_defaults(run=_verify)

    imports = commands.add_parser("import", help="import a department push or the registry (.xlsx/.csv)")
    import_commands = imports.add_subparsers(title="imports")
    alerts = import_commands.add_parser("alerts", help="one department push")
    alerts.add_argument("file")
    alerts.add_argument("--department", type=_department, required=True)
    alerts.add_argument("--tier", type=_tier, required=True,
                        help="county (县级筛查) or provincial (省级推送)")
    alerts.add_argument("--period", required=True, help="2025-03, 2025-03上旬, 2025-03下半月 …")
    alerts.add_argument("--batch", help="batch id (default: from the file's content digest)")
    alerts.add_argument("--urgent", action="store_true", help="an urgent push outside the cadence")
    alerts.add_argument("--errors", help="where to write the error workbook (default: FILE.errors.xlsx)")
    alerts.set_defaults(run=_import, kind="alerts")
    households = import_commands.add_parser("households", help="the household registry")
    households.add_argument("file")
    households.add_argument("--errors", help="where to write the error workbook (default: FILE.errors.xlsx)")
    households.set_defaults(run=_import, kind="households")

    export = commands.add_parser("export", help="a list as an .xlsx workbook (Chinese headers)")
    export.add_argument("which", choices=sorted(EXPORT_NAMES))
    export.add_argument("--township")
    export.add_argument("--village")
    export.add_argument("--category")
    export.add_argument("--output", help="default: fangpin-<list>.xlsx")
    export.set_defaults(run=_export)

    unmatched = commands.add_parser("unmatched", help="alerts about people in no registered household")
    unmatched_commands = unmatched.add_subparsers(title="unmatched alerts")
    listing = unmatched_commands.add_parser("list", help="the alerts waiting for a household")
    listing.add_argument("--all", action="store_true", help="attached ones too")
    listing.set_defaults(run=_unmatched_list)
    attach = unmatched_commands.add_parser("attach", help="record the alert on the person's household")
    attach.add_argument("alert_id")
    attach.add_argument("code", help="the household code (户编号)")
    attach.set_defaults(run=_unmatched_attach)

    audit = commands.add_parser(
        "audit", help="for auditors: verify the log, checkpoints, case timelines, who read what")
    audit_commands = audit.add_subparsers(title="audit")
    audit_cli.add_commands(commands, audit_commands)
    replay = audit_commands.add_parser(
        "history", help="a household's timeline: happened / recorded / by whom / what changed")
    replay.add_argument("code")
    replay.add_argument("--as-of", type=_as_of, help="only what was recorded by this time (or date)")
    replay.set_defaults(run=_history, route="cli: audit history")
    reads = audit_commands.add_parser("access-log", help="reads of household files, newest first")
    reads.add_argument("--household", help="one household code")
    reads.add_argument("--user", help="one user name")
    reads.add_argument("--limit", type=int, default=50)
    reads.set_defaults(run=_access_log)

    template = commands.add_parser("template", help="write a workbook to fill in (Chinese headers, lists)")
    template.add_argument("kind", choices=("alerts", "households"))
    template.add_argument("--output", help="default: fangpin-template-<kind>.xlsx")
    template.set_defaults(run=_template, without_app=True)

    report = commands.add_parser("report", help="the monthly consultation or quarterly dispatch report")
    report_commands = report.add_subparsers(title="reports")
    for name, label in (("monthly", "2025-03"), ("quarterly", "2025-Q1")):
        one = report_commands.add_parser(name, help=f"the {name} report, e.g. {label}")
        one.add_argument("period", help=label)
        if name == "monthly":
            one.add_argument("--township")
        one.add_argument("--as-of", type=_as_of)
        one.add_argument("--format", choices=("json", "xlsx"), default="xlsx")
        one.add_argument("--output", help="file to write; default fangpin-<report>-<period>.<format>")
        one.set_defaults(run=_report, report=name)
    return parser


def _as_of(text: str) -> datetime:
    """A recorded time; a bare date means the end of that day in the county."""
    try:
        moment = end_of_day(date.fromisoformat(text)) if len(text) == 10 else _moment(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"不是日期或时间：{text}（如 2026-01-10 或 2026-01-10T18:00+08:00）"
                                         ) from None
    if not 1990 <= moment.year <= 2100:
        raise argparse.ArgumentTypeError("记录时点须在1990年至2100年之间")
    return moment


def _clear_progress() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def _indicator_service(app: CaseFiles, projections: Projections | None = None) -> Indicators:
    service = Indicators(app, projections.store if projections else None,
                         Cadences.load(app.settings.cadences_path))
    if sys.stderr.isatty():  # recomputing from the log reads every household: say how far
        service.progress = lambda done: print(f"\r  已读取 {done:,} 户", end="", file=sys.stderr,
                                              flush=True)
    return service


def _indicators(app: CaseFiles, args: argparse.Namespace) -> int:
    import json

    from domain.indicators import Area

    if args.position is not None and args.as_of is None:
        print("错误：--position 须与 --as-of 一起使用", file=sys.stderr)
        return 2
    scope = (Scope("township", args.township) if args.township
             else Scope("department", args.department.value) if args.department else Scope())
    detail = (args.indicator, Area(scope.level, scope.name)) if args.indicator else None
    with Projections(app) as projections:
        if args.as_of is None:
            projections.catch_up()
        result = _indicator_service(app, projections).compute(
            args.period, scope=scope, as_of=args.as_of, position=args.position, detail=detail)
        _clear_progress()
    if args.format == "json":
        _write(json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n", args.output)
        return 0
    if args.format == "xlsx":
        from application.reports import indicator_report
        from interfaces.xlsx import report_workbook

        path = args.output or f"fangpin-indicators-{result.period.label}.xlsx"
        with open(path, "wb") as out:
            out.write(report_workbook(indicator_report(result)))
        print(f"已写入 {path}")
        return 0
    print(f"{result.period.label} 考核指标（{scope.name}）  "
          f"数据截至 {result.as_of.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}（北京时间）"
          f"  日志位置 {result.position}  评价日 {result.evaluated_on}")
    print(f"输入摘要 {result.digest}")
    for f in result.figures:
        rate = f"{f.rate:.1%}" if f.rate is not None else "—"
        shown = f"{f.numerator}/{f.denominator}" if f.indicator.kind == "rate" else str(f.numerator)
        print(f"  {f.area.name:<8} {f.indicator.name:<12} {shown:>12}  {rate:>7}")
    if detail is not None:
        print(f"{args.indicator}（{scope.name}）的明细：")
        for item in result.items:
            print(f"  {item.key}  {item.numerator}/{item.denominator}  {item.note}")
    return 0


def _write(text: str, path: str | None) -> None:
    if path:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"已写入 {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _verify(app: CaseFiles, args: argparse.Namespace) -> int:
    import json

    try:
        with open(args.result, encoding="utf-8") as source:
            published = json.load(source)
    except (OSError, ValueError) as error:
        print(f"错误：无法读取 {args.result}：{error}", file=sys.stderr)
        return 2
    if not isinstance(published, dict):
        print(f"错误：{args.result} 不是一份指标结果", file=sys.stderr)
        return 2
    check = _indicator_service(app).verify(published)
    if check.matches:
        print(f"一致：按日志位置 {published.get('position')}、时点 {published.get('as_of')} 复算，"
              f"摘要 {check.recomputed_digest}")
        return 0
    print("不一致：")
    for difference in check.differences:
        print(f"  {difference}")
    return 1


def _report(app: CaseFiles, args: argparse.Namespace) -> int:
    import json

    from application.reports import monthly_report, quarterly_report
    from interfaces.xlsx import report_workbook

    with Projections(app) as projections:
        if args.as_of is None:
            projections.catch_up(_progress if sys.stdout.isatty() else None)
        service = _indicator_service(app, projections)
        if args.report == "monthly":
            report = monthly_report(service, args.period, township=args.township,
                                    as_of=args.as_of)
        else:
            report = quarterly_report(service, args.period, as_of=args.as_of)
        _clear_progress()
    path = args.output or f"fangpin-{args.report}-{args.period}.{args.format}"
    if args.format == "json":
        _write(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n", path)
    else:
        with open(path, "wb") as out:
            out.write(report_workbook(report))
        print(f"已写入 {path}：{report.title}")
    return 0


def _tier(text: str) -> Tier:
    aliases = {"county": Tier.COUNTY, "provincial": Tier.PROVINCIAL, "province": Tier.PROVINCIAL}
    try:
        return aliases.get(text.strip().lower()) or Tier(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"未知层级：{text}（county / provincial，或 {Tier.COUNTY} / {Tier.PROVINCIAL}）") from None


def _import(app: CaseFiles, args: argparse.Namespace) -> int:
    from pathlib import Path

    from application.imports import import_alerts, import_households

    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    print(f"导入 {path.name} 到 {app.settings.describe()} …")
    # A small household cache: the catch-up after a big import touches most of the county.
    with Projections(app, cache_size=2000) as projections:
        if args.kind == "alerts":
            projections.catch_up()
            views = ReadModels(projections.store)

            def find_household(id_number: str) -> str | None:
                found = views.household_of_person(id_number)
                return found["code"] if found else None

            summary = import_alerts(
                app, path, department=args.department, tier=args.tier, period=args.period,
                batch_id=args.batch, urgent=args.urgent, by=CLI_USER, find_household=find_household,
                duties=Cadences.load(app.settings.cadences_path).duties, progress=_rows_progress)
        else:
            summary = import_households(app, path, by=CLI_USER, progress=_rows_progress)
        projections.catch_up()
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


def _rows_progress(done: int, total: int | None) -> None:
    if total:
        _progress(min(done, total), total)
    else:
        print(f"\r已处理 {done} 行", end="", flush=True)


def _export(app: CaseFiles, args: argparse.Namespace) -> int:
    from interfaces.exports import EXPORTS, pages, workbook

    with Projections(app) as projections:
        projections.catch_up()
        rows = pages(ReadModels(projections.store), args.which, township=args.township,
                     village=args.village, category=args.category)
        content = workbook(args.which, rows)
    path = args.output or f"fangpin-{args.which}.xlsx"
    with open(path, "wb") as out:
        out.write(content)
    print(f"已写入 {path}：{EXPORTS[args.which][0]}")
    return 0


def _unmatched_list(app: CaseFiles, args: argparse.Namespace) -> int:
    held = app.unmatched_alerts()
    alerts = sorted(held.alerts.values(), key=lambda a: a.discovered_on) if held else []
    shown = [a for a in alerts if args.all or a.pending]
    print(f"未匹配预警：{len(shown)} 条" + ("" if args.all else "（待认领）"))
    for alert in shown:
        where = f"{alert.township or '未指定乡镇'}{alert.village or ''}"
        state = f"已认领到 {alert.household_code}" if alert.household_code else "待认领"
        print(f"  {alert.alert_id}  {mask_id_number(alert.person_id_number)}  {'、'.join(alert.risk_types)}"
              f"  发现 {alert.discovered_on}  {alert.department or ''}  {where}  {state}")
    return 0


def _unmatched_attach(app: CaseFiles, args: argparse.Namespace) -> int:
    result = app.attach_unmatched_alert(args.alert_id, args.code, by=CLI_USER,
                                        command_id=f"cli:attach:{args.alert_id}")
    outcome = result.outcome
    what = ("重复推送" if outcome.duplicate_of else "新案件" if outcome.new_case else "并入案件") \
        if outcome else "此前已认领"
    print(f"已认领：{args.alert_id} → 农户 {args.code}（{what}）")
    return 0


def _access_log(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.accounts.access_log import AccessLog

    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    records = log.query(household_code=args.household, user_name=args.user, limit=args.limit)
    print(f"档案查阅日志：{len(records)} 条（最新在前）")
    for r in records:
        print(f"  {r.at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}  {r.role}/{r.user_name}  "
              f"{r.household_code}  {r.route}  {r.outcome}")
    return 0


def _template(settings: Settings, args: argparse.Namespace) -> int:
    from application.imports import template

    path = args.output or f"fangpin-template-{args.kind}.xlsx"
    with open(path, "wb") as out:
        out.write(template(args.kind))
    print(f"已写入 {path}")
    return 0


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TIME)
    return moment


def _money(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"不是金额：{text}") from None


def _demo(app: CaseFiles, args: argparse.Namespace) -> int:
    from application.demo import ensure_demo_users, load_demo

    print(f"载入演示县（{args.households} 户，种子 {args.seed}）到 {app.settings.describe()} …")

    load_demo(app, households=args.households, seed=args.seed, progress=_progress)
    print("更新查询名单（读模型）…")
    with Projections(app) as projections:
        if projections.position() == 0:  # new read models: household by household is faster
            projections.rebuild(progress=_progress)
        else:
            projections.catch_up(_progress)
    _summary(app, args)
    print("演示用户（令牌即工作台密码，只用于演示县；工作台 http://127.0.0.1:8000/web/）：")
    for user, token in ensure_demo_users(_users(app)):
        print(f"  {user.role}{_area(user)}：用户 {user.name}  令牌 {token}")
    return 0


def _role(text: str) -> Role:
    try:
        return parse_role(text)
    except DomainError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def _department(text: str) -> Department:
    try:
        return Department(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"未知部门“{text}”；可选：{'、'.join(Department)}") from None


def _users(app: CaseFiles) -> Users:
    return Users(app.factory.datastore, backend=app.settings.backend)


def _add_user(app: CaseFiles, args: argparse.Namespace) -> int:
    user = User(args.name, args.role, township=args.township, village=args.village,
                department=args.department, display_name=args.display_name)
    token = _users(app).add(user)
    print(f"已添加用户 {user.name}（{user.role}{_area(user)}）")
    print(f"令牌（只显示这一次，请妥善保存）：{token}")
    return 0


def _issue_token(app: CaseFiles, args: argparse.Namespace) -> int:
    token = _users(app).issue_token(args.name)
    print(f"用户 {args.name} 的新令牌（旧令牌已失效）：{token}")
    return 0


def _set_password(app: CaseFiles, args: argparse.Namespace) -> int:
    import getpass

    from application.accounts.logins import Logins

    if sys.stdin.isatty():
        password = getpass.getpass(f"{args.name} 的新密码：")
        if getpass.getpass("再输一次：") != password:
            print("错误：两次输入不同", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    Logins(_users(app)).set_password(args.name, password)
    print(f"用户 {args.name} 的工作台密码已设置")
    return 0


def _disable_user(app: CaseFiles, args: argparse.Namespace) -> int:
    _users(app).disable(args.name)
    print(f"用户 {args.name} 已停用")
    return 0


def _list_users(app: CaseFiles, args: argparse.Namespace) -> int:
    for user, enabled in _users(app).all():
        print(f"{user.name}\t{user.role}{_area(user)}\t{'' if enabled else '已停用'}")
    return 0


def _area(user: User) -> str:
    where = "".join(p for p in (user.township, user.village, user.department) if p)
    return f"，{where}" if where else ""


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from interfaces.serve import serve

    print(f"防贫监测帮扶 API：http://{args.host}:{args.port}/ （接口文档 /schema/swagger）"
          f"，存储：{settings.describe()}", flush=True)
    serve(settings, host=args.host, port=args.port, workers=args.workers,
          access_log=args.access_log)
    return 0


def _rebuild(app: CaseFiles, args: argparse.Namespace) -> int:
    models = [args.name] if args.name else None
    print(f"重建读模型：{args.name or '全部'}（{app.max_position()} 条事件）")
    with Projections(app) as projections:
        projections.rebuild(models, progress=_progress)
        print(f"完成：{projections.positions()}")
    return 0


def _status(app: CaseFiles, args: argparse.Namespace) -> int:
    with Projections(app) as projections:
        end = app.max_position()
        positions, leases = projections.store.positions_and_leases(projections.models)
        for model, position in positions.items():
            state = ("" if position >= end else "（落后）") if model not in leases else (
                f"（重建中，{leases[model]:.0f} 秒前更新）")
            print(f"{model}: {position}/{end}{state}")
    return 0


def _run_worker(app: CaseFiles, args: argparse.Namespace) -> int:
    print(f"读模型跟随事件日志：{app.settings.describe()}（Ctrl-C 停止）", flush=True)
    with Projections(app, batch_size=args.batch) as projections, contextlib.suppress(KeyboardInterrupt):
        projections.run_worker(poll=args.poll)
    return 0


LISTS = {
    "monitoring": "监测对象名单",
    "cases": "案件队列",
    "overdue": "超过15天未认定的案件",
    "green-channel": "绿色通道待补办程序",
    "visits-due": "本月未走访",
    "measures-missing": "认定30天未落实帮扶措施",
    "ledger": "部门推送台账",
    "households": "农户目录",
}


def _list(app: CaseFiles, args: argparse.Namespace) -> int:
    with Projections(app) as projections:
        projections.catch_up()
        views = ReadModels(projections.store)
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
                                         today=args.today, **filters, **page_args)
        elif args.which in ("cases", "overdue", "green-channel"):
            page = views.case_queue(overdue=args.which == "overdue",
                                    green_channel_owed=args.which == "green-channel",
                                    today=args.today, **filters, **page_args)
        elif args.which == "visits-due":
            page = views.visits_due(month=args.today, **page_args)
        elif args.which == "measures-missing":
            page = views.measures_missing(today=args.today, **page_args)
        else:
            page = views.directory(**filters, **page_args)
    print(f"{LISTS[args.which]}：共 {page.total} 条")
    for row in page.rows:
        print("  " + "  ".join(_cell(row, column) for column in _LIST_COLUMNS if column in row))
    if page.after:
        print(f"下一页：--after {page.after}")
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
    return _plain(value) if value not in (None, "", []) else "—"


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, flush=True)


def _summary(app: CaseFiles, args: argparse.Namespace) -> int:
    with Projections(app) as projections:
        projections.catch_up()
        store = projections.store
        count = store.fetch
        households = count(f"SELECT COUNT(*) AS n FROM {store.qualified('rm_households')}")[0]["n"]
        by_category = {
            row["category"]: row["n"] for row in count(
                f"SELECT category, COUNT(*) AS n FROM {store.qualified('rm_monitoring')} "
                "GROUP BY category")
        }
        open_cases = count(f"SELECT COUNT(*) AS n FROM {store.qualified('rm_case_queue')}")[0]["n"]
        eliminated = count(
            f"SELECT COUNT(*) AS n FROM {store.qualified('rm_monitoring_periods')} "
            "WHERE to_on IS NOT NULL")[0]["n"]
    print(f"事件日志：{app.settings.describe()}（{app.max_position()} 条事件）")
    print(f"农户：{households} 户")
    print(f"监测对象：{sum(by_category.values())} 户")
    for category in Category:
        print(f"  {category}：{by_category.get(category.value, 0)} 户")
    print(f"认定中的案件：{open_cases} 件")
    print(f"已消除风险：{eliminated} 件")
    return 0


def _log_read(app: CaseFiles, code: str, route: str) -> None:
    """The command line's reads of household files go to the access log too."""
    from application.accounts.access_log import AccessLog

    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    log.record(CLI_READER, code, route)


def _show_household(app: CaseFiles, args: argparse.Namespace) -> int:
    _log_read(app, args.code, "cli: household show")
    if args.as_of is not None:
        household = app.household_as_of(args.code, args.as_of)
    elif args.version is not None:
        household = app.household_at_version(args.code, args.version)
    else:
        household = app.household(args.code)
    print(f"户编号 {household.code}  {household.township}{household.village}  {household.address}")
    print(f"户类型 {household.household_type}  版本 {household.version}")
    for member in household.members.values():
        status = f"（{member.leave_reason} {member.left_on}）" if member.left_on else ""
        print(f"  {member.relation} {member.name} {mask_id_number(member.id_number)} "
              f"{member.sex} {member.health} {member.labour_capacity}{status}")
    for case in household.cases:
        late = ""
        if case.days_to_inclusion is not None and case.days_to_inclusion > 15:
            late = f"（超时 {case.days_to_inclusion} 天）"
        print(f"  案件 {case.number}：{case.stage} 发现于 {case.opened_on} "
              f"风险 {'、'.join(case.risk_types)} 类别 {case.category or '—'}{late}")
    for measure in household.measures.values():
        print(f"  措施 {measure.measure_id}：{measure.measure_type} {measure.status} "
              f"{measure.department} {measure.responsible_person}")
    print(f"  走访 {len(household.visits)} 次，收入核算 {len(household.assessments)} 次")
    return 0


def _history(app: CaseFiles, args: argparse.Namespace) -> int:
    as_of = getattr(args, "as_of", None)
    _log_read(app, args.code, args.route)
    for entry in app.history(args.code):
        if as_of is not None and entry.recorded_at > as_of:
            break  # recorded after the time asked for
        who = f"{entry.recorded_by.role}/{entry.recorded_by.user_id}" if entry.recorded_by else ""
        details = "，".join(
            f"{k}={_plain(v)}" for k, v in entry.details.items() if v not in (None, "", ())
        )
        print(f"{entry.version:>4} 发生 {entry.occurred_on} 记录 "
              f"{entry.recorded_at.astimezone(UTC):%Y-%m-%d %H:%M} {who} {entry.event} {details}")
    return 0


def _plain(value: object) -> str:
    if isinstance(value, tuple | list):
        return "、".join(_plain(v) for v in value)
    if is_dataclass(value):
        return "/".join(_plain(v) for v in vars(value).values() if v not in (None, "", ()))
    if isinstance(value, dict):
        return "{" + "，".join(f"{_plain(k)}:{_plain(v)}" for k, v in value.items()) + "}"
    return str(value)


def _set_line(app: CaseFiles, args: argparse.Namespace) -> int:
    result = app.set_income_line(
        year=args.year, yuan_per_capita=args.yuan, effective_from=args.effective_from,
        reason=args.reason, occurred_on=datetime.now(CHINA_TIME).date(), by=CLI_USER,
    )
    print(f"{args.year} 年收入监测标准 {args.yuan} 元/人·年（日志位置 {result.position}）")
    return 0


def _show_line(app: CaseFiles, args: argparse.Namespace) -> int:
    day = args.on or datetime.now(CHINA_TIME).date()
    line = app.income_line_on(day, as_of=args.as_of)
    print(f"{day} 收入监测标准：{line if line is not None else '未设置'}")
    return 0 if line is not None else 1


if __name__ == "__main__":
    raise SystemExit(main())
