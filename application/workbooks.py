"""Cells for the workbooks the application writes (reports, exports, error workbooks,
templates), in openpyxl's write-only mode: text stays text, dates look like dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

_BOLD = Font(bold=True)


def cell(sheet: Any, value: Any) -> Any:
    """A value for ``sheet.append``: text never becomes a formula (a topic typed as
    “=HYPERLINK(…)” stays as typed), control characters a workbook cannot hold show as "?",
    dates are formatted as dates."""
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
    return value


def header(sheet: Any, text: str) -> WriteOnlyCell:
    """A bold header cell."""
    heading = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("?", str(text)))
    heading.font = _BOLD
    return heading
