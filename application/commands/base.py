"""What every command on one household is: a typed body with a stable name, the roles that may
send it, and how it runs on the household — and what the recording adds (who, when, which id).

A command's fields are declared once, on its Struct: the API decodes its body into it, the
workbench builds its form from it, the application runs it, the demo builds it. A few fields are
named in a route's path rather than in its body (the member, the measure): `request_body` is the
command less those, made from the command's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar

import msgspec

from application.commands.fields import Body
from domain.codes import Role
from domain.deadlines import APPEAL_DAYS
from domain.household import Household
from domain.relief import ReliefBands
from domain.values import Actor

#: Who may send a command (areas are checked apart, `application.accounts.access`).
COUNTY = frozenset({Role.COUNTY_CENTRE})
COUNTY_AND_TOWNSHIP = frozenset({Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION})
LOCAL = frozenset({Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION, Role.VILLAGE_LIAISON})
#: A measure's own commands: also the department the measure is assigned to (domain.md §2).
MEASURE_HOLDERS = COUNTY_AND_TOWNSHIP | {Role.DEPARTMENT}


@dataclass(frozen=True)
class Recording:
    """What the recording adds to a command: who sends it, when it is recorded, the client's
    command id (a repeat of it records nothing), the income line in force on the command's
    day for the commands that weigh income (`HouseholdCommand.weighs_income`) and the 防贫保
    payout bands in force on its day for a payout (`HouseholdCommand.weighs_relief`)."""

    by: Actor
    at: datetime
    command_id: str = ""
    line_in_force: Decimal | None = None
    relief_bands: ReliefBands | None = None
    #: The county's appeal answer deadline in days (`application.deadlines`, deadlines.toml).
    appeal_answer_days: int = APPEAL_DAYS


class HouseholdCommand(Body, kw_only=True):
    """A command on one registered household.

    ``name`` is the command's stable name: permissions and recorded command ids carry it, so it
    never changes. Every command has an ``occurred_on`` (the day it happened), declared last on
    each so that the bodies keep their field order.
    """

    #: The stable name (a permission; part of every command id recorded by the API).
    name: ClassVar[str]
    #: The roles that may send it.
    roles: ClassVar[frozenset[Role]]
    #: Fields named in the route's path, not in the body (a member's ID number, a measure's id).
    path_fields: ClassVar[tuple[str, ...]] = ()
    #: (field, prefix) of the record it creates, named by the caller or made up at the edge.
    new_record: ClassVar[tuple[str, str] | None] = None
    #: Whether it needs the income line in force on its day (`Recording.line_in_force`).
    weighs_income: ClassVar[bool] = False
    #: Whether it needs the 防贫保 payout bands in force on its day (`Recording.relief_bands`).
    weighs_relief: ClassVar[bool] = False
    #: A command on one measure (its ``measure_id``) that a department may send for the
    #: measures assigned to it, and for no other (`User.require_household`).
    on_assigned_measure: ClassVar[bool] = False
    #: The body it shares with another command, if any (steps 3 and 4 of elimination).
    shared_body: ClassVar[type[Body] | None] = None

    def run(self, household: Household, on: Recording) -> Any:
        """Ask the household to do it; what it answers (an alert's outcome, an assessment…)."""
        raise NotImplementedError

    def attachment_digests(self) -> list[str]:
        """The evidence files it names (field ``attachments``): each must have been uploaded."""
        return []

    #: Optional fields added to the command later: left out of an Idempotency-Key's digest
    #: while they hold their default, so a request sent before they existed still replays.
    added_fields: ClassVar[tuple[str, ...]] = ()

    def digest_fields(self) -> dict[str, Any]:
        """The fields an Idempotency-Key's digest covers: as the household method takes them
        (keys sent before commands were typed, or before a field was added, still replay)."""
        fields = msgspec.structs.asdict(self)
        if self.added_fields:
            defaults = {f.name: f.default for f in msgspec.structs.fields(self)}
            for name in self.added_fields:
                if fields[name] == defaults[name]:
                    del fields[name]
        return fields


@cache
def request_body(command: type[HouseholdCommand]) -> type[Body]:
    """The body a caller sends for ``command``: the command itself, or — when some of its fields
    are named in the path — a Struct of the same name with the other fields, made from the
    command's own (their types, bounds, defaults and order)."""
    if command.shared_body is not None:
        return command.shared_body
    if not command.path_fields:
        return command
    fields = []
    for info in msgspec.structs.fields(command):
        if info.name in command.path_fields:
            continue
        if info.default_factory is not msgspec.NODEFAULT:
            fields.append((info.name, info.type, msgspec.field(default_factory=info.default_factory)))
        elif info.default is not msgspec.NODEFAULT:
            fields.append((info.name, info.type, info.default))
        else:
            fields.append((info.name, info.type))
    body = msgspec.defstruct(command.__name__, fields, bases=(Body,), module=command.__module__,
                             kw_only=True, forbid_unknown_fields=True)
    body.__doc__ = command.__doc__
    return body


def command_from(command: type[HouseholdCommand], body: Body, **path: str) -> HouseholdCommand:
    """The command from its request body and the fields named in the path."""
    if type(body) is command and not path:
        return body
    return command(**msgspec.structs.asdict(body), **path)
