"""``fangpin household show|history``: one household's case file, now or as it stood."""

from __future__ import annotations

import argparse
from datetime import UTC
from typing import Any

import msgspec

from application.app import CaseFiles
from domain.identity import mask_id_number
from domain.rules import CHINA_TIME
from interfaces.cli.common import cli_reader, log_read, moment, plain


def add_household(commands: Any) -> None:
    household = commands.add_parser("household", help="read one household's case file")
    household_commands = household.add_subparsers(title="household commands")
    show = household_commands.add_parser("show", help="the case file now, as of a time or version")
    show.add_argument("code")
    when = show.add_mutually_exclusive_group()
    when.add_argument("--as-of", type=moment, help="recorded time, e.g. 2025-06-30T18:00+08:00")
    when.add_argument("--version", type=int)
    show.set_defaults(run=_show_household)
    history_ = household_commands.add_parser("history", help="every recorded fact in order")
    history_.add_argument("code")
    add_history_format(history_)
    history_.set_defaults(run=history, route="cli: household history")


def _show_household(app: CaseFiles, args: argparse.Namespace) -> int:
    log_read(app, args.code, "cli: household show")
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
        if case.included_late:
            late = f"（超时 {case.days_to_inclusion} 天）"
        print(f"  案件 {case.number}：{case.stage} 发现于 {case.opened_on} "
              f"风险 {'、'.join(case.risk_types)} 类别 {case.category or '—'}{late}")
    for measure in household.measures.values():
        follow_up = "（脱贫户持续跟踪）" if measure.follow_up else ""
        print(f"  措施 {measure.measure_id}{follow_up}：{measure.measure_type} {measure.status} "
              f"{measure.department} {measure.responsible_person}")
    for title, people in (("网格员", household.grid_workers), ("帮扶责任人", household.helpers)):
        for a in people:
            until = f"至 {a.ended_on}" if a.ended_on else "至今"
            unit = f"{a.unit}，" if a.unit else ""
            print(f"  {title} {a.name}（{unit}{a.phone}）{a.assigned_on} {until}")
    print(f"  走访 {len(household.visits)} 次，收入核算 {len(household.assessments)} 次")
    return 0


def add_history_format(parser: argparse.ArgumentParser) -> None:
    """How a history prints: sentences (the web timeline's), or the raw fields for auditors."""
    parser.add_argument("--format", choices=("text", "raw", "json"), default="text",
                        help="text: 每条一句话（与工作台时间线相同）；raw: 原始字段，每条一行；"
                             "json: 原始字段与句子，供脚本与审计")
    parser.add_argument("--raw", dest="format", action="store_const", const="raw",
                        help="同 --format raw")


def history(app: CaseFiles, args: argparse.Namespace) -> int:
    """A household's recorded facts in order (``fangpin household history`` and, up to a
    recorded time, ``fangpin audit history``): each as the sentence the workbench's timeline
    says, with when it was recorded and by whom; ``--raw`` / ``--format json`` keep the
    recorded fields. ID numbers show as the command line's reader (the county centre) sees them."""
    as_of = getattr(args, "as_of", None)
    log_read(app, args.code, args.route)
    entries = [entry for entry in app.history(args.code)
               if as_of is None or entry.recorded_at <= as_of]  # not recorded after the time asked
    form = getattr(args, "format", "text")
    if form == "raw":
        for entry in entries:
            who = f"{entry.recorded_by.role}/{entry.recorded_by.user_id}" if entry.recorded_by else ""
            details = "，".join(
                f"{k}={plain(v)}" for k, v in entry.details.items() if v not in (None, "", ())
            )
            print(f"{entry.version:>4} 发生 {entry.occurred_on} 记录 "
                  f"{entry.recorded_at.astimezone(UTC):%Y-%m-%d %H:%M} {who} {entry.event} {details}")
        return 0
    from interfaces.http.views import Masker, history_entries  # the web timeline's sentences

    said = history_entries(entries, Masker(cli_reader()))
    if form == "json":
        print(msgspec.json.encode(said).decode())
        return 0
    for entry in said:
        recorded = f"{entry.recorded_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"
        by = f"，{entry.recorded_by.user}" if entry.recorded_by else ""
        print(f"{entry.version:>4}  {entry.sentence}（记录于 {recorded}{by}）")
    if said:
        print("（记录时间为北京时间；原始字段见 --raw 或 --format json）")
    return 0
