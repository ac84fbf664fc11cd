"""``fangpin notices show|publish``: a village's public notice (公示, domain.md §13) for a notice
period — as text, JSON, the printed page (HTML) or a workbook — and publishing it, which records
on each case it lists the period and the SHA-256 of the printed page (`interfaces.notices`).

    fangpin notices show identification --township 银坊镇 --village 银坊村 --from 2026-12-07 \\
            --format html --output 公示.html          # prints the page's SHA-256
    fangpin notices publish identification --township 银坊镇 --village 银坊村 \\
            --from 2026-12-07 --to 2026-12-11 --digest <SHA-256 of the page posted>
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

import msgspec

from application.app import CaseFiles
from application.notices import load_notice_terms
from domain.notices import Notice, NoticeKind
from interfaces.cli.common import CLI_USER, cli_reader, log_read
from interfaces.http.notices import notice_out, publish_for
from interfaces.notices import notice_for, notice_workbook, page_digest, print_page
from projections.queries import ReadModels
from projections.runner import Projections


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"不是日期：{text}（如 2026-12-07）") from None


def add_notices(commands: Any) -> None:
    group = commands.add_parser("notices", help="public notices (公示): show, print, publish")
    group_commands = group.add_subparsers(title="notices")
    for name, run, text in (("show", _show, "a village's notice for a notice period"),
                            ("publish", _publish, "record the notice posted on each of its cases")):
        command = group_commands.add_parser(name, help=text)
        command.add_argument("kind", choices=[k.value for k in NoticeKind],
                             help="identification: 村级评议公示; elimination: 风险消除公示")
        command.add_argument("--township", required=True)
        command.add_argument("--village", required=True)
        command.add_argument("--from", dest="notice_from", type=_day, required=name == "publish",
                             help="公示开始日期（show 默认今天）")
        command.add_argument("--to", dest="notice_to", type=_day, required=name == "publish",
                             help="公示结束日期（show 默认最短公示期）")
        command.set_defaults(run=run)
    show = group_commands.choices["show"]
    show.add_argument("--format", choices=("text", "json", "html", "xlsx"), default="text")
    show.add_argument("--output", help="file to write (html/xlsx: default 公示-<村>-<日期>.<格式>)")
    group_commands.choices["publish"].add_argument(
        "--digest", required=True, help="所张贴页面的 SHA-256（show --format html 打印的）")


def _notice(app: CaseFiles, args: argparse.Namespace, route: str) -> Notice:
    with Projections(app) as projections:
        projections.catch_up()
        notice = notice_for(app, ReadModels(projections.store, app.clock),
                            load_notice_terms(app.settings.notices_path), cli_reader(),
                            NoticeKind(args.kind), args.township, args.village, args.notice_from,
                            args.notice_to)
    for case in notice.cases:
        log_read(app, case.household_code, route)
    return notice


def _show(app: CaseFiles, args: argparse.Namespace) -> int:
    notice = _notice(app, args, "cli notices show")
    content = notice.content
    if args.format in ("html", "xlsx"):
        data = print_page(content) if args.format == "html" else notice_workbook(content)
        path = args.output or f"公示-{content.village}-{content.notice_from:%Y%m%d}.{args.format}"
        with open(path, "wb") as out:
            out.write(data)
        print(f"已写入 {path}")
        if args.format == "html":
            print(f"SHA-256 {page_digest(data)}（发布时填写 --digest）")
        return 0
    if args.format == "json":
        sys.stdout.write(msgspec.json.encode(notice_out(notice, f"/api/notices/{args.kind}")).decode()
                         + "\n")
        return 0
    print(content.title)
    print(content.period_text + ("（已发布）" if notice.published else ""))
    print("  ".join(content.columns))
    for row in content.table():
        print("  ".join(row))
    print(f"共 {len(content.rows)} 户；打印页 SHA-256 {page_digest(print_page(content))}")
    return 0


def _publish(app: CaseFiles, args: argparse.Namespace) -> int:
    notice = _notice(app, args, "cli notices publish")
    answer = publish_for(app, CLI_USER, notice, args.digest.strip().lower())
    what = "已发布过，未重复记录" if answer.repeated else f"已在 {len(answer.cases)} 个案件上记录"
    print(f"{notice.content.title}（{answer.notice_from}至{answer.notice_to}）{what}；"
          f"SHA-256 {answer.digest}")
    return 0
