"""``fangpin department roster|measures|calendar --department 医保局``: a department's desk on
the command line — the roster its duty needs (only the duty's fields, every page's households
in the access log), the measures assigned to it, and its push calendar; ``fangpin department
measures in-place|end CODE MEASURE_ID`` puts one of its measures in place or ends it, as the
department (the API's rule: only a measure assigned to it)."""

from __future__ import annotations

import argparse
import os
from datetime import date
from typing import Any

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from application.commands import EndMeasure, HouseholdCommand, PutMeasureInPlace
from application.desk import push_calendar
from application.rosters import Rosters
from domain.codes import MeasureStatus, Role
from domain.errors import InvalidValue
from interfaces.cli.common import cli_reader, department
from interfaces.cli.indicators import indicator_service
from interfaces.cli.lists import print_rows, table
from interfaces.desk import roster_page, roster_rows
from interfaces.exports import table_workbook
from projections.queries import Area, ReadModels
from projections.runner import Projections

#: The route a command-line roster read is logged under.
ROSTER_ROUTE = "cli:department roster"
MEASURE_COLUMNS = (("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("head_name", "户主"),
                   ("measure_id", "措施编号"), ("measure_type", "措施类型"), ("status", "状态"),
                   ("responsible_person", "责任人"), ("started_on", "开始日期"),
                   ("deadline_on", "应落实日期"), ("in_place_on", "落实日期"), ("ended_on", "结束日期"),
                   ("overdue", "逾期未落实"))
PUSH_COLUMNS = (("period", "期次"), ("due_on", "到期日"), ("received_on", "收到日期"),
                ("batch_id", "批次号"), ("status", "情况"))


def add_department(commands: Any) -> None:
    desk = commands.add_parser("department", help="a department's desk: roster, measures, calendar")
    which = desk.add_subparsers(title="department commands")
    roster = which.add_parser("roster", help="the people the department's duty is about (rosters.toml)")
    measures = which.add_parser("measures", help="the help measures assigned to the department")
    calendar = which.add_parser("calendar", help="its pushes: next due, on time / late / missing")
    for parser in (roster, measures, calendar):  # measures' own commands take it after theirs
        parser.add_argument("--department", type=department, required=parser is not measures)
    for parser in (roster, measures):
        parser.add_argument("--township")
        parser.add_argument("--village")
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--after", help="cursor of the previous page")
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                            help="table (a page), csv or json (every row, for scripts)")
    roster.add_argument("--output", help="write the whole roster as .xlsx to this file")
    measures.add_argument("--status", choices=[s.value for s in MeasureStatus])
    acts = measures.add_subparsers(title="measure commands")
    for action, title in (("in-place", "落实"), ("end", "结束")):
        act = acts.add_parser(action, help=f"{title} a measure assigned to the department")
        act.add_argument("code", help="户编号")
        act.add_argument("measure_id", help="措施编号")
        act.add_argument("--department", type=department, required=True)
        if action == "end":
            act.add_argument("--reason", required=True, help="结束原因")
        act.add_argument("--on", type=date.fromisoformat, help="该日（YYYY-MM-DD；默认今天）")
        act.set_defaults(run=_act, action=action)
    roster.set_defaults(run=_roster)
    measures.set_defaults(run=_measures)
    calendar.set_defaults(run=_calendar)


