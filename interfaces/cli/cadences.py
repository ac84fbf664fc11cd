"""``fangpin cadences adopt|show``: the department push cadence table the county judges by.

The table is data (``application/cadences.toml`` or ``FANGPIN_CADENCES``). It is recorded in
the log when the server starts, or here: computing figures never records it (a read writes
nothing), so a county that changes the file and only reads from the command line adopts it here.
"""

from __future__ import annotations

import argparse
from typing import Any

from application.app import CaseFiles
from application.indicators import Cadences, Indicators
from domain.rules import CHINA_TIME
from interfaces.cli.common import CLI_USER


def add_cadences(commands: Any) -> None:
    cadences = commands.add_parser("cadences", help="the department push cadence table in force")
    cadence_commands = cadences.add_subparsers(title="cadences commands")
    adopt = cadence_commands.add_parser(
        "adopt", help="record the table given (FANGPIN_CADENCES) as the one in force from now")
    adopt.set_defaults(run=_adopt)
    show = cadence_commands.add_parser("show", help="the tables recorded, the one in force last")
    show.set_defaults(run=_show)


def _adopt(app: CaseFiles, args: argparse.Namespace) -> int:
    given = Cadences.load(app.settings.cadences_path)
    if Indicators(app, cadences=given).adopt_cadences(by=CLI_USER):
        print(f"已记录推送频次表 {given.digest[:12]}（{given.source}），自现在起据此评价部门推送")
    else:
        print(f"推送频次表 {given.digest[:12]}（{given.source}）已是现行版本，未作记录")
    return 0


def _show(app: CaseFiles, args: argparse.Namespace) -> int:
    governance = app.governance()
    tables = governance.cadence_tables if governance else []
    if not tables:
        print("日志中尚未记录推送频次表（服务启动时或 fangpin cadences adopt 记录）")
        return 1
    for table in tables:
        print(f"{table.adopted_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}  {table.digest}")
    given = Cadences.load(app.settings.cadences_path)
    if given.digest != tables[-1].digest:
        print(f"所给的表 {given.digest[:12]}（{given.source}）与现行版本不同：fangpin cadences adopt 记录它")
    return 0
