"""How a command on one household runs, whoever sends it: the API's handlers and the
workbench's forms both call `household_command` with the command's body.

The body's fields become the arguments of the `CaseFiles` method of the command's name; the
caller's area is checked on the live household, under its lock, before anything is recorded;
an Idempotency-Key makes a repeat answer as the first time and record nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import msgspec

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.unit_of_work import CommandResult, retrying
from domain.codes import Channel, Role
from domain.errors import InvalidValue, RuleViolation
from domain.household import Household
from domain.values import MemberDetails
from interfaces.http.limits import check_values
from interfaces.http.schemas import commands as s


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


def member_details(member: s.MemberIn) -> MemberDetails:
    return MemberDetails(**msgspec.structs.asdict(member))


NewId = Callable[[str], str]


def _as_given(data: msgspec.Struct, user: User, new_id: NewId) -> dict[str, Any]:
    return body_fields(data)


@dataclass(frozen=True)
class HouseholdCommand:
    """A command on one household: its body, and how the body's fields become the arguments of
    the `CaseFiles` method of the same name (``new_id(prefix)`` names a new alert, measure…)."""

    body: type[msgspec.Struct]
    fields: Callable[[Any, User, NewId], dict[str, Any]] = _as_given


def _joined(data: s.JoinMember, user: User, new_id: NewId) -> dict[str, Any]:
    return {"details": member_details(data.member), "reason": data.reason, "occurred_on": data.occurred_on}


def _member_changes(data: s.UpdateMember, user: User, new_id: NewId) -> dict[str, Any]:
    changes = {k: v for k, v in msgspec.structs.asdict(data.changes).items() if v is not None}
    return {"changes": changes, "occurred_on": data.occurred_on}


def _alert(data: s.RaiseAlert, user: User, new_id: NewId) -> dict[str, Any]:
    if data.channel is Channel.DEPARTMENT_ALERT and user.role is not Role.COUNTY_CENTRE:
        raise AccessDenied("CHANNEL_FORBIDDEN",
                           "部门筛查预警须由部门推送（/api/pushes）或县防贫中心代录", "channel")
    if data.alert_id is not None and ":" in data.alert_id:
        raise InvalidValue("ALERT_ID_FORMAT", "预警编号不能含“:”（为部门推送保留）", "alert_id")
    return body_fields(data, alert_id=data.alert_id or new_id("A"))


def _named(field: str, prefix: str) -> Callable[[Any, User, NewId], dict[str, Any]]:
    """The body's fields, with a new id for ``field`` when the caller gave none."""
    return lambda data, user, new_id: body_fields(data, **{field: getattr(data, field) or new_id(prefix)})


#: The commands on one household, by the name of their `CaseFiles` method (and permission).
HOUSEHOLD_COMMANDS: dict[str, HouseholdCommand] = {
    "join_member": HouseholdCommand(s.JoinMember, _joined),
    "leave_member": HouseholdCommand(s.LeaveMember),
    "update_member": HouseholdCommand(s.UpdateMember, _member_changes),
    "raise_alert": HouseholdCommand(s.RaiseAlert, _alert),
    "verify_at_home": HouseholdCommand(s.VerifyAtHome),
    "conclude_village_deliberation": HouseholdCommand(s.VillageDeliberation),
    "complete_township_review": HouseholdCommand(s.TownshipReview),
    "decide_at_county": HouseholdCommand(s.CountyDecision),
    "open_green_channel": HouseholdCommand(s.OpenGreenChannel),
    "analyse_risk": HouseholdCommand(s.AnalyseRisk),
    "assign_measure": HouseholdCommand(s.AssignMeasure, _named("measure_id", "M")),
    "put_measure_in_place": HouseholdCommand(s.PutMeasureInPlace),
    "end_measure": HouseholdCommand(s.EndMeasure),
    "subsidise_medical_insurance": HouseholdCommand(s.SubsidiseMedicalInsurance),
    "pay_relief_insurance": HouseholdCommand(s.PayReliefInsurance, _named("payout_id", "P")),
    "record_visit": HouseholdCommand(s.RecordVisit, _named("visit_id", "V")),
    "assess_income": HouseholdCommand(s.AssessIncome, _named("assessment_id", "I")),
    "verify_elimination_at_home": HouseholdCommand(s.VerifyElimination),
    "conclude_elimination_notice": HouseholdCommand(s.EliminationNotice),
    "complete_elimination_review": HouseholdCommand(s.EliminationDecision),
    "decide_elimination_at_county": HouseholdCommand(s.EliminationDecision),
    "correct": HouseholdCommand(s.Correct),
}


def household_command(
    user: User, app: CaseFiles, code: str, command: str, data: msgspec.Struct, *,
    key: str | None, path: str, **extra: str,
) -> CommandResult:
    """Run ``command`` on household ``code`` as ``user``, within their area, retrying lost
    races. The API's handlers and the workbench's forms both come here.

    ``extra``: the path's other parameters (a member's ID number, a measure's id); ``key``: the
    Idempotency-Key, if any; ``path``: the request's path, which seeds ids derived from the key.
    """
    spec = HOUSEHOLD_COMMANDS[command]
    fields = {**extra, **spec.fields(data, user, lambda prefix: new_id(prefix, user, path, key))}
    check_values(fields)
    cid = command_id(user, key, command, {"household": code, **fields})

    def allowed(household: Household) -> None:
        user.require_area(household.township, household.village, code)
        if cid:
            refuse_reused_key(household, cid)

    return retrying(lambda: getattr(app, command)(
        code, by=user.actor, command_id=cid, allowed=allowed, **fields))
