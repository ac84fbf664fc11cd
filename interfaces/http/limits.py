"""The range of dates a request may carry (amounts are the domain's: `domain.rules.is_amount`).

Beyond it a date is a typing slip (or an attack), and arithmetic on it — a deadline fifteen days
on, a window thirty days back — could overflow after a command is saved, or in a query.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.errors import InvalidValue

EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)


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
