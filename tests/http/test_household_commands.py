"""The household commands are declared once (`application.commands`): the API's routes, the
workbench's forms and the permissions all come from the one list."""

from __future__ import annotations

import typing
from typing import Any

import msgspec
import pytest

from application.accounts.access import COMMAND_ROLES, User
from application.commands import HOUSEHOLD_COMMANDS, HouseholdCommand, request_body
from domain.codes import Role
from interfaces.http.commands import COMMAND_HANDLERS
from interfaces.http.household_commands import household_command
from interfaces.web.household import COMMAND_FORMS
from tests.builders import STATED_MEMBER


def _household_routes() -> dict[str, Any]:
    return {handler.opt["command"]: handler for handler in COMMAND_HANDLERS
            if next(iter(handler.paths)).startswith("/api/households/{code:str}/")}


def test_each_household_route_takes_the_body_its_command_declares() -> None:
    routes = {}
    for command, handler in _household_routes().items():
        hints = typing.get_type_hints(handler.fn, include_extras=True)
        routes[command] = typing.get_args(hints["data"])[0]
    assert routes == {command.name: request_body(command) for command in HOUSEHOLD_COMMANDS}


def test_every_command_has_one_name_a_route_a_form_and_its_roles() -> None:
    names = [command.name for command in HOUSEHOLD_COMMANDS]
    assert len(set(names)) == len(names)
    routes = _household_routes()
    assert set(routes) == set(names)
    assert all(routes[command.name].opt["type"] is command for command in HOUSEHOLD_COMMANDS)
    assert list(COMMAND_FORMS) == names
    assert all(COMMAND_FORMS[command.name].command is command for command in HOUSEHOLD_COMMANDS)
    assert all(COMMAND_ROLES[command.name] == command.roles for command in HOUSEHOLD_COMMANDS)


@pytest.mark.parametrize("command", HOUSEHOLD_COMMANDS, ids=lambda c: c.name)
def test_the_path_names_what_the_body_leaves_out(command: type[HouseholdCommand]) -> None:
    path = next(iter(_household_routes()[command.name].paths))
    named = tuple(part[1:-1].split(":")[0] for part in path.split("/")
                  if part.startswith("{") and not part.startswith("{code"))
    assert named == command.path_fields
    fields = command.__struct_fields__
    assert request_body(command).__struct_fields__ == tuple(f for f in fields if f not in named)
    assert fields[-1] == "occurred_on"


class _Recorder:
    """Stands in for the application: keeps the command id each command is sent with."""

    def __init__(self) -> None:
        self.sent: list[tuple[HouseholdCommand, str]] = []

    def execute(self, code: str, command: HouseholdCommand, *, command_id: str, **_: Any) -> None:
        self.sent.append((command, command_id))


#: Command ids the API recorded for these requests before commands were typed: a key sent
#: then and again now must still be answered as a repeat.
RECORDED = [
    ("join_member", {"member": {"name": "王小红", "id_number": "130630201001010021", "relation": "女",
                                **STATED_MEMBER},
                     "reason": "出生", "occurred_on": "2025-03-01"}, {}, "4e9f8e680ca79103"),
    ("update_member", {"changes": {"health": "患有大病"}, "occurred_on": "2025-03-01"},
     {"id_number": "130630197005040011"}, "72973bf220cfc2c8"),
    ("leave_member", {"reason": "死亡", "occurred_on": "2025-03-01"},
     {"id_number": "130630197005040011"}, "206a52ff07c0e21d"),
    ("raise_alert", {"channel": "农户自主申报", "person_id_number": "130630197005040011",
                     "risk_types": ["因病"], "occurred_on": "2025-03-01"}, {}, "1fb11be261a52ed7"),
    ("end_measure", {"reason": "完成", "occurred_on": "2025-03-01"}, {"measure_id": "M1"},
     "b56e3ef8f814cef6"),
    ("record_visit", {"visitor": "网格员", "checks": {"不愁吃": True}, "occurred_on": "2025-03-01"}, {},
     "572028dfea3fe3a7"),
    # sent before the commands gained an optional field (reason, per_capita_income)
    ("assign_measure", {"measure_id": "M1", "measure_type": "健康帮扶", "department": "卫健局",
                        "responsible_person": "王医生", "occurred_on": "2025-03-01"}, {},
     "307e77a2e6ac7e32"),
    ("analyse_risk", {"causes": ["因病"], "labour_capacity": "普通劳动力", "needs": ["健康帮扶"],
                      "occurred_on": "2025-03-01"}, {}, "a76d2a603f52d6fb"),
    # sent before objections carried their outcomes: without any, and with one as its text
    ("conclude_village_deliberation", {"case_number": 1, "decision": "通过",
                                       "notice_from": "2025-03-02", "notice_to": "2025-03-06",
                                       "occurred_on": "2025-03-07"}, {}, "99f05a260d6f9448"),
    ("conclude_village_deliberation", {"case_number": 1, "decision": "通过",
                                       "notice_from": "2025-03-02", "notice_to": "2025-03-06",
                                       "objections": ["村民反映该户有经营性货车"],
                                       "occurred_on": "2025-03-07"}, {}, "c459dd56f7b83d55"),
    ("conclude_elimination_notice", {"decision": "通过", "notice_from": "2025-03-02",
                                     "notice_to": "2025-03-06", "occurred_on": "2025-03-07"}, {},
     "7ef76775f28ae495"),
]


@pytest.mark.parametrize(("name", "body", "path", "digest"), RECORDED, ids=[r[0] for r in RECORDED])
def test_a_key_sent_before_typed_commands_names_the_same_command(
        name: str, body: dict[str, Any], path: dict[str, str], digest: str) -> None:
    command_type = next(c for c in HOUSEHOLD_COMMANDS if c.name == name)
    data = msgspec.convert(body, request_body(command_type))
    command = command_type(**msgspec.structs.asdict(data), **path)
    app = _Recorder()
    household_command(User("county-01", Role.COUNTY_CENTRE), app, "130630101001",  # type: ignore[arg-type]
                      command, key="k-1", path="/api/x")
    assert app.sent[0][1] == f"user:county-01:{name}:k-1#{digest}"
