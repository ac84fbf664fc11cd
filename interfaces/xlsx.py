"""Reports as Excel workbooks (openpyxl, write-only): first a one-page summary a leader can print
(title, county, period, as of when in Beijing time, the headline figures; fitted to one A4
page), then one sheet per table, Chinese headers in a frozen, bold first row, columns as wide as
their Chinese text, dates as dates, rates as percentages and amounts as yuan (numbers a
spreadsheet can still sum and sort)."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from application.matrix import band_of
from application.reports import Report, Table
from application.workbooks import WIDTH_SAMPLE, cell, display_width, fitted_width, header

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")  # not allowed in a sheet name
#: How a report's rates show (its floats: 0.9487 → 94.9%); its decimals are yuan, as `cell`
#: writes every workbook's.
PERCENT_FORMAT = "0.0%"



#: The summary sheet's name: the first sheet of every report workbook.
SUMMARY = "摘要"
#: Widest a summary column grows; a longer value (a digest) wraps within it.
_SUMMARY_MOST = 40
_TITLE = Font(bold=True, size=16)
_WRAP = Alignment(wrap_text=True, vertical="top")


def report_workbook(report: Report) -> bytes:
    """The report as the bytes of an .xlsx file: its summary first (`SUMMARY`), then its
    tables."""
    book = Workbook(write_only=True)
    used: set[str] = {SUMMARY}
    names = [_sheet_name(table.name, used) for table in report.tables]
    _write_summary(book.create_sheet(SUMMARY), report, names)
    for name, table in zip(names, report.tables, strict=True):
        _write_table(book.create_sheet(name), table)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_summary(sheet: Worksheet, report: Report, names: list[str]) -> None:
    """One printable page: the title, the county and the report's metadata (period, area, as of
    when in Beijing time, what it can be verified by), the headline figures, and what the
    other sheets hold — portrait, scaled to fit one A4 page."""
    lines: list[list[Any]] = [["县", report.county]] if report.county else []
    lines += [[name, value] for name, value in report.meta]
    figures = [[h.name, h.value, h.note] for h in report.headline]
    contents = [["其余各表", "、".join(names)]] if names else []
    rows = [*lines, ["主要指标", "数值", "说明"], *figures, *contents]
    widths = [fitted_width((row[i] if i < len(row) and not isinstance(row[i], float) else "100.0%"
                            for row in rows), least=10, most=_SUMMARY_MOST) for i in range(3)]
    for index, width in enumerate(widths):
        sheet.column_dimensions[_letter(index)].width = width
    setup = sheet.page_setup
    setup.paperSize, setup.orientation = Worksheet.PAPERSIZE_A4, "portrait"
    setup.fitToWidth = setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    title = WriteOnlyCell(sheet, value=report.title)
    title.font = _TITLE
    sheet.append([title])
    sheet.append([])
    for line in lines:
        sheet.append([header(sheet, line[0]), _summary_value(sheet, line[1])])
    if figures:
        sheet.append([])
        sheet.append([header(sheet, text) for text in rows[len(lines)]])
        for name, value, note in figures:
            sheet.append([name, _number(sheet, value), note])
    for name, value in contents:
        sheet.append([])
        sheet.append([header(sheet, name), _summary_value(sheet, value)])


def _summary_value(sheet: Worksheet, value: Any) -> Any:
    """A summary's value: wrapped within its column when wider than it (a digest)."""
    if display_width(value) <= _SUMMARY_MOST:
        return cell(sheet, value)
    wrapped = WriteOnlyCell(sheet, value=str(value))
    wrapped.alignment = _WRAP
    return wrapped


def _write_table(sheet: Worksheet, table: Table) -> None:
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns):
        sheet.column_dimensions[_letter(index)].width = fitted_width(
            [column, *(row[index] for row in table.rows[:WIDTH_SAMPLE])])
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
    """A report's cell: a rate as a percentage, the rest (an amount as yuan) as `cell` writes it."""
    if isinstance(value, float):
        number = WriteOnlyCell(sheet, value=value)
        number.number_format = PERCENT_FORMAT
        return number
    return cell(sheet, value)


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
