"""``fangpin province …``: the province above the counties of a deployment.

    fangpin province people catch-up | rebuild     the provincial person index (who is a member
                                                   where, in every county), from the counties' logs
    fangpin province import alerts FILE --department 医保局 --period 2025-03 [--batch ID]
                                                   a provincial department's push, routed to the
                                                   county of each person (省级推送)

Each subgroup is added by one function of `PROVINCE_COMMANDS`; a new one goes there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from application.province import Deployment
from application.province.people import ProvincialPeople
from application.settings import Settings
from interfaces.cli.common import CLI_USER, department


def add_province(commands: Any) -> None:
    province = commands.add_parser("province", help="the province above the counties: people, imports")
    groups = province.add_subparsers(title="province")
    for add in PROVINCE_COMMANDS:
        add(groups)


def _add_people(groups: Any) -> None:
    people = groups.add_parser("people", help="the provincial person index: catch-up, rebuild")
    people_commands = people.add_subparsers(title="province people")
    catch_up = people_commands.add_parser("catch-up", help="follow every county's log to its end")
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
PROVINCE_COMMANDS: tuple[Callable[[Any], None], ...] = (_add_people, _add_import)


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
