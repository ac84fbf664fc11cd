"""The household commands are declared once for the API's routes and the workbench's forms."""

from __future__ import annotations

import typing

from interfaces.http.commands import COMMAND_HANDLERS
from interfaces.http.household_commands import HOUSEHOLD_COMMANDS


def test_each_household_route_takes_the_body_its_command_declares() -> None:
    routes = {}
    for handler in COMMAND_HANDLERS:
        path = next(iter(handler.paths))
        if path.startswith("/api/households/{code:str}/"):
            hints = typing.get_type_hints(handler.fn, include_extras=True)
            routes[handler.opt["command"]] = typing.get_args(hints["data"])[0]
    assert routes == {command: spec.body for command, spec in HOUSEHOLD_COMMANDS.items()}
