"""The range of dates a request may carry (amounts are the domain's: `domain.rules.is_amount`).

Beyond it a date is a typing slip (or an attack), and arithmetic on it — a deadline fifteen days
on, a window thirty days back — could overflow after a command is saved, or in a query.

The patterns below are what the OpenAPI schema states of dates, recorded times and reporting
periods (`interfaces.http.openapi`); a day no calendar has (2025-02-30) matches them and is
refused by the server all the same (422).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.errors import InvalidValue
from domain.periods import FIRST_YEAR, LAST_YEAR

EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)


def years_pattern(first: int, last: int) -> str:
    """A regular expression for the four-digit years ``first`` to ``last``, whole centuries and
    decades as one alternative each (1990–2100: ``(?:199[0-9]|20[0-9][0-9]|2100)``)."""
    parts, year = [], first
    while year <= last:
        step = next(s for s in (100, 10, 1) if year % s == 0 and year + s - 1 <= last)
        digits = len(str(step)) - 1
        parts.append(f"{year // step}" + "[0-9]" * digits)
        year += step
    return "(?:" + "|".join(parts) + ")"


_YEARS = years_pattern(EARLIEST.year, LATEST.year)
_DAY = rf"{_YEARS}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME = r"[T ](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
_OFFSET = r"(?:Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])"
#: Every date a request carries (besides ``format: date``): within the range.
DATE_PATTERN = f"^{_YEARS}-"
#: A recorded time (``as_of``): empty (now), a date, or a date and time, with an offset or not.
AS_OF_PATTERN = f"^(?:{_DAY}(?:{_TIME}{_OFFSET}?)?)?$"
_PERIOD_YEARS = years_pattern(FIRST_YEAR, LAST_YEAR)
_MONTH = "(?:0[1-9]|1[0-2])"
#: A reporting period as the API names it: a year 2025, a quarter 2025-Q1 or a month 2025-03.
PERIOD_PATTERN = f"^{_PERIOD_YEARS}(?:-Q[1-4]|-{_MONTH})?$"
MONTH_PATTERN = f"^{_PERIOD_YEARS}-{_MONTH}$"
QUARTER_PATTERN = f"^{_PERIOD_YEARS}-Q[1-4]$"


def check_values(values: dict[str, Any]) -> None:
    """Refuse a date outside 1990–2100, naming the field."""
    for field, value in values.items():
        if isinstance(value, date) and not EARLIEST <= value <= LATEST:
            raise InvalidValue("DATE_RANGE", f"“{field}”须在 {EARLIEST} 至 {LATEST} 之间", field)


def check_day(day: date | None, field: str) -> date | None:
    """A date parameter of a query, refused outside the range."""
    if day is not None:
        check_values({field: day})
    return day
