"""Registration and members: a household is registered with its members; people join and leave;
a member's situation changes (health, labour capacity, schooling, insurance)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Self

from eventsourcing.domain import Aggregate

from domain.codes import HouseholdType, JoinReason, LeaveReason, Relation
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.household.state import (
    Event,
    HouseholdState,
    apply_changes,
    check_recorded_date,
    checked_changes,
    household_id,
    require_text,
)
from domain.identity import validate_id_number
from domain.values import Actor, Member, MemberDetails


class Registered(Event, Aggregate.Created):
    TOPIC = "fangpin:Household.Registered"
    code: str
    township: str
    village: str
    address: str
    household_type: HouseholdType
    lifted_out_year: int | None
    members: tuple[MemberDetails, ...]

    def subject(self) -> str:
        return "household"

    def apply_to(self, household: HouseholdState) -> None:
        household.code = self.code
        household.township = self.township
        household.village = self.village
        household.address = self.address
        household.household_type = self.household_type
        household.lifted_out_year = self.lifted_out_year
        household.members = {}
        household.alerts = {}
        household.alert_keys = {}
        household.cases = []
        household.analyses = []
        household.measures = {}
        household.visits = []
        household.assessments = []
        household.subsidies = {}
        household.payouts = {}
        household.corrections = []
        household.grid_workers = []
        household.helpers = []
        household.evidence = []
        household.subjects = {}
        household.command_ids = {}
        for details in self.members:
            household.members[details.id_number] = member_from(details)


class MemberJoined(Event):
    TOPIC = "fangpin:Household.MemberJoined"
    member: MemberDetails
    reason: JoinReason

    def subject(self) -> str:
        return f"member:{self.member.id_number}"

    def apply_to(self, household: HouseholdState) -> None:
        member = member_from(self.member)
        former = household.members.get(member.id_number)
        if former is not None:  # rejoining: the earlier membership still counts on its days
            member.past_periods = (*former.past_periods, (former.joined_on, former.left_on))
        member.joined_on = self.occurred_on
        member.join_reason = self.reason
        household.members[member.id_number] = member


class MemberLeft(Event):
    TOPIC = "fangpin:Household.MemberLeft"
    id_number: str
    reason: LeaveReason
    new_head_id_number: str | None

    def apply_to(self, household: HouseholdState) -> None:
        member = household.members[self.id_number]
        member.left_on = self.occurred_on
        member.leave_reason = self.reason
        if self.new_head_id_number:
            household.members[self.new_head_id_number].relation = Relation.HEAD


class MemberDetailsUpdated(Event):
    """A real change in a member's situation (not a correction of a mistake)."""

    TOPIC = "fangpin:Household.MemberDetailsUpdated"
    id_number: str
    changes: dict[str, Any]

    def apply_to(self, household: HouseholdState) -> None:
        apply_changes(household.members[self.id_number], "member", self.changes)


