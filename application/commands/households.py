"""Registering a household and its members joining, leaving and changing (domain.md §3)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from msgspec import Meta

from application.commands.base import COUNTY_AND_TOWNSHIP, LOCAL, HouseholdCommand, Recording
from application.commands.fields import STATED, Body, Happened, IdNumber, Name, Text, Year
from domain.codes import Health, HouseholdType, JoinReason, LabourCapacity, LeaveReason, Relation, Role
from domain.household import Household
from domain.values import MemberDetails


class MemberIn(Body, kw_only=True):
    """A member as registered or as joining."""

    name: Name
    id_number: IdNumber
    relation: Relation
    health: Annotated[Health, STATED]
    labour_capacity: Annotated[LabourCapacity, STATED]
    in_school: bool = False
    insured: Annotated[bool, STATED]

    def details(self) -> MemberDetails:
        return MemberDetails(self.name, self.id_number, self.relation, health=self.health,
                             labour_capacity=self.labour_capacity, in_school=self.in_school,
                             insured=self.insured)


class RegisterHousehold(Body, kw_only=True):
    """Register a household with its members (户编号 unique in the county). Not a command on a
    registered household: it makes one."""

    name: ClassVar[str] = "register_household"
    roles: ClassVar[frozenset[Role]] = COUNTY_AND_TOWNSHIP

    code: Annotated[str, Meta(min_length=1, max_length=40, description="户编号（全县唯一）")]
    township: Name
    village: Name
    address: Text = ""
    household_type: HouseholdType
    members: Annotated[list[MemberIn], Meta(min_length=1, max_length=30)]
    lifted_out_year: Year | None = None
    occurred_on: Happened

    def register(self, on: Recording) -> Household:
        return Household.register(
            code=self.code, township=self.township, village=self.village, address=self.address,
            household_type=self.household_type, members=[m.details() for m in self.members],
            lifted_out_year=self.lifted_out_year, occurred_on=self.occurred_on,
            by=on.by, at=on.at, command_id=on.command_id,
        )


class JoinMember(HouseholdCommand, kw_only=True):
    """A person joins the household (birth, marriage, moving in)."""

    name = "join_member"
    roles = LOCAL

    member: MemberIn
    reason: JoinReason
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.join_member(self.member.details(), self.reason, occurred_on=self.occurred_on,
                              by=on.by, at=on.at, command_id=on.command_id)

    def digest_fields(self) -> dict[str, Any]:
        return {"details": self.member.details(), "reason": self.reason,
                "occurred_on": self.occurred_on}


class LeaveMember(HouseholdCommand, kw_only=True):
    """A person leaves the household (death, marriage, moving out); a head leaving names the
    new head."""

    name = "leave_member"
    roles = LOCAL
    path_fields = ("id_number",)

    id_number: IdNumber
    reason: LeaveReason
    new_head_id_number: IdNumber | None = None
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.leave_member(self.id_number, self.reason, new_head_id_number=self.new_head_id_number,
                               occurred_on=self.occurred_on, by=on.by, at=on.at,
                               command_id=on.command_id)


class MemberChanges(Body, kw_only=True):
    """What changed about a member; a field left out did not change."""

    health: Health | None = None
    labour_capacity: LabourCapacity | None = None
    in_school: bool | None = None
    insured: bool | None = None

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class UpdateMember(HouseholdCommand, kw_only=True):
    """A member's health, labour capacity, schooling or insurance changed."""

    name = "update_member"
    roles = LOCAL
    path_fields = ("id_number",)

    id_number: IdNumber
    changes: MemberChanges
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.update_member(self.id_number, self.changes.given(), occurred_on=self.occurred_on,
                                by=on.by, at=on.at, command_id=on.command_id)

    def digest_fields(self) -> dict[str, Any]:
        return {"id_number": self.id_number, "changes": self.changes.given(),
                "occurred_on": self.occurred_on}
