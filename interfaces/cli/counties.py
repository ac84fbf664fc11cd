"""``fangpin county add|list``: the counties of a many-county deployment, each in its own store.

``fangpin --county 130630 <command>`` (or ``FANGPIN_COUNTY=130630``) runs any other command on
that county's store: its users, demo, imports, indicators, audit.
"""

from __future__ import annotations

import argparse
from typing import Any

from application.province import Deployment
from application.settings import Settings
from interfaces.cli.common import beijing


def add_county(commands: Any) -> None:
    county = commands.add_parser("county", help="the counties this deployment serves: add, list")
    county_commands = county.add_subparsers(title="county")
    add = county_commands.add_parser("add", help="give a county a store of its own")
    add.add_argument("code", help="6位行政区划代码，如 130630")
    add.add_argument("name", help="县名，如 涞源县")
    add.set_defaults(run=_add, without_app=True)
    listed = county_commands.add_parser("list", help="the counties, with where each is kept")
    listed.set_defaults(run=_list, without_app=True)


def _add(settings: Settings, args: argparse.Namespace) -> int:
    with Deployment(settings) as deployment:
        county = deployment.add(args.code, args.name)
        store = deployment.county_settings(county.code)
    print(f"已添加 {county.code} {county.name}：存储 {store.describe()}")
    print(f"  其用户：fangpin --county {county.code} users add NAME --role county")
    print(f"  其网址：/c/{county.code}/web/ 与 /c/{county.code}/api/…（fangpin serve）")
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    with Deployment(settings) as deployment:
        counties = deployment.counties()
        if not counties:
            print("本部署尚无登记的县（单县部署）：fangpin county add 130630 涞源县")
            return 0
        print("县代码\t县名\t添加时间（北京时间）\t存储")
        for county in counties:
            store = deployment.county_settings(county.code)
            print(f"{county.code}\t{county.name}\t{beijing(county.added_at)}\t{store.describe()}")
    return 0
