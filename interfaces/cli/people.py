"""``fangpin people duplicates|rebuild``: the person index (who belongs to which household).

A person is in one household at a time (domain.md §3); new commands are refused otherwise. A
log written before that rule may still put someone in two households at once: ``duplicates``
lists them as recorded (for the townships to sort out by a member leaving one household),
``rebuild`` fills the index again from the log (done by itself when the index is empty).
"""

from __future__ import annotations

import argparse
from typing import Any

from application.app import CaseFiles
from interfaces.cli.common import log_read


def add_people(commands: Any) -> None:
    people = commands.add_parser("people", help="who belongs to which household: duplicates, rebuild")
    people_commands = people.add_subparsers(title="people")
    duplicates = people_commands.add_parser(
        "duplicates", help="people the log puts in two households at once (recorded before the rule)")
    duplicates.set_defaults(run=_duplicates)
    rebuild = people_commands.add_parser("rebuild", help="fill the person index again from the log")
    rebuild.set_defaults(run=_rebuild)


def _duplicates(app: CaseFiles, args: argparse.Namespace) -> int:
    found = app.people.duplicates()
    if not found:
        print("没有人同时在两户以上：每人至多属于一户")
        return 0
    people = sorted({m.id_number for m in found})
    print(f"{len(people)} 人同时是两户以上的在册成员（均为此规则实施前记录的，已如实保留，未作更改）："
          "请由相关乡镇核实，在不应属于的农户办理成员减少")
    for id_number in people:
        print(id_number)
        for membership in (m for m in found if m.id_number == id_number):
            household = app.household(membership.household_id)
            log_read(app, household.code, "cli: people duplicates")
            name = household.members[id_number].name
            since = ("随户登记" if membership.registered_with else "加入") + f" {membership.member_since}"
            later = "（后记录）" if membership.recorded_duplicate else "（先记录）"
            print(f"  {household.code} {household.township}{household.village} {name} {since}{later}")
    return 0


def _rebuild(app: CaseFiles, args: argparse.Namespace) -> int:
    rebuilt = app.rebuild_person_index()
    print(f"人员索引已按日志重建：{rebuilt.memberships} 条成员记录")
    if rebuilt.duplicates:
        print(f"其中 {rebuilt.duplicates} 条是在本人已属于另一户时记录的（此规则实施前），"
              "已如实保留：见 fangpin people duplicates")
    return 0
