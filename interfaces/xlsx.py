"""Reports as Excel workbooks (openpyxl, write-only): one sheet per table, Chinese headers in a
frozen, bold first row, the report's metadata on a first sheet, dates as dates, rates as
percentages and amounts as yuan (numbers a spreadsheet can still sum and sort)."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from application.matrix import band_of
from application.reports import Report, Table
from application.workbooks import cell, header

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")  # not allowed in a sheet name
#: How a report's numbers show: its floats are rates (0.9487 → 94.9%), its decimals yuan.
PERCENT_FORMAT = "0.0%"
YUAN_FORMAT = '"¥"#,##0.00'



def report_workbook(report: Report) -> bytes:
    """The report as the bytes of an .xlsx file."""
    book = Workbook(write_only=True)
    about = book.create_sheet("说明")
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 80
    about.append([header(about, report.title)])
    for name, value in report.meta:
        about.append([name, value])
    used: set[str] = {"说明"}
    for table in report.tables:
        _write_table(book.create_sheet(_sheet_name(table.name, used)), table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_table(sheet: Worksheet, table: Table) -> None:
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns):
        width = max([_width(column), *(_width(row[index]) for row in table.rows[:200])])
        sheet.column_dimensions[_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.append([header(sheet, column) for column in table.columns])
    for index, row in enumerate(table.rows):
        cells = [_number(sheet, value) for value in row]
        if table.banded or table.notes:
            notes = table.notes[index] if index < len(table.notes) else []
            cells = [_marked(sheet, c, notes[n] if n < len(notes) else None, table.banded)
                     for n, c in enumerate(cells)]
        sheet.append(cells)


def _marked(sheet: Worksheet, value: Any, note: str | None, banded: bool) -> Any:
    """A matrix's cell: a rate filled with its band's colour (`application.matrix.BANDS`), and
    its numerator and denominator as the cell's comment."""
    if not note and not (banded and isinstance(value, Cell)):
        return value
    marked = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value=value)
    band = band_of(marked.value) if banded and isinstance(marked.value, float) else None
    if band is not None:
        marked.fill = PatternFill("solid", start_color=band.fill, end_color=band.fill)
    if note:
        marked.comment = Comment(note, "fangpin", width=240, height=60)
    return marked


def _number(sheet: Worksheet, value: Any) -> Any:
    """A report's cell: a rate as a percentage, an amount as yuan, the rest as `cell` writes it."""
    if isinstance(value, float | Decimal):
        number = WriteOnlyCell(sheet, value=value)
        number.number_format = PERCENT_FORMAT if isinstance(value, float) else YUAN_FORMAT
        return number
    return cell(sheet, value)


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are two wide


def _letter(index: int) -> str:
    return get_column_letter(index + 1)


def _sheet_name(name: str, used: set[str]) -> str:
    base = _FORBIDDEN.sub("_", name)[:31] or "表"
    candidate, n = base, 2
    while candidate in used:
        candidate = f"{base[:28]}_{n}"
        n += 1
    used.add(candidate)
    return candidate
