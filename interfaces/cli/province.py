"""``fangpin province …``: the province above the counties of a deployment.

    fangpin province indicators 2025 [--format table|json] [--refresh]
        every county's §12 indicators for the year (counties × indicators), each with the log
        position and digest it was computed at; ``--refresh`` catches every county up first.
        A county's figures are its own result: ``--format json`` carries each county's
        published result, which ``fangpin --county CODE verify RESULT.json`` recomputes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from application.province import Deployment
from application.province.figures import CountyFigures, ProvincialFigures, catch_up_all, county_json
from application.settings import Settings
from application.workbooks import display_width
from domain.indicators.definitions import INDICATORS
from interfaces.cli.common import beijing
from interfaces.cli.indicators import figure_text

#: The ``province`` subcommands, each added by a function of its own.
PROVINCE_COMMANDS: tuple[Callable[[Any], None], ...]


def add_province(commands: Any) -> None:
    province = commands.add_parser("province", help="the province above the counties: indicators")
    province_commands = province.add_subparsers(title="province")
    for add in PROVINCE_COMMANDS:
        add(province_commands)


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
            catch_up_all(deployment, figures)
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


PROVINCE_COMMANDS = (add_province_indicators,)
