"""Reporting periods: a month, a quarter or a year of the county's calendar."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TypeVar

from domain.errors import InvalidValue

T = TypeVar("T")

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
#: The years a period may fall in.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period from ``start`` to ``end`` (both included)."""

    start: date
    end: date
    label: str  # "2025", "2025-Q1" or "2025-03"

    @property
    def kind(self) -> str:
        return "year" if len(self.label) == 4 else "quarter" if "Q" in self.label else "month"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def months(self) -> tuple[Period, ...]:
        """The months of the period, in order."""
        return _months(self.start, self.end)

    def __str__(self) -> str:
        return self.label


@cache
def _months(start: date, end: date) -> tuple[Period, ...]:
    found = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        found.append(month_period(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(found)


def month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, monthrange(year, month)[1]),
                  f"{year}-{month:02d}")


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    return Period(date(year, first, 1), month_period(year, first + 2).end, f"{year}-Q{quarter}")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), f"{year}")


def parse_period(text: str, field: str = "period") -> Period:
    """``2025`` (a year), ``2025-Q1`` (a quarter) or ``2025-03`` (a month)."""
    value = (text or "").strip()
    if found := _YEAR.match(value):
        year = int(found[1])
        period = year_period(year) if FIRST_YEAR <= year <= LAST_YEAR else None
    elif found := _QUARTER.match(value):
        year = int(found[1])
        period = quarter_period(year, int(found[2])) if FIRST_YEAR <= year <= LAST_YEAR else None
    elif (found := _MONTH.match(value)) and 1 <= int(found[2]) <= 12:
        year = int(found[1])
        period = month_period(year, int(found[2])) if FIRST_YEAR <= year <= LAST_YEAR else None
    else:
        period = None
    if period is None:
        raise InvalidValue(
            "PERIOD_INVALID",
            f"统计期须为年度（2025）、季度（2025-Q1）或月份（2025-03），{FIRST_YEAR}至{LAST_YEAR}年之间：{text!r}",
            field,
        )
    return period


def in_force(dated: Iterable[tuple[date, T]], day: date) -> T | None:
    """Of values each taking effect on a day, the one in force on ``day``: the latest whose
    effective date is not after it (None before the first)."""
    found: tuple[date, T] | None = None
    for effective_from, value in dated:
        if effective_from <= day and (found is None or effective_from >= found[0]):
            found = (effective_from, value)
    return found[1] if found else None
