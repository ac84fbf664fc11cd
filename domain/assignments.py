"""Who answers for a household in a duty (§七): the record a household keeps of each 网格员 and
帮扶责任人 it has had (`domain.household.staff` assigns, changes and ends them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass
class Assignment:
    """A person answering for a household in one duty — its 网格员 (grid worker) or its
    帮扶责任人 (responsible helper) — from the day assigned to the day ended (None: still).

    ``reason`` says why this person replaced the one before (empty for a first assignment);
    ``end_reason`` why the assignment ended (a change ends it with the change's reason)."""

    name: str
    phone: str
    unit: str
    assigned_on: date
    reason: str = ""
    ended_on: date | None = None
    end_reason: str = ""
    #: The last day someone confirmed this person stays on when a case was included (§七).
    confirmed_on: date | None = None

    def covers(self, day: date) -> bool:
        """Whether this person answered for the household on ``day``."""
        return self.assigned_on <= day and (self.ended_on is None or day < self.ended_on)
