"""The people on a household (§七): its 网格员, named by the village (or the township, the
county) for a household of its area, and a monitoring object's 帮扶责任人, named by the township
workstation or the county centre (domain.md §2)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from application.commands.base import COUNTY_AND_TOWNSHIP, LOCAL, HouseholdCommand, Recording
from application.commands.fields import Happened, Name, Text
from domain.household import Household

#: A phone number as typed: the domain checks its shape (`domain.identity.validate_phone`).
Phone = Annotated[str, Meta(min_length=1, max_length=40, description="联系电话：11位手机号或带区号的固定电话",
                            examples=["13812345678", "0312-1234567"])]
Unit = Annotated[str, Meta(min_length=1, max_length=100, description="工作单位")]
Reason = Annotated[Text, Meta(description="更换原因")]


class AssignGridWorker(HouseholdCommand, kw_only=True):
    """Name the household's 网格员 (it has none); ``occurred_on`` is the first day of the duty."""

    name = "assign_grid_worker"
    roles = LOCAL

    worker_name: Name
    phone: Phone
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.assign_grid_worker(name=self.worker_name, phone=self.phone,
                                     occurred_on=self.occurred_on, by=on.by, at=on.at,
                                     command_id=on.command_id)


class ChangeGridWorker(HouseholdCommand, kw_only=True):
    """Another 网格员 takes the household over from ``occurred_on``, for a reason."""

    name = "change_grid_worker"
    roles = LOCAL

    worker_name: Name
    phone: Phone
    reason: Reason
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.change_grid_worker(name=self.worker_name, phone=self.phone, reason=self.reason,
                                     occurred_on=self.occurred_on, by=on.by, at=on.at,
                                     command_id=on.command_id)


class EndGridWorker(HouseholdCommand, kw_only=True):
    """The household's 网格员 stops answering for it from ``occurred_on``."""

    name = "end_grid_worker"
    roles = LOCAL

    reason: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.end_grid_worker(reason=self.reason, occurred_on=self.occurred_on, by=on.by,
                                  at=on.at, command_id=on.command_id)


class AssignHelper(HouseholdCommand, kw_only=True):
    """Name the 帮扶责任人 of a monitoring object (or of a 脱贫户 under 四个不摘)."""

    name = "assign_helper"
    roles = COUNTY_AND_TOWNSHIP

    helper_name: Name
    unit: Unit
    phone: Phone
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.assign_helper(name=self.helper_name, unit=self.unit, phone=self.phone,
                                occurred_on=self.occurred_on, by=on.by, at=on.at,
                                command_id=on.command_id)


class ChangeHelper(HouseholdCommand, kw_only=True):
    """Another 帮扶责任人 takes the household over from ``occurred_on``, for a reason."""

    name = "change_helper"
    roles = COUNTY_AND_TOWNSHIP

    helper_name: Name
    unit: Unit
    phone: Phone
    reason: Reason
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.change_helper(name=self.helper_name, unit=self.unit, phone=self.phone,
                                reason=self.reason, occurred_on=self.occurred_on, by=on.by,
                                at=on.at, command_id=on.command_id)


class ConfirmHelper(HouseholdCommand, kw_only=True):
    """The 帮扶责任人 named before the case was included stays on for it (else: change them)."""

    name = "confirm_helper"
    roles = COUNTY_AND_TOWNSHIP

    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.confirm_helper(occurred_on=self.occurred_on, by=on.by, at=on.at,
                                 command_id=on.command_id)


class EndHelper(HouseholdCommand, kw_only=True):
    """The household's 帮扶责任人 stops answering for it from ``occurred_on``."""

    name = "end_helper"
    roles = COUNTY_AND_TOWNSHIP

    reason: Text = ""
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.end_helper(reason=self.reason, occurred_on=self.occurred_on, by=on.by,
                             at=on.at, command_id=on.command_id)
