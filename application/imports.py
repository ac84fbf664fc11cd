"""Importing a department's push or the household registry from a workbook or CSV file.

Rows are read, checked and recorded one at a time: a good row is recorded, a bad row is not and
goes to an error workbook (the original cells plus a 错误原因 column, ready to fix and upload
again), and nothing is half-recorded — a household whose rows have any problem is not
registered at all. A file imported without a rejected row is recognised by the SHA-256 of its
content: importing it again records nothing and says when it was imported. A file with
rejected rows may come again (once the households are registered, say): the rows it recorded
the first time are recognised by their command ids and counted as already recorded. Alert
rows carry command ids made of the department, the batch and the row number, as HTTP pushes
do, so an interrupted import can be run again and each row is recorded once.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from application.app import CaseFiles
from application.commands import MemberIn, RegisterHousehold
from application.errors import HouseholdAlreadyRegistered
from application.intake import (
    ALERT_COLUMNS,
    HOUSEHOLD_COLUMNS,
    CheckedRow,
    Column,
    FileRefused,
    check_row,
    open_sheet,
)
from application.pushes import (
    UNMATCHED,
    FindHousehold,
    PushBatch,
    PushedAlert,
    PushRecording,
    check_batch,
)
from application.staff_columns import STAFF_COLUMNS
from application.unit_of_work import retrying
from application.workbooks import cell, header
from domain.cadences import Duty
from domain.codes import Department, HouseholdType, Relation, Role, Tier
from domain.errors import DomainError, InvalidValue
from domain.governance import check_push_period
from domain.household import DUPLICATE, NEW_CASE
from domain.people import PersonInAnotherHousehold
from domain.rules import local_date
from domain.values import Actor

Progress = Callable[[int, int | None], None]
ERROR_COLUMN = "错误原因"


@dataclass
class ImportSummary:
    """What an import read and recorded."""

    kind: str
    filename: str
    digest: str
    rows_read: int = 0
    blank_rows: int = 0
    recorded: int = 0
    rejected: int = 0
    new_cases: int = 0
    joined: int = 0
    duplicates: int = 0
    unmatched: int = 0
    households_registered: int = 0
    members_registered: int = 0
    repeated: int = 0  # rows already recorded by an earlier run of the same import
    staff_assigned: int = 0  # 网格员 / 帮扶责任人 named where nobody was (`application.staff_import`)
    staff_changed: int = 0  # … handed over from another person
    staff_unchanged: int = 0  # rows naming the people already answering for the household
    batch_id: str | None = None
    already_imported_at: datetime | None = None
    errors: bytes | None = None  # the error workbook, when a row was rejected
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row, reason), first 200

    def lines(self) -> list[str]:
        """The summary in Chinese, a line per figure."""
        if self.already_imported_at is not None:
            when = f"{self.already_imported_at:%Y-%m-%d %H:%M}"
            return [f"此文件已于 {when} 导入过（SHA-256 {self.digest[:12]}…），本次未重复记录"]
        lines = [f"读取 {self.rows_read} 行（空行 {self.blank_rows}），记录 {self.recorded} 行，"
                 f"拒收 {self.rejected} 行"]
        if self.kind == "alerts":
            lines.append(f"新案件 {self.new_cases}，并入已有案件 {self.joined}，重复推送 {self.duplicates}"
                         f"（省级已推送的不再立案），未匹配到农户 {self.unmatched}（已列入未匹配名单，"
                         f"待乡镇认领）；批次 {self.batch_id}")
        elif self.kind == "staff":
            lines.append(f"新指定 {self.staff_assigned} 人次，更换 {self.staff_changed} 人次，"
                         f"{self.staff_unchanged} 户人员未变")
        else:
            lines.append(f"登记农户 {self.households_registered} 户、成员 {self.members_registered} 人")
        if self.repeated:
            lines.append(f"其中 {self.repeated} 行此前已记录，本次未重复记录")
        return lines


def file_digest(path: Path, data: bytes | None = None) -> str:
    digest = hashlib.sha256()
    if data is not None:
        digest.update(data)
    else:
        with open(path, "rb") as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


class _Errors:
    """The error workbook, written row by row as rejected rows come (write-only mode)."""

    def __init__(self, headers: list[str]) -> None:
        self.headers = headers
        self.book: Workbook | None = None

    def add(self, row: CheckedRow, reason: str) -> None:
        if self.book is None:
            self.book = Workbook(write_only=True)
            self.sheet = self.book.create_sheet("错误行")
            self.sheet.freeze_panes = "A2"
            self.sheet.append([header(self.sheet, text) for text in ["原行号", *self.headers, ERROR_COLUMN]])
        values = list(row.cells[:len(self.headers)]) + [None] * (len(self.headers) - len(row.cells))
        self.sheet.append([row.number, *(cell(self.sheet, v) for v in values), cell(self.sheet, reason)])

    def bytes(self) -> bytes | None:
        if self.book is None:
            return None
        out = io.BytesIO()
        self.book.save(out)
        return out.getvalue()


class _Duplicates:
    """Rows seen in this file, by a short digest of their content (memory stays small)."""

    def __init__(self) -> None:
        self.seen: dict[bytes, int] = {}

    def first(self, row: CheckedRow, columns: tuple[Column, ...]) -> int | None:
        key = hashlib.blake2b(repr([row.values.get(c.key) for c in columns]).encode(),
                              digest_size=10).digest()
        first = self.seen.get(key)
        if first is None:
            self.seen[key] = row.number
        return first


# ---------------------------------------------------------------------- alerts


def import_alerts(
    app: CaseFiles, path: Path, *, department: Department, tier: Tier, period: str, by: Actor,
    find_household: FindHousehold, batch_id: str | None = None, urgent: bool = False,
    duties: tuple[Duty, ...] = (), data: bytes | None = None, progress: Progress | None = None,
) -> ImportSummary:
    """Import one department push (部门筛查预警) from ``path`` (or its uploaded ``data``)."""
    digest = file_digest(path, data)
    summary = ImportSummary("alerts", path.name, digest)
    if _already(app, summary):
        return summary
    batch = PushBatch(department, (batch_id or file_batch_id(digest)).strip(), tier,
                      check_push_period(period), urgent)
    summary.batch_id = batch.batch_id
    try:
        check_batch(app, duties, batch)
    except InvalidValue as refused:  # the whole file: nothing read, nothing recorded
        raise FileRefused(refused.code, refused.message, refused.field) from None
    sheet = open_sheet(path, ALERT_COLUMNS, data)
    errors = _Errors(sheet.headers)
    duplicates = _Duplicates()
    recording = PushRecording(app, batch, by=by, find_household=find_household, duties=duties)
    for row in sheet.rows:
        summary.rows_read += 1
        checked = check_row(row, ALERT_COLUMNS)
        if checked.ok:
            first = duplicates.first(checked, ALERT_COLUMNS)
            if first is not None:
                checked.problems.append(("", f"与第 {first} 行完全相同（文件内重复）"))
        if checked.ok:
            _record_alert(recording, summary, checked, file_row_id(digest, checked.number))
        if not checked.ok:
            _reject(summary, errors, checked)
        if progress is not None and summary.rows_read % 500 == 0:
            progress(summary.rows_read, sheet.approximate_rows)
    summary.blank_rows = len(sheet.blank_rows)
    recording.receive(rows=summary.rows_read, rejected=summary.rejected)
    return _finish(app, summary, errors, by, department=department, progress=progress,
                   total=sheet.approximate_rows)


def file_batch_id(digest: str) -> str:
    """The batch id of a push read from a file whose sender named none: from its content."""
    return f"导入-{digest[:12]}"


def file_row_id(digest: str, number: int) -> str:
    """A file row's id in its batch: the file (a digest prefix: an edited file's rows are new
    rows) and the row's number in the sheet."""
    return f"{digest[:8]}:{number}"