class RegistrationChapter(HouseholdState):
    """Registering a household; members joining, leaving and changing."""

    @classmethod
    def register(
        cls,
        *,
        code: str,
        township: str,
        village: str,
        address: str,
        household_type: HouseholdType,
        members: Sequence[MemberDetails],
        lifted_out_year: int | None = None,
        occurred_on: date,
        by: Actor,
        at: datetime,
        command_id: str = "",
    ) -> Self:
        """Register a household (户编号 unique in the county) with its members."""
        code = require_text(code, "code", "户编号")
        township = require_text(township, "township", "乡镇")
        village = require_text(village, "village", "行政村")
        check_recorded_date(occurred_on, at)
        if household_type is HouseholdType.LIFTED_OUT:
            if lifted_out_year is None or not 2013 <= lifted_out_year <= occurred_on.year:
                raise InvalidValue(
                    "LIFTED_OUT_YEAR", "脱贫户须填写脱贫年度（2013年至登记年度）", "lifted_out_year"
                )
        elif lifted_out_year is not None:
            raise InvalidValue("LIFTED_OUT_YEAR", "一般农户不填写脱贫年度", "lifted_out_year")
        if not members:
            raise InvalidValue("MEMBERS_REQUIRED", "农户至少有一名家庭成员", "members")
        checked: list[MemberDetails] = []
        for index, details in enumerate(members):
            checked.append(checked_member(details, f"members[{index}]"))
        ids = [m.id_number for m in checked]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise InvalidValue("MEMBER_DUPLICATE", f"家庭成员身份证号码重复：{duplicate}", "members")
        heads = [m for m in checked if m.relation is Relation.HEAD]
        if len(heads) != 1:
            raise InvalidValue(
                "HEAD_REQUIRED", "家庭成员中须有且只有一名户主（与户主关系为“本人”）", "members"
            )
        return cls._create(
            Registered,
            id=household_id(code),
            timestamp=at,
            occurred_on=occurred_on,
            recorded_by=by,
            command_id=command_id,
            code=code,
            township=township,
            village=village,
            address=(address or "").strip(),
            household_type=household_type,
            lifted_out_year=lifted_out_year,
            members=tuple(checked),
        )

    def join_member(
        self, details: MemberDetails, reason: JoinReason, *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A person joins the household (birth, marriage, moving in)."""
        details = checked_member(details, "member")
        current = self.members.get(details.id_number)
        if current is not None and current.left_on is None:
            raise RuleViolation("MEMBER_ALREADY_PRESENT", f"{details.name} 已是本户成员", "member.id_number")
        if details.relation is Relation.HEAD:
            raise RuleViolation("HEAD_EXISTS", "本户已有户主；新成员不能以“本人”身份加入", "member.relation")
        if details.relation is Relation.SPOUSE and any(
            m.relation is Relation.SPOUSE for m in self.current_members()
        ):
            raise RuleViolation("SPOUSE_EXISTS", "户主已有配偶在册", "member.relation")
        self._record(MemberJoined, occurred_on, by, at, command_id, member=details, reason=reason)

    def leave_member(
        self, id_number: str, reason: LeaveReason, *, new_head_id_number: str | None = None,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """A person leaves the household (death, marriage, moving out).

        When the head leaves and others remain, one of them must be named the new head.
        """
        member = self._current_member(id_number, "id_number")
        remaining = [m for m in self.current_members() if m.id_number != member.id_number]
        if not remaining:
            raise RuleViolation("LAST_MEMBER", "不能移出本户最后一名成员", "id_number")
        if member.relation is Relation.HEAD:
            if new_head_id_number is None:
                raise RuleViolation("NEW_HEAD_REQUIRED", "户主离开时须指定新户主", "new_head_id_number")
            if new_head_id_number not in {m.id_number for m in remaining}:
                raise NotFound("MEMBER_NOT_FOUND", "新户主须为本户现有成员", "new_head_id_number")
        elif new_head_id_number is not None:
            raise RuleViolation("NEW_HEAD_NOT_NEEDED", "只有户主离开时才指定新户主", "new_head_id_number")
        if member.joined_on and occurred_on < member.joined_on:
            raise InvalidValue("DATE_ORDER", "离开日期不能早于加入日期", "occurred_on")
        self._record(
            MemberLeft, occurred_on, by, at, command_id,
            id_number=member.id_number, reason=reason, new_head_id_number=new_head_id_number,
        )

    def update_member(
        self, id_number: str, changes: Mapping[str, Any], *,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Record a change in a member's health, labour capacity, schooling or insurance."""
        member = self._current_member(id_number, "id_number")
        allowed = {"health", "labour_capacity", "in_school", "insured"}
        stored = checked_changes("member", changes, allowed)
        self._record(
            MemberDetailsUpdated, occurred_on, by, at, command_id,
            id_number=member.id_number, changes=stored,
        )


def member_from(details: MemberDetails) -> Member:
    """A member of the case file, as registered or joining."""
    return Member(
        name=details.name, id_number=details.id_number, relation=details.relation,
        health=details.health, labour_capacity=details.labour_capacity,
        in_school=details.in_school, insured=details.insured,
    )


def checked_member(details: MemberDetails, field: str) -> MemberDetails:
    """A member's details with a name and a valid ID number (18-digit 身份证号码)."""
    name = require_text(details.name, f"{field}.name", "姓名")
    number = validate_id_number(details.id_number, f"{field}.id_number")
    if name == details.name and number == details.id_number:
        return details
    return MemberDetails(
        name, number, details.relation, details.health, details.labour_capacity,
        details.in_school, details.insured,
    )
