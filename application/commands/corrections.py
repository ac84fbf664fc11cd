"""Correcting a recorded fact: a new event naming the corrected one (domain.md §10)."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from application.commands.base import COUNTY_AND_TOWNSHIP, HouseholdCommand, Recording
from application.commands.fields import Happened, IdNumber
from domain.household import Household


class Correct(HouseholdCommand, kw_only=True):
    """Correct a recorded fact: the event named, the new values, the reason."""

    name = "correct"
    roles = COUNTY_AND_TOWNSHIP

    corrects_version: Annotated[int, Meta(ge=1, description="被更正事件的版本号（见档案历史）")]
    changes: Annotated[dict[str, Any], Meta(description="新值：字段名 → 值")]
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
    member_id_number: IdNumber | None = None
    occurred_on: Happened

    def run(self, household: Household, on: Recording) -> None:
        household.correct(self.corrects_version, self.changes, self.reason,
                          member_id_number=self.member_id_number, occurred_on=self.occurred_on,
                          by=on.by, at=on.at, command_id=on.command_id)
