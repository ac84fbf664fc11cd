"""``fangpin province …``: the province above the counties of a deployment.

    fangpin province people catch-up | rebuild     the provincial person index (who is a member
                                                   where, in every county), from the counties' logs
    fangpin province import alerts FILE --department 医保局 --period 2025-03 [--batch ID]
                                                   a provincial department's push, routed to the
                                                   county of each person (省级推送)

    fangpin province indicators 2025 [--format table|json] [--refresh]
        every county's §12 indicators for the year (counties × indicators), each with the log
        position and digest it was computed at; ``--refresh`` catches every county up first.
        A county's figures are its own result: ``--format json`` carries each county's
        published result, which ``fangpin --county CODE verify RESULT.json`` recomputes.

Each subgroup is added by one function of `PROVINCE_COMMANDS`; a new one goes there.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from application.app import CaseFiles
from application.province import Deployment
from application.province.figures import CountyFigures, ProvincialFigures, catch_up_all, county_json
from application.province.forwarding import HeldForwarding
from application.province.people import ProvincialPeople
from application.settings import Settings
from application.workbooks import display_width
from domain.indicators.definitions import INDICATORS
from interfaces.cli.common import CLI_USER, beijing, department
from interfaces.cli.indicators import figure_text


def add_province(commands: Any) -> None:
    province = commands.add_parser(
        "province", help="the province above the counties: indicators, people, imports")
    groups = province.add_subparsers(title="province")
    for add in PROVINCE_COMMANDS:
        add(groups)


def _add_people(groups: Any) -> None:
    people = groups.add_parser("people", help="the provincial person index: catch-up, rebuild")
    people_commands = people.add_subparsers(title="province people")
    catch_up = people_commands.add_parser(
        "catch-up", help="follow every county's log to its end; forward held rows whose person is now known")
    catch_up.set_defaults(run=_people, without_app=True, rebuild=False)
    rebuild = people_commands.add_parser("rebuild", help="empty the index and follow every log again")
    rebuild.set_defaults(run=_people, without_app=True, rebuild=True)


def _add_import(groups: Any) -> None:
    imports = groups.add_parser("import", help="a provincial department's push (.xlsx/.csv)")
    import_commands = imports.add_subparsers(title="province import")
    alerts = import_commands.add_parser(
        "alerts", help="one provincial push: each row to the county of its person (省级推送)")
    alerts.add_argument("file")
    alerts.add_argument("--department", type=department, required=True)
    alerts.add_argument("--period", required=True, help="2025-03, 2025-03上旬 …")
    alerts.add_argument("--batch", help="batch id (default: from the file's content digest)")
    alerts.set_defaults(run=_import_alerts, without_app=True)


#: The ``province`` subgroups, in the order ``fangpin province --help`` lists them.
PROVINCE_COMMANDS: tuple[Callable[[Any], None], ...]


def _people(settings: Settings, args: argparse.Namespace) -> int:
    with Deployment(settings) as deployment:
        counties = {county.code: county.name for county in deployment.counties()}
        if not counties:
            print("本部署尚无登记的县：fangpin county add 130630 涞源县")
            return 0
        people = ProvincialPeople(deployment)
        reached = people.rebuild() if args.rebuild else people.catch_up_all()
        print("省级人员索引已" + ("按各县日志重建" if args.rebuild else "跟上各县日志"))
        for code, position in reached.items():
            print(f"  {code} {counties[code]}：日志位置 {position}")
        forwarding = HeldForwarding(deployment, people)  # held rows whose person is now known
        for county in deployment.counties():
            with CaseFiles(deployment.county_settings(county.code), clock=deployment.clock) as app:
                forwarding.catch_up(county, app)
        print(f"省级暂存的预警转至其人员所在县：{len(forwarding.forwarded)} 条")
        for alert_id, code, household in forwarding.forwarded:
            print(f"  {alert_id} → {code} {counties[code]} 农户 {household}")
    return 0


def _import_alerts(settings: Settings, args: argparse.Namespace) -> int:
    from application.imports import file_batch_id, file_digest, file_row_id
    from application.intake import ALERT_COLUMNS, open_sheet
    from application.province.pushes import (
        BatchRow,
        checked_file_row,
        receive_provincial_batch,
    )
    from application.pushes import PushBatch
    from domain.codes import Tier
    from domain.governance import check_push_period

    path = Path(args.file)
    if not path.is_file():
        print(f"错误：找不到文件 {path}", file=sys.stderr)
        return 2
    digest = file_digest(path)
    batch = PushBatch(args.department, (args.batch or file_batch_id(digest)).strip(), Tier.PROVINCIAL,
                      check_push_period(args.period))
    sheet = open_sheet(path, ALERT_COLUMNS)
    rows = [BatchRow(row.number, file_row_id(digest, row.number), row) for row in sheet.rows]
    with Deployment(settings) as deployment:
        names = {county.code: county.name for county in deployment.counties()}
        receipt = receive_provincial_batch(deployment, ProvincialPeople(deployment), batch, rows,
                                           by=CLI_USER, check=checked_file_row)
    print(f"省级推送 {batch.department} {batch.period} 批次 {batch.batch_id}：{len(rows)} 行")
    for code, counts in receipt.by_county().items():
        shown = "，".join(f"{result} {n}" for result, n in sorted(counts.items()))
        print(f"  {code} {names.get(code, '')}：{sum(counts.values())} 行（{shown}）")
    held = receipt.held()
    print(f"  省级未匹配：{sum(held.values())} 行" + "".join(
        f"（{reason} {n}）" for reason, n in sorted(held.items())))
    if receipt.repeated:
        print(f"其中 {receipt.repeated} 行此前已记录，本次未重复记录")
    return 0


# ---------------------------------------------------------------------- province indicators


def add_province_indicators(province_commands: Any) -> None:
    indicators = province_commands.add_parser(
        "indicators", help="every county's assessment indicators for a year (domain.md §12)")
    indicators.add_argument("year", type=_year, help="the year, e.g. 2025")
    indicators.add_argument("--format", choices=("table", "json"), default="table")
    indicators.add_argument("--refresh", action="store_true",
                            help="catch every county's figures up with its log first")
    indicators.set_defaults(run=_indicators, without_app=True)


def _indicators(settings: Settings, args: argparse.Namespace) -> int:
    if args.county:
        print("错误：省级汇总不针对单个县，请去掉 --county", file=sys.stderr)
        return 2
    with Deployment(settings) as deployment:
        if not deployment.counties():
            print("本部署尚无登记的县：fangpin county add 130630 涞源县", file=sys.stderr)
            return 1
        figures = ProvincialFigures(deployment.province())
        if args.refresh:
            catch_up_all(deployment, figures, year=args.year)
        counties = figures.figures(args.year)
        if args.format == "json":
            drilled = [figures.county_result(c.code, args.year) for c in counties]
            print(json.dumps({"year": args.year,
                              "counties": [county_json(c) for c in drilled if c is not None]},
                             ensure_ascii=False, indent=2))
            return 0
        missing = [c for c in deployment.counties() if c.code not in {f.code for f in counties}]
    _print_table(args.year, counties)
    for county in missing:
        print(f"  {county.code} {county.name}：尚无 {args.year} 年的数据（--refresh 计算）")
    return 0


def _print_table(year: int, counties: list[CountyFigures]) -> None:
    """Indicators down, counties across: numerator/denominator and rate as `fangpin
    indicators` prints them; then each county's position, digest and counts."""
    print(f"{year} 年各县考核指标（省级汇总，各县数据即其本县结果）")
    if not counties:
        return
    width = max(22, *(display_width(f"{c.code} {c.name}") for c in counties))
    print("  " + _left("指标", 20) + "".join("  " + _right(f"{c.code} {c.name}", width)
                                          for c in counties))
    for indicator in INDICATORS:
        cells = []
        for county in counties:
            figure = county.figure(indicator.code)
            shown, rate = figure_text(figure) if figure is not None else ("—", "")
            cells.append("  " + _right(f"{shown} {rate:>7}", width))
        print("  " + _left(indicator.name, 20) + "".join(cells))
    print("各县监测对象、超期未认定与日志位置：")
    for county in counties:
        objects = "，".join(f"{k} {v}" for k, v in county.monitoring_objects.items()) or "无"
        print(f"  {county.code} {county.name}  监测对象：{objects}  超期未认定 {county.overdue_cases}")
        print(f"    日志位置 {county.position}  数据截至 {beijing(county.as_of)}（北京时间）"
              f"  评价日 {county.evaluated_on}  输入摘要 {county.digest}")
        print(f"    复核：fangpin province indicators {year} --format json 中该县的 result 存为文件，"
              f"fangpin --county {county.code} verify 文件")


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def _right(text: str, width: int) -> str:
    return " " * max(0, width - display_width(text)) + text


def _year(text: str) -> int:
    if not (len(text) == 4 and text.isdigit()):
        raise argparse.ArgumentTypeError(f"不是年份：{text}（如 2025）")
    return int(text)


PROVINCE_COMMANDS = (add_province_indicators, _add_people, _add_import)
