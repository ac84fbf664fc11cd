"""How a result reads and counts the households: from the indicator-facts read model (current
figures) or replayed from the log (as of a past time), each household's facts in the very
bytes the digest covers, and how each is counted in the `Tally`.

A year's current figures count a household by its settled counts for the year when the read
model has them and they serve (`domain.indicators.settled`: the evaluation day is at or after
the day they settled on, and the poverty lines in force through that day are those they were
found with): its facts are then read only into the digest, and its alerts for the pushes. Any
other household — and every household when a drill-down, a reader of the facts or a month's
trend needs them — is counted by its facts, decoded only if an indicator may count it or a
reader wants it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, NamedTuple

import msgspec

from domain.indicators import AlertFacts, Count, HouseholdFacts, Tally, lines_through

FACTS_DECODER = msgspec.json.Decoder(HouseholdFacts)
_COUNTS = msgspec.json.Decoder(tuple[Count, ...])


class _Alerts(msgspec.Struct):
    """A household's township and alerts, read from its facts (the rest left unread)."""

    township: str
    alerts: tuple[AlertFacts, ...]


_ALERTS = msgspec.json.Decoder(_Alerts)


class SettledRow(NamedTuple):
    """A household's settled counts for the year, as the read model keeps them."""

    settled_on: date
    lines: str
    alerts: bool
    counts: str


class HouseholdRead(NamedTuple):
    """One household as a result reads it."""

    encoded: bytes  # its facts' JSON, as digested
    facts: HouseholdFacts | None  # decoded (None: not yet)
    counted: bool  # whether an indicator may count it
    settled: SettledRow | None = None


class Counting:
    """Counts households in a ``tally`` and shows their facts to ``readers``: each by its
    settled counts when they serve (nobody reads its facts, the evaluation day is at or after
    the day they settled on, and the tally's poverty lines through that day are the ones they
    were found with), else by its facts."""

    def __init__(self, tally: Tally, readers: list[Callable[[HouseholdFacts], None]]) -> None:
        self.tally = tally
        self.readers = readers
        self._lines: dict[date, str] = {}  # the tally's poverty lines through each settled day

    def count(self, household: HouseholdRead) -> None:
        settled = household.settled
        if settled is not None and not self.readers and self._serve(settled):
            self.tally.add_settled(_COUNTS.decode(settled.counts))
            if settled.alerts:
                alerts = _ALERTS.decode(household.encoded)
                self.tally.add_alerts(alerts.township, alerts.alerts)
            return
        facts = household.facts
        if facts is None:
            if not (household.counted or self.readers):
                return  # a household no indicator counts, and no reader wants
            facts = FACTS_DECODER.decode(household.encoded)
        self.tally.add_household(facts)
        for reader in self.readers:
            reader(facts)

    def _serve(self, settled: SettledRow) -> bool:
        on = self.tally.on
        if settled.settled_on > on.ended:
            return False
        lines = self._lines.get(settled.settled_on)
        if lines is None:
            lines = self._lines[settled.settled_on] = lines_through(on.poverty_lines,
                                                                    settled.settled_on)
        return settled.lines == lines


def read_model_households(store: Any, *, year: int | None) -> Iterator[Any]:
    """First the indicator-facts read model's position, then each household in id order,
    with its settled counts for ``year`` when given — all from one snapshot of the store."""
    # the stored text as the very bytes digested (PostgreSQL sends them in binary)
    facts = "CAST(f.facts AS BLOB)" if store.backend == "sqlite" else "convert_to(f.facts, 'UTF8')"
    statement = f"SELECT {facts} AS facts, f.counted AS counted"
    params: tuple[Any, ...] = ()
    if year is not None:
        statement += (", t.settled_on AS settled_on, t.lines AS lines, t.alerts AS alerts, "
                      f"t.counts AS counts FROM {store.qualified('rm_indicator_facts')} f "
                      f"LEFT JOIN {store.qualified('rm_indicator_tallies')} t "
                      f"ON t.household_id = f.household_id AND t.year = {store.placeholder}")
        params = (year,)
    else:
        statement += f" FROM {store.qualified('rm_indicator_facts')} f"
    pages = store.stream_with_position("indicator_facts", statement + " ORDER BY f.household_id",
                                       params)
    first = next(pages, None)
    if first is None:  # no households yet: the position alone
        yield store.position("indicator_facts")
        return
    yield first[0]
    for page in _pages(first, pages):
        for row in page:
            settled = None
            if year is not None and row[2] is not None:
                day = row[2] if isinstance(row[2], date) else date.fromisoformat(row[2])
                settled = SettledRow(day, row[3], bool(row[4]), row[5])
            yield HouseholdRead(row[0], None, bool(row[1]), settled)


def _pages(first: tuple[int, list[Any]], rest: Iterator[tuple[int, list[Any]]]
           ) -> Iterator[list[Any]]:
    yield first[1]
    for _position, page in rest:
        yield page
