"""A household's settled figures for a period: what the rules count for it on every day from
some day on, found once (by the read model) instead of at every computation.

The rules ask their evaluation about days — has this day come, is it over, which poverty line
was in force on it — and never compare with the evaluation day themselves. Asked by `Settling`,
an evaluation at the end of time, every such question is answered yes and the day noted. On
any evaluation day at or after the latest day noted, every question asked is answered yes too,
so the rules take the same steps and count the same: the household's counts for the period
are settled from that day (``settled_on``) on. Before it, they must be counted afresh.

The poverty lines are the one thing besides the facts the rules read: settled counts say which
lines they were found with (`lines_through`: those that took effect by ``settled_on``, the
only ones a question could have met), and serve only a computation judging by the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from domain.indicators.definitions import INDICATORS, Evaluation
from domain.indicators.facts import HouseholdFacts
from domain.periods import Period, year_period

#: (indicator code, township, department, numerator, denominator): what one household's items
#: of an indicator add to the figures of its units (the `Tally` maps them to areas).
Count = tuple[str, str | None, str | None, int, int]


@dataclass(frozen=True)
class Settling(Evaluation):
    """An evaluation at the end of time that notes the latest day it is asked about."""

    asked: list[date] = field(default_factory=list)

    def reached(self, day: date) -> bool:
        self.asked.append(day)
        return True

    def over(self, day: date) -> bool:
        self.asked.append(day)
        return True

    def poverty_line_on(self, day: date) -> Decimal | None:
        self.asked.append(day)
        return super().poverty_line_on(day)

    def owed(self, due: date) -> bool:
        raise TypeError("a household's rule does not judge pushes or meetings")

    @property
    def settled_on(self) -> date:
        return max(self.asked, default=date.min)


@dataclass(frozen=True)
class Settled:
    """A household's counts for a period, the same on every evaluation day from ``settled_on``
    on, found with the poverty lines ``lines`` (`lines_through` of ``settled_on``)."""

    period: Period
    settled_on: date
    lines: str
    counts: tuple[Count, ...]


def settled_counts(facts: HouseholdFacts, period: Period,
                   poverty_lines: tuple[tuple[date, Decimal], ...]) -> Settled:
    """What every rule that applies to the household counts for ``period`` once it is settled
    (an indicator with an item of 0 of 0 is kept: it shows for the unit all the same)."""
    on = Settling(date.max, date.max, poverty_lines)
    sums: dict[tuple[str, str | None, str | None], list[int]] = {}
    for indicator in INDICATORS:
        if indicator.rule is None or (indicator.applies_to and not indicator.applies_to(facts)):
            continue
        for item in indicator.rule(facts, period, on):
            total = sums.setdefault((indicator.code, item.township, item.department), [0, 0])
            total[0] += item.numerator
            total[1] += item.denominator
    settled_on = on.settled_on
    return Settled(period, settled_on, lines_through(poverty_lines, settled_on),
                   tuple((*key, n, d) for key, (n, d) in sums.items()))


def lines_through(poverty_lines: tuple[tuple[date, Decimal], ...], day: date) -> str:
    """The poverty lines that took effect by ``day``, as text: counts found with the same
    lines through their settled day were found as they would be with these."""
    return ";".join(f"{effective}:{yuan}" for effective, yuan in poverty_lines if effective <= day)


def settled_years(facts: HouseholdFacts) -> list[Period]:
    """The years whose settled counts the read model keeps for a household: from the year it
    was registered to the year after its latest dated fact (any other year is counted afresh)."""
    days = [facts.registered_on, *facts.visits, *(day for day, _ in facts.incomes)]
    for case in facts.cases:
        days += [d for d in (case.opened_on, case.included_on, case.closed_on, case.eliminated_on,
                             case.procedure_done_on, case.needs_met_on) if d is not None]
        days += [a[2] for a in case.appeals]
    days += [a.received_on for a in facts.alerts]
    return [year_period(year) for year in range(facts.registered_on.year, max(days).year + 2)]
