"""Cells for the workbooks the application writes (reports, exports, error workbooks,
templates), in openpyxl's write-only mode: text stays text, dates look like dates, amounts
(decimals: yuan) as ¥ with two decimals."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

_BOLD = Font(bold=True)
#: How an amount of yuan shows in every workbook (the application's amounts are decimals).
YUAN_FORMAT = '"¥"#,##0.00'


def cell(sheet: Any, value: Any) -> Any:
    """A value for ``sheet.append``: text never becomes a formula (a topic typed as
    “=HYPERLINK(…)” stays as typed), control characters a workbook cannot hold show as "?",
    dates are formatted as dates, amounts (decimals) as yuan."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("?", value)
        if value[:1] in "=+-@":
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            return text
        return value
    if isinstance(value, date):
        day = WriteOnlyCell(sheet, value=value)
        day.number_format = "yyyy-mm-dd"
        return day
    if isinstance(value, Decimal):
        amount = WriteOnlyCell(sheet, value=value)
        amount.number_format = YUAN_FORMAT
        return amount
    return value


def header(sheet: Any, text: str) -> WriteOnlyCell:
    """A bold header cell."""
    heading = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("?", str(text)))
    heading.font = _BOLD
    return heading


#: How many of a sheet's first rows its column widths are fitted to (a long export streams on).
WIDTH_SAMPLE = 200


def display_width(value: object) -> int:
    """How many columns a value takes on a terminal or in a spreadsheet: a Chinese (wide or
    full-width) character two, any other one."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fitted_width(values: Iterable[object], least: int = 8, most: int = 60) -> int:
    """A column's width that fits its widest value (Chinese text counted double), with a
    little room, between ``least`` and ``most``."""
    return min(max(max((display_width(v) for v in values), default=0) + 2, least), most)