def _roster(app: CaseFiles, args: argparse.Namespace) -> int:
    duty = Rosters.load(app.settings.rosters_path).of(args.department)
    log = AccessLog(app.factory.datastore, backend=app.settings.backend)  # type: ignore[attr-defined]
    columns = tuple(duty.headings.items())
    read = {"route": ROSTER_ROUTE, "today": app.today(), "township": args.township,
            "village": args.village}
    with Projections(app) as projections:
        projections.catch_up()
        views = ReadModels(projections.store, app.clock)
        if args.output:
            content = table_workbook(f"{duty.department}名册", columns,
                                     roster_rows(views, log, cli_reader(), duty, **read), duty.duty)
            with open(args.output, "wb") as out:
                out.write(content)
            print(f"已写入 {args.output}：{duty.department}名册")
            return 0
        if args.format != "table":
            print_rows(list(roster_rows(views, log, cli_reader(), duty, **read)), columns, args.format)
            return 0
        page, rows = roster_page(views, log, cli_reader(), duty, after=args.after,
                                 limit=args.limit, **read)
    print(f"{duty.department}名册（{duty.duty}）：共 {page.total} 人"
          f"{'' if duty.full_id_number else '；身份证号码已遮蔽'}")
    print(table(rows, columns))
    if page.after:
        print(f"下一页：--after {page.after}")
    return 0


def _measures(app: CaseFiles, args: argparse.Namespace) -> int:
    if args.department is None:
        raise InvalidValue("REQUIRED", "请指明部门：--department 医保局", "department")
    area = Area("department", department=args.department)
    filters = {"status": args.status, "township": args.township, "village": args.village}
    with Projections(app) as projections:
        projections.catch_up()
        views = ReadModels(projections.store, app.clock)
        if args.format != "table":
            rows, after = [], None
            while True:
                page = views.measures(area, after=after, limit=500, **filters)
                rows += page.rows
                if not (after := page.after):
                    break
            print_rows(rows, MEASURE_COLUMNS, args.format)
            return 0
        page = views.measures(area, after=args.after, limit=args.limit, **filters)
    print(f"安排给{args.department}的帮扶措施：共 {page.total} 项")
    print(table(page.rows, MEASURE_COLUMNS))
    if page.after:
        print(f"下一页：--after {page.after}")
    return 0


def _act(app: CaseFiles, args: argparse.Namespace) -> int:
    """Put a measure in place, or end it, as the department: the household command of the
    API's route, refused (OTHER_DEPARTMENT) on a measure not assigned to it."""
    from interfaces.http.household_commands import household_command

    day = args.on or app.today()
    command: HouseholdCommand = (
        PutMeasureInPlace(measure_id=args.measure_id, occurred_on=day) if args.action == "in-place"
        else EndMeasure(measure_id=args.measure_id, reason=args.reason, occurred_on=day))
    user = User(f"cli:{os.environ.get('USER', 'unknown')}"[:64], Role.DEPARTMENT,
                department=args.department)
    result = household_command(user, app, args.code, command, key=None,
                               path=f"cli:department measures {args.action}")
    measure = app.household(args.code).measures[args.measure_id]
    print(f"已记录：农户 {args.code} 的措施 {args.measure_id}（{measure.measure_type}）"
          f"{'已落实' if args.action == 'in-place' else '已结束'}，{day}"
          f"（版本 {result.version}，日志位置 {result.position}）")
    return 0


def _calendar(app: CaseFiles, args: argparse.Namespace) -> int:
    with Projections(app) as projections:
        projections.catch_up()
        result, duties = push_calendar(indicator_service(app, projections), args.department)
    print(f"{args.department}推送日历：{result.evaluated_on}（记录至日志位置 {result.position}）")
    if not duties:
        print("推送频次表未给本部门规定推送")
    for duty in duties:
        push = duty.next_push
        upcoming = (f"下一期 {push.period}，{push.due_on} 到期"
                    f"{f'（已于 {push.received_on} 报送）' if push and push.received_on else ''}"
                    if push else f"事件发生后 {duty.duty.days} 日内")
        print(f"\n{duty.duty.number} {duty.duty.what}：{upcoming}")
        print(f"  本年至今：按时 {duty.on_time}，迟报 {duty.late}，漏报 {duty.missing}")
        shown = [{"period": p.period, "due_on": p.due_on, "received_on": p.received_on,
                  "batch_id": p.batch_id, "status": p.status} for p in duty.pushes]
        if shown:
            print(table(shown, PUSH_COLUMNS))
    return 0
