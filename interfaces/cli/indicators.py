"""``fangpin indicators`` (the assessment indicators of a period) and ``fangpin verify``
(recompute a published result from the log)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from application.app import CaseFiles
from application.indicators import Cadences, Indicators, Scope
from application.results import result_json
from domain.indicators import Figure
from domain.rules import CHINA_TIME
from interfaces.cli.common import as_of, clear_progress, department, write
from interfaces.cli.lists import add_format, print_rows, show_rows
from projections.runner import Projections


def add_indicators(commands: Any) -> None:
    indicators = commands.add_parser(
        "indicators", help="assessment indicators for a year, quarter or month (domain.md §12)")
    indicators.add_argument("period", help="2025, 2025-Q1 or 2025-03")
    area = indicators.add_mutually_exclusive_group()
    area.add_argument("--township")
    area.add_argument("--department", type=department)
    indicators.add_argument("--as-of", type=as_of,
                            help="as the log stood at this recorded time or date (end of day)")
    indicators.add_argument("--position", type=int, help="with --as-of: the log position to stop at")
    indicators.add_argument("--indicator", help="list the cases behind this indicator")
    add_format(indicators, ("table", "csv", "json", "xlsx"))
    indicators.add_argument("--output", help="file to write (json or xlsx); default standard output")
    indicators.set_defaults(run=_indicators)


def add_verify(commands: Any) -> None:
    verify = commands.add_parser("verify", help="recompute a published indicator result (its JSON)")
    verify.add_argument("result", help="the JSON of `fangpin indicators --format json` or the API")
    verify.set_defaults(run=_verify)


def indicator_service(app: CaseFiles, projections: Projections | None = None) -> Indicators:
    """The indicators over the log (and the read models, when open), saying on a terminal how
    far a recomputation from the log has read."""
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
        result = indicator_service(app, projections).compute(
            args.period, scope=scope, as_of=args.as_of, position=args.position, detail=detail)
        clear_progress()
    if args.format == "json":
        write(json.dumps(result_json(result), ensure_ascii=False, indent=2) + "\n", args.output)
        return 0
    if args.format == "xlsx":
        from application.notices import load_notice_terms
        from application.reports import indicator_report
        from interfaces.xlsx import report_workbook

        county = load_notice_terms(app.settings.notices_path).county
        path = args.output or f"fangpin-indicators-{result.period.label}.xlsx"
        with open(path, "wb") as out:
            out.write(report_workbook(indicator_report(result, county)))
        print(f"已写入 {path}")
        return 0
    figures = [{"area": f.area.name, "indicator": f.indicator.name, "figure": figure_text(f)[0],
                "rate": figure_text(f)[1], "numerator": f.numerator,
                "denominator": f.denominator if f.indicator.kind == "rate" else None}
               for f in result.figures]
    items = [{"key": i.key, "figure": f"{i.numerator}/{i.denominator}", "note": i.note}
             for i in result.items]
    if args.format == "csv":  # the cases behind the indicator when one is named, else the figures
        print_rows(*((items, ITEM_COLUMNS) if detail is not None else (figures, FIGURE_COLUMNS)), "csv")
        return 0
    print(f"{result.period.label} 考核指标（{scope.name}）  "
          f"数据截至 {result.as_of.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}（北京时间）"
          f"  日志位置 {result.position}  评价日 {result.evaluated_on}")
    print(f"输入摘要 {result.digest}")
    show_rows(figures, FIGURE_COLUMNS[:4], "table")
    if detail is not None:
        show_rows(items, ITEM_COLUMNS, "table", f"{args.indicator}（{scope.name}）的明细：")
    return 0


#: The figures' columns (the table shows the first four; csv adds the numbers apart).
FIGURE_COLUMNS = (("area", "地区或部门"), ("indicator", "指标"), ("figure", "分子/分母或数量"),
                  ("rate", "比率"), ("numerator", "分子"), ("denominator", "分母"))
ITEM_COLUMNS = (("key", "户编号#案件"), ("figure", "计入"), ("note", "说明"))


def figure_text(figure: Figure) -> tuple[str, str]:
    """A figure as printed: numerator/denominator (a count: the number) and the rate as a
    percentage (— when there is none)."""
    rate = f"{figure.rate:.1%}" if figure.rate is not None else "—"
    if figure.indicator.kind == "rate":
        return f"{figure.numerator}/{figure.denominator}", rate
    return str(figure.numerator), rate


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
    check = indicator_service(app).verify(published)
    if check.matches:
        print(f"一致：按日志位置 {check.position}、时点 {check.as_of.isoformat()} 复算，"
              f"摘要 {check.recomputed_digest}")
        return 0
    print("不一致：")
    for difference in check.differences:
        print(f"  {difference}")
    return 1
