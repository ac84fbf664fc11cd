"""The ranges of amounts and dates a request may carry.

Beyond them a value is a typing slip (or an attack), and arithmetic on it — per-capita income,
deadlines fifteen days on — could fail after a command is saved, or in the read models.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from domain.errors import InvalidValue

MAX_AMOUNT = Decimal("1000000000")
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)
CENT = Decimal("0.01")


def check_values(values: dict[str, Any]) -> None:
    """Refuse an amount that is not a finite number of yuan and fen within ±10⁹, or a date
    outside 1990–2100, naming the field."""
    for name, value in values.items():
        field = name
        if isinstance(value, Decimal):
            if not (value.is_finite() and abs(value) <= MAX_AMOUNT
                    and value == value.quantize(CENT)):
                raise InvalidValue("AMOUNT_RANGE", f"“{field}”须为不超过 10 亿元、最多两位小数的金额",
                                   field)
        elif isinstance(value, date) and not EARLIEST <= value <= LATEST:
            raise InvalidValue("DATE_RANGE", f"“{field}”须在 {EARLIEST} 至 {LATEST} 之间", field)



def check_day(day: date | None, field: str) -> date | None:
    """A date parameter of a query, refused outside the range."""
    if day is not None:
        check_values({field: day})
    return day
