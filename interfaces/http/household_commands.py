"""How a command on one household runs, whoever sends it: the API's handlers and the
workbench's forms both call `household_command` with the command (`application.commands`),
and `register_household` to register one.

What only the edge decides is decided here (who may raise which alert, the ids of new records,
the command id from the Idempotency-Key); the application runs the command (`CaseFiles.execute`),
with the caller's area checked on the live household, under its lock, before anything is
recorded. An Idempotency-Key makes a repeat answer as the first time and record nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import msgspec

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.commands import HouseholdCommand, RaiseAlert, RegisterHousehold
from application.unit_of_work import CommandResult, retrying
from domain.codes import Channel, Role
from domain.errors import InvalidValue, RuleViolation
from domain.household import Household
from domain.people import PersonInAnotherHousehold
from interfaces.http.limits import check_values


def command_id(user: User, key: str | None, command: str, request: Any = None) -> str:
    """The command id recorded with the events: the caller's key, scoped to the caller and the
    command (the same key on another command is another command, never a false repeat), and,
    given the request, a digest of it after ``#`` (see `refuse_reused_key`)."""
    if key is None:
        return ""
    key = key.strip()
    if not key or not key.isprintable() or "#" in key:
        raise InvalidValue("IDEMPOTENCY_KEY", "Idempotency-Key 须为非空可见字符，且不含“#”",
                           "Idempotency-Key")
    base = f"user:{user.name}:{command}:{key}"
    if request is None:
        return base
    digest = hashlib.sha256(msgspec.json.encode(request, order="sorted")).hexdigest()[:16]
    return f"{base}#{digest}"


def refuse_reused_key(household: Household, command_id: str) -> None:
    """A key already used on this household for a *different* request of the same command is
    refused, rather than answered as a repeat of the first (which would drop the second)."""
    base, _, _ = command_id.rpartition("#")
    if base and command_id not in household.command_ids and any(
            recorded.startswith(base + "#") for recorded in household.command_ids):
        raise RuleViolation("IDEMPOTENCY_KEY_REUSED",
                            "此 Idempotency-Key 已用于内容不同的同一操作，请换一个键", "Idempotency-Key")


def new_id(prefix: str, user: User, path: str, key: str | None) -> str:
    """An id for a new alert, measure, visit…; with an Idempotency-Key it is derived from the
    caller, the request's path and the key, so a repeat names the same record."""
    if key is None:
        return f"{prefix}-{uuid4().hex[:12]}"
    seed = f"{user.name}:{path}:{key}".encode()
    return f"{prefix}-{hashlib.sha256(seed).hexdigest()[:12]}"


def body_fields(data: msgspec.Struct, **replace: Any) -> dict[str, Any]:
    values = msgspec.structs.asdict(data)
    values.update(replace)
    return values


def as_sent(user: User, command: HouseholdCommand, new_id: Callable[[str], str]) -> HouseholdCommand:
    """The command as the edge lets it through: a department's alert only from the county
    centre (departments push, `interfaces.http.pushes`), an alert id never in the form kept for
    pushes, and a new record named (``new_id(prefix)``) when the caller gave it no id."""
    if isinstance(command, RaiseAlert):
        if command.channel is Channel.DEPARTMENT_ALERT and user.role is not Role.COUNTY_CENTRE:
            raise AccessDenied("CHANNEL_FORBIDDEN",
                               "部门筛查预警须由部门推送（/api/pushes）或县防贫中心代录", "channel")
        if command.alert_id is not None and ":" in command.alert_id:
            raise InvalidValue("ALERT_ID_FORMAT", "预警编号不能含“:”（为部门推送保留）", "alert_id")
    if command.new_record is not None:
        field, prefix = command.new_record
        if not getattr(command, field):
            command = msgspec.structs.replace(command, **{field: new_id(prefix)})
    return command


@contextlib.contextmanager
def naming_other_households(user: User) -> Iterator[None]:
    """A refusal for a person in another household names that household only to a user whose
    area covers it (domain.md §3: "naming the other household to roles that may see it")."""
    try:
        yield
    except PersonInAnotherHousehold as refused:
        raise refused.naming(user.covers(refused.township, refused.village)) from None


#: The request header naming the case-file version a command was written against.
HOUSEHOLD_VERSION = "Household-Version"


def refuse_changed(household: Household, based_on: int | None) -> None:
    """A command written against version ``based_on`` of the case file (a phone that recorded
    it offline) is refused if anything was recorded on the household since: the person decides
    again, seeing what changed (`HOUSEHOLD_CHANGED`, 409)."""
    if based_on is not None and household.version != based_on:
        raise RuleViolation(
            "HOUSEHOLD_CHANGED",
            f"农户 {household.code} 的档案在您依据的第 {based_on} 版之后又有 "
            f"{household.version - based_on} 项记录（现为第 {household.version} 版），本次未记录；"
            "请查看变动后决定是否仍要提交", HOUSEHOLD_VERSION)


def household_command(
    user: User, app: CaseFiles, code: str, command: HouseholdCommand, *, key: str | None, path: str,
    based_on: int | None = None,
) -> CommandResult:
    """Run ``command`` on household ``code`` as ``user``, within their area, retrying lost
    races. The API's handlers and the workbench's forms both come here.

    ``key``: the Idempotency-Key, if any; ``path``: the request's path, which seeds ids derived
    from the key; ``based_on``: the case-file version the command was written against, if the
    caller asks that nothing was recorded since (`refuse_changed`). A repeat of a recorded key
    answers as the first time, whatever was recorded since.
    """
    command = as_sent(user, command, lambda prefix: new_id(prefix, user, path, key))
    fields = command.digest_fields()
    check_values(fields)
    cid = command_id(user, key, command.name, {"household": code, **fields})

    def allowed(household: Household) -> None:
        user.require_household(household, command)
        if cid:
            refuse_reused_key(household, cid)
        refuse_changed(household, based_on)

    with naming_other_households(user):
        return retrying(lambda: app.execute(code, command, by=user.actor, command_id=cid,
                                            allowed=allowed))


def register_household(user: User, app: CaseFiles, data: RegisterHousehold, *,
                       key: str | None) -> CommandResult:
    """Register a household as ``user``: in their area, with members in no other household
    (the other named only to a user whose area covers it). The API's route and the
    workbench's form both come here."""
    user.require_area(data.township, data.village, data.code)
    check_values(body_fields(data))
    with naming_other_households(user):
        return app.register_household(data, by=user.actor,
                                      command_id=command_id(user, key, data.name))
