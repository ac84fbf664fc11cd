"""A department's desk (domain.md §2): its push calendar — each duty of the cadence table with
its next push due and this year's pushes so far, judged by the indicators' own rule (按时 /
迟报 / 漏报, `domain.cadences`). The roster and the measures are read models
(`projections.queries.ReadModels.roster`, `.measures`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from application.indicators import IndicatorResult, Indicators
from domain.cadences import Duty, ExpectedPush, next_due
from domain.codes import Department


@dataclass(frozen=True)
class DutyCalendar:
    """One cadence duty of a department: its next push due and the pushes of the year so far."""

    duty: Duty
    next_push: ExpectedPush | None  # scheduled duties: the first due on or after today
    pushes: list[ExpectedPush]  # due this year by today (or received), as the indicators judge

    @property
    def on_time(self) -> int:
        return sum(1 for push in self.pushes if push.on_time)

    @property
    def missing(self) -> int:
        return sum(1 for push in self.pushes if push.received_on is None)

    @property
    def late(self) -> int:
        return len(self.pushes) - self.on_time - self.missing


def push_calendar(indicators: Indicators, department: Department,
                  ) -> tuple[IndicatorResult, list[DutyCalendar]]:
    """The department's duties under the cadence table, each with its next push due and this
    year's pushes so far: the year's push compliance (`Indicators.department_pushes`) split by
    duty."""
    result = indicators.department_pushes(str(indicators.app.today().year), department)
    calendar = []
    for duty, next_push in next_pushes(indicators, department, result.evaluated_on):
        pushes = sorted((p for p in result.pushes if p.duty == duty),
                        key=lambda p: (p.due_on, p.period))
        calendar.append(DutyCalendar(duty, next_push, pushes))
    return result, calendar


def next_pushes(indicators: Indicators, department: Department, today: date,
                ) -> list[tuple[Duty, ExpectedPush | None]]:
    """Each duty of the department under the cadence table with its next push due on or after
    ``today`` (None for a duty owed within days of each event, not on a schedule) — the
    calendar's first column, read from the push ledger alone (no indicator computation)."""
    ledger = indicators.app.push_ledger(department)
    receipts = list(ledger.receipts.values()) if ledger else []
    return [(duty, next_due(duty, receipts, today)) for duty in indicators.cadences.duties
            if duty.department is department]
