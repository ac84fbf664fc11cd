"""The ``fangpin`` command line: one entry point, subcommands per job.

    fangpin demo [--households N] [--seed S]   load a synthetic county and summarise it
    fangpin summary                             households, monitoring objects, open cases
    fangpin household show CODE [--as-of T | --version N]
    fangpin household history CODE [--raw | --format json]   in sentences, or the raw fields
    fangpin people duplicates | rebuild         people in two households at once (recorded before
                                                the rule); the person index rebuilt from the log
    fangpin income-line set YEAR YUAN [--effective-from D] [--reason R]
    fangpin income-line show [--on D] [--as-of T]
    fangpin poverty-line set YEAR YUAN | show      the 扶贫标准 (返贫致贫人数), as income-line
    fangpin relief-bands set DAY --band 因病:5000:20000:0.5 [--band …] --cap YUAN [--reason R]
    fangpin relief-bands show [--on D] [--as-of T]   the 防贫保 payout bands in force
    fangpin users add NAME --role township --township 银坊镇   (prints the bearer token once)
    fangpin users list | token NAME | password NAME | disable NAME
    fangpin users link NAME --grid-worker-name N | --unlink   the 网格员 a village user is
    fangpin serve [--host H] [--port P] [--workers N]          the HTTP API
    fangpin indicators 2025 [--township T | --department D] [--as-of T [--position P]]
                       [--indicator NAME] [--format table|json|xlsx] [--output FILE]
    fangpin verify RESULT.json                  recompute a published result from the log
    fangpin cadences adopt | show              the push cadence table in force (recorded at start-up too)
    fangpin import households FILE              the registry (.xlsx/.csv), one row per member
    fangpin import alerts FILE --department 医保局 --tier county --period 2025-03
    fangpin import staff FILE                   households' 网格员 and 帮扶责任人, one row per household
    fangpin tasks --as USER                     a person's work by deadline, and unread notifications
    fangpin appeals list [--all] [--overdue] [--township T]   appeals by the day they are due
    fangpin template alerts|households|staff    a workbook to fill in
    fangpin staff grid-worker|helper assign|change|end CODE [--name N --phone P [--unit U]]
                       [--reason R] [--on D]   a household's 网格员 / 帮扶责任人
    fangpin audit access-log [--household CODE] [--user NAME]   who read which household's file
    fangpin audit history CODE [--as-of T] [--raw | --format json]   as recorded by a time
    fangpin audit keygen | checkpoint | verify [--from-checkpoint FILE]   the log's tamper evidence
    fangpin log export FILE | import FILE | keygen   backup, restore, move; encryption key
    fangpin unmatched list | attach ALERT_ID CODE   alerts about people in no registered household
    fangpin export monitoring|cases|overdue|… [--township T] [--output F]   a list as .xlsx
    fangpin export exchange [--mapping FILE] [--kind monitoring|households|measures]
                       [--format xlsx|csv] [--output F]   the provincial system's columns and codes
    fangpin feed --as USER [--after N] [--limit N]   a page of the change feed (JSON)
    fangpin report monthly 2025-03 [--township T] | report quarterly 2025-Q1 | report annual 2025
                       [--as-of T] [--format json|xlsx] [--output FILE]
    fangpin pushes book [--period P] [--format table|csv|json]   推送台账: due and arrived per department
    fangpin rectifications list [--overdue] [--township T | --department D]   限期整改 items today
    fangpin notices show KIND --township T --village V [--from D] [--to D] [--format text|json|html|xlsx]
    fangpin notices publish KIND --township T --village V --from D --to D --digest SHA256   公示
    fangpin county add 130630 涞源县 | county list   counties with stores of their own;
                                                ``fangpin --county 130630 …`` acts on one,
                                                ``fangpin --province users …`` on provincial users
    fangpin province people catch-up | rebuild   the provincial person index, from every county's log
    fangpin province import alerts FILE --department 医保局 --period 2025-03   a provincial push,
                                                each row to the county of its person (省级推送)
    fangpin province indicators 2025 [--format table|json] [--refresh]   every county's
                                                indicators, each with its log position and digest
    fangpin department roster|measures|calendar --department 医保局 [--township T] [--format …]
                                                a department's desk (roster reads access-logged)
    fangpin department measures in-place|end CODE MEASURE_ID --department 卫健局 [--reason R]
                                                its own measure put in place or ended

The long commands draw a progress bar on standard error when it is a terminal (``--quiet``: never;
`interfaces.cli.progress`).

Settings come from ``FANGPIN_*`` environment variables (see `application.settings.Settings`);
by default the log is the SQLite file ``var/fangpin.sqlite3``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

from application.app import CaseFiles
from application.settings import Settings
from domain.errors import DomainError
from interfaces.cli.appeals import add_appeals
from interfaces.cli.audit import add_audit
from interfaces.cli.cadences import add_cadences
from interfaces.cli.counties import add_county
from interfaces.cli.demo import add_demo, add_summary
from interfaces.cli.departments import add_department
from interfaces.cli.exchange import add_feed
from interfaces.cli.households import add_household
from interfaces.cli.imports import add_import, add_template, add_unmatched
from interfaces.cli.income_line import add_income_line
from interfaces.cli.indicators import add_indicators, add_verify
from interfaces.cli.lists import add_export, add_list
from interfaces.cli.log import add_log
from interfaces.cli.notices import add_notices
from interfaces.cli.people import add_people
from interfaces.cli.projections import add_projections
from interfaces.cli.province import add_province
from interfaces.cli.pushes import add_pushes
from interfaces.cli.rectifications import add_rectifications
from interfaces.cli.relief_bands import add_relief_bands
from interfaces.cli.reports import add_report
from interfaces.cli.serve import add_serve
from interfaces.cli.staff import add_staff
from interfaces.cli.tasks import add_tasks
from interfaces.cli.users import add_users

#: The command groups, in the order ``fangpin --help`` lists them.
COMMAND_GROUPS = (
    add_demo, add_summary, add_household, add_people, add_projections, add_list, add_serve,
    add_users, add_income_line, add_relief_bands, add_indicators, add_verify, add_cadences,
    add_import, add_export,
    add_unmatched, add_audit, add_log, add_template, add_report, add_rectifications, add_notices,
    add_department, add_staff, add_feed, add_tasks, add_appeals, add_county, add_province, add_pushes,
)


def main(argv: Sequence[str] | None = None, *, clock: Callable[[], datetime] | None = None) -> int:
    """Run the command line; returns the process exit status.

    ``clock``: the application's clock (default: the wall clock), where "today" comes from."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_environ(os.environ)
        if args.county and args.province:
            print("--county 与 --province 只能给一个", file=sys.stderr)
            return 2
        if args.county:
            settings = _county(settings, args.county)
        elif args.province:
            settings = settings.province_store()
    except DomainError as error:
        print(f"错误 {error.code}：{error.message}（字段：{error.field}）", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"设置错误：{error}", file=sys.stderr)
        return 2
    try:
        if getattr(args, "without_app", False):
            return args.run(settings, args)
        with CaseFiles(settings, clock=clock) as app:
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


def _county(settings: Settings, code: str) -> Settings:
    """The store of a county of the deployment (refused when it has no such county)."""
    from application.province import Deployment

    with Deployment(settings) as deployment:
        return deployment.county_settings(code)


def build_parser() -> argparse.ArgumentParser:
    """The ``fangpin`` parser: each command group adds its subcommands."""
    parser = argparse.ArgumentParser(prog="fangpin", description="防贫监测帮扶 — county case files")
    parser.add_argument("--county", metavar="CODE",
                        help="run the command on this county's store (fangpin county list)")
    parser.add_argument("--province", action="store_true",
                        help="run the command on the province's store (its users: "
                             "fangpin --province users add NAME --role auditor)")
    commands = parser.add_subparsers(title="commands")
    for add in COMMAND_GROUPS:
        add(commands)
    return parser