def pushed_alert_of(values: dict[str, Any]) -> PushedAlert:
    """The alert a checked row of an alert file (`ALERT_COLUMNS`) pushes."""
    return PushedAlert(
        person_id_number=values["person_id_number"], risk_types=values["risk_types"],
        discovered_on=values["occurred_on"], description=values.get("description", ""),
        disaster_kind=values.get("disaster_kind"), problems=values.get("problems", ()),
        township=values.get("township"), village=values.get("village"),
        target_group=values.get("target_group"), amount=values.get("amount"),
        sudden_hardship=values.get("sudden_hardship"))


def _record_alert(recording: PushRecording, summary: ImportSummary, row: CheckedRow,
                  row_id: str) -> None:
    """Record one checked row, counting what became of it (or noting the rule it breaks)."""
    try:
        outcome = recording.record(row_id, pushed_alert_of(row.values))
    except DomainError as error:
        row.problems.append((_header_of(error.field, ALERT_COLUMNS), error.message))
        return
    summary.recorded += 1
    summary.repeated += int(outcome.repeated)
    if outcome.result == UNMATCHED:
        summary.unmatched += 1
    elif outcome.result == DUPLICATE:
        summary.duplicates += 1
    elif outcome.result == NEW_CASE:
        summary.new_cases += 1
    else:
        summary.joined += 1


