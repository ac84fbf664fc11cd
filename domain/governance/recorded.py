"""The base of the county-level aggregates' events (push ledgers, governance, import ledger,
unmatched alerts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from domain.values import Actor


class RecordedEvent(Aggregate.Event):
    """Base of the county-level aggregates' events: when it happened, who recorded it, for
    which command; applying one remembers its command id (a repeated command records nothing)."""

    TOPIC = "fangpin:RecordedEvent"
    occurred_on: date
    recorded_by: Actor
    command_id: str

    def apply(self, aggregate: Any) -> None:
        self.apply_to(aggregate)
        if self.command_id:
            aggregate.command_ids[self.command_id] = self.originator_version

    def apply_to(self, aggregate: Any) -> None:
        pass
