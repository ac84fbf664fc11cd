"""Exchange exports (数据共享, domain.md §15): monitoring objects, households with their members,
and measures, as the other system's import template wants them — its columns, headers and
codes given by a mapping file (`interfaces.exchange_mapping`), as .xlsx or CSV.

Rows come from the lists' own rows (`interfaces.exports.pages`: the monitoring list and the
household directory, in the caller's area) and, for members and measures, from each household's
case file as the API shows it to the caller (`interfaces.http.views.case_file`: ID numbers
masked by role). Every household whose data goes out is written to the access log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from domain.codes import Relation
from interfaces.exchange_mapping import HEAD_ID_NUMBER, KINDS, Mapping, Sheet, cell_value
from interfaces.exports import export_area, exporter, logged, pages, sheet_workbook
from projections.queries import Area, ReadModels

FORMATS = ("xlsx", "csv")


@dataclass(frozen=True)
class Exchange:
    """What an export reads and who reads it: the read models, the case files, the caller, the
    caller's area and the access log (with the route it is read through)."""

    views: ReadModels
    app: CaseFiles
    user: User
    area: Area
    log: AccessLog
    route: str


def rows(exchange: Exchange, sheet: Sheet, today: date) -> Iterator[dict[str, Any]]:
    """The rows of ``sheet``'s kind in the caller's area, by field name; each household they
    come from is written to the access log (in batches, before its rows go out)."""
    from interfaces.http.views import Masker  # (the HTTP package imports this module)

    kind = sheet.kind
    which = "monitoring" if kind == "monitoring" else "households"
    needs_file = kind != "monitoring" or any(c.field == HEAD_ID_NUMBER for c in sheet.columns)
    mask = Masker(exchange.user)
    listed = pages(exchange.views, which, exchange.area, today=today)
    for row in logged(listed, exchange.log, exchange.user, exchange.route):
        yield from _details(exchange, kind, row, mask) if needs_file else [row]


def _details(exchange: Exchange, kind: str, row: dict[str, Any], mask: Callable[[str], str],
             ) -> list[dict[str, Any]]:
    """A list row with what its case file adds: the head's ID number (monitoring), one row per
    current member (households) or per measure (measures)."""
    household = exchange.app.household(row["code"])
    if kind == "monitoring":
        head = next((m for m in household.members.values()
                     if m.relation is Relation.HEAD and m.left_on is None), None)
        return [{**row, HEAD_ID_NUMBER: mask(head.id_number) if head else None}]
    from interfaces.http.views import case_file

    shown = case_file(household, exchange.user)
    if kind == "households":
        return [{**row, **{f"member.{k}": getattr(m, k) for k in m.__struct_fields__}}
                for m in shown.members if m.current]
    return [{**row, **{f"measure.{k}": getattr(m, k) for k in m.__struct_fields__}}
            for m in shown.measures]


def export(exchange: Exchange, mapping: Mapping, kind: str, form: str, today: date) -> bytes:
    """The export of ``kind`` as ``form`` (xlsx or csv), its columns as ``mapping`` says."""
    sheet = mapping.sheet(kind)
    headers = [column.header for column in sheet.columns]
    values = ([cell_value(column, row) for column in sheet.columns]
              for row in rows(exchange, sheet, today))
    if form == "csv":
        return csv_bytes(headers, values)
    return sheet_workbook(sheet.name, headers, values,
                          f"{KINDS[kind][0]}（{KINDS[kind][1]}）；导出范围：{export_area(exchange.user)}；"
                          f"导出人：{exporter(exchange.user)}；映射：{mapping.source}")


def csv_bytes(headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    """Rows as CSV in UTF-8 with a byte-order mark: Excel, which the counties open these files
    with, reads a CSV without one in the system's code page (GBK on a Chinese Windows) and
    shows the Chinese as mojibake. Text that a spreadsheet would take for a formula (starting
    with = + - @, or a tab or carriage return) gets a leading apostrophe, as `cell` keeps such
    text from becoming a formula in a workbook."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in headers])
    for values in rows:
        writer.writerow([_csv_text(v) for v in values])
    return out.getvalue().encode("utf-8-sig")


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)
    value = ILLEGAL_CHARACTERS_RE.sub("?", value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def file_name(kind: str, form: str) -> str:
    return f"fangpin-exchange-{kind}.{form}"