# ---------------------------------------------------------------------- households


def import_households(
    app: CaseFiles, path: Path, *, by: Actor, data: bytes | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the registry: one row per member, a household's rows together, 户主 marked 本人."""
    digest = file_digest(path, data)
    summary = ImportSummary("households", path.name, digest)
    if _already(app, summary):
        return summary
    sheet = open_sheet(path, HOUSEHOLD_COLUMNS, data)
    errors = _Errors(sheet.headers)
    people: dict[str, int] = {}
    codes: dict[str, int] = {}
    today = local_date(app.clock())
    for group in _households(sheet.rows, summary):
        _register(app, summary, errors, group, people, codes, by=by, today=today)
        if progress is not None and summary.rows_read % 500 < len(group):
            progress(summary.rows_read, sheet.approximate_rows)
    summary.blank_rows = len(sheet.blank_rows)
    return _finish(app, summary, errors, by, progress=progress, total=sheet.approximate_rows)


def _households(rows: Iterator[Any], summary: ImportSummary) -> Iterator[list[CheckedRow]]:
    """Consecutive rows with the same household code, checked."""
    group: list[CheckedRow] = []
    for row in rows:
        summary.rows_read += 1
        checked = check_row(row, HOUSEHOLD_COLUMNS)
        code = checked.values.get("code") or str(row.values.get("code") or "").strip()
        checked.values.setdefault("code", code)
        if group and group[0].values["code"] != code:
            yield group
            group = []
        group.append(checked)
    if group:
        yield group


_HOUSEHOLD_FIELDS = ("township", "village", "address", "household_type", "lifted_out_year")


def _register(app: CaseFiles, summary: ImportSummary, errors: _Errors, group: list[CheckedRow],
              people: dict[str, int], codes: dict[str, int], *, by: Actor, today: Any) -> None:
    code = group[0].values.get("code", "")
    if code and code in codes:
        for row in group:
            row.problems.append(("户编号", f"户编号 {code} 已在第 {codes[code]} 行出现：同户成员须连续排列"))
    elif code:
        codes[code] = group[0].number
    for row in group:
        if row.ok and row.values.get("id_number") in people:
            row.problems.append(("身份证号码", f"与第 {people[row.values['id_number']]} 行的身份证号码相同"))
        elif row.ok:
            people[row.values["id_number"]] = row.number
    heads = [r for r in group if r.values.get("relation") is Relation.HEAD]
    head = heads[0] if len(heads) == 1 else None
    if head is None and all(r.ok for r in group):
        for row in group:
            row.problems.append(
                ("与户主关系", f"本户（{code}）须有且只有一名户主（“本人”），现有 {len(heads)} 名"))
    if head is not None:
        for row in group:
            for name in _HOUSEHOLD_FIELDS:
                if row is not head and name in row.values and row.values[name] != head.values.get(name):
                    header = next(c.header for c in HOUSEHOLD_COLUMNS if c.key == name)
                    row.problems.append((header, f"与户主所在行（第 {head.number} 行）不一致"))
    if head is not None and all(r.ok for r in group):
        values = head.values
        kind = values["household_type"]
        if kind is HouseholdType.LIFTED_OUT and "lifted_out_year" not in values:
            head.problems.append(("脱贫年度", "脱贫户须填写脱贫年度"))
    if not all(r.ok for r in group):
        bad = [r.number for r in group if not r.ok]
        for row in group:
            if row.ok:
                row.problems.append(("", f"同户第 {'、'.join(map(str, bad))} 行有误，本户未登记"))
            _reject(summary, errors, row)
        return
    assert head is not None
    ordered = [head, *(r for r in group if r is not head)]
    members = [MemberIn(
        name=r.values["name"], id_number=r.values["id_number"], relation=r.values["relation"],
        health=r.values["health"], labour_capacity=r.values["labour_capacity"],
        in_school=r.values.get("in_school", False), insured=r.values["insured"],
    ) for r in ordered]
    values = head.values
    registration = RegisterHousehold(
        code=code, township=values["township"], village=values["village"], address=values["address"],
        household_type=values["household_type"], lifted_out_year=values.get("lifted_out_year"),
        members=members, occurred_on=today)
    try:
        result = retrying(lambda: app.register_household(
            registration, by=by, command_id=f"import-household:{code}"))
    except HouseholdAlreadyRegistered:
        reason = ("户编号", f"户编号 {code} 已登记（不是由本文件登记的）")
    except PersonInAnotherHousehold as refused:  # only the county centre imports the registry
        named = refused.naming(by.role is Role.COUNTY_CENTRE)
        person = ordered[int((named.field or "members[0]").split("[")[1].split("]")[0])]
        reason = ("", f"同户第 {person.number} 行有误，本户未登记")
        person.problems.append(("身份证号码", named.message))
    except DomainError as error:
        reason = (_header_of(error.field, HOUSEHOLD_COLUMNS), error.message)
    else:
        summary.recorded += len(group)
        summary.repeated += len(group) if result.repeated else 0
        summary.households_registered += 0 if result.repeated else 1
        summary.members_registered += 0 if result.repeated else len(group)
        return
    for row in group:
        if row.ok:
            row.problems.append(reason)
        _reject(summary, errors, row)


# ---------------------------------------------------------------------- shared


def _already(app: CaseFiles, summary: ImportSummary) -> bool:
    ledger = app.import_ledger()
    record = ledger.imported(summary.kind, summary.digest) if ledger else None
    if record is None:
        return False
    summary.already_imported_at = record.imported_at
    summary.batch_id = record.batch_id
    return True


def _reject(summary: ImportSummary, errors: _Errors, row: CheckedRow) -> None:
    summary.rejected += 1
    reason = row.reason()
    errors.add(row, reason)
    if len(summary.problems) < 200:
        summary.problems.append((row.number, reason))


def _finish(app: CaseFiles, summary: ImportSummary, errors: _Errors, by: Actor, *,
            department: Department | None = None, progress: Progress | None,
            total: int | None) -> ImportSummary:
    summary.errors = errors.bytes()
    if summary.rejected:
        # Not recorded as imported: the same file may come again once households are
        # registered or codes fixed; the rows it recorded are recognised by their command ids.
        return summary
    retrying(lambda: app.record_import(
        kind=summary.kind, digest=summary.digest, filename=summary.filename, batch_id=summary.batch_id,
        department=department, rows=summary.rows_read, recorded=summary.recorded,
        rejected=summary.rejected, by=by, command_id=f"import:{summary.kind}:{summary.digest}"))
    if progress is not None:
        progress(summary.rows_read, summary.rows_read)
    return summary


def _header_of(field: str | None, columns: tuple[Column, ...]) -> str:
    key = (field or "").split(".")[-1].split("[")[0]
    return next((c.header for c in columns if c.key == key), "")


# ---------------------------------------------------------------------- templates


TEMPLATES = {"alerts": ("预警信息", ALERT_COLUMNS), "households": ("农户名单", HOUSEHOLD_COLUMNS),
             "staff": ("网格员与帮扶责任人", STAFF_COLUMNS)}


def template(kind: str) -> bytes:
    """A workbook to fill in: Chinese headers (frozen), text-formatted ID columns, a drop-down
    list for every code column, and a sheet explaining each column."""
    title, columns = TEMPLATES[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = title
    lists = book.create_sheet("码表")
    help_sheet = book.create_sheet("填写说明")
    help_sheet.append(["列", "必填", "说明", "可选值"])
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        heading = sheet.cell(row=1, column=index, value=column.header)
        heading.font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        if column.kind in ("id_number", "household_code", "text"):
            for row in range(2, 1001):
                sheet.cell(row=row, column=index).number_format = "@"  # text: Excel keeps digits
        choices = [c.value for c in column.codes] if column.codes else (
            ["是", "否"] if column.kind == "flag" else [])
        if choices:
            for offset, value in enumerate(choices, start=1):
                lists.cell(row=offset, column=index, value=value)
            source = f"码表!${letter}$1:${letter}${len(choices)}"
            validation = DataValidation(type="list", formula1=f"={source}", allow_blank=True,
                                        showErrorMessage=column.kind != "codes",
                                        errorTitle="不在码表中", error=f"请从下拉列表中选择{column.header}")
            validation.add(f"{letter}2:{letter}1000")
            sheet.add_data_validation(validation)
        help_sheet.append([column.header, "是" if column.required else "否", column.help,
                           "、".join(choices)])
    sheet.freeze_panes = "A2"
    lists.sheet_state = "hidden"
    help_sheet.column_dimensions["A"].width = 14
    help_sheet.column_dimensions["C"].width = 60
    help_sheet.column_dimensions["D"].width = 60
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
