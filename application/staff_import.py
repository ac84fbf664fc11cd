"""Naming the people on many households at once from a workbook or CSV file (§七).

One row per household: 户编号, and its 网格员 (姓名, 电话) and/or its 帮扶责任人 (姓名, 单位, 电话).
A row says who answers for the household from its 起始日期 (default: the day of the import):
a household with nobody in that duty gets the person assigned, one with another person gets
them changed (the row's 更换原因 is then required), one with the same person is left as it is
(counted as unchanged, so a file can be imported again). The commands are the household's own
(`application.commands.staff`), with the same rules: a phone of the wrong shape, a 帮扶责任人
for a household that may not have one, a household outside the importer's area.

A row's commands are first tried on a private copy of the household, and only when every one
passes are they recorded, one after the other. Should someone change the household between the
two (a race of seconds), the part already recorded stays and the row is reported refused with
the reason, so importing the file again completes it. A refused row goes, with the column to
blame, to the error workbook (the machinery of `application.imports`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from application.app import CaseFiles
from application.commands import (
    AssignGridWorker,
    AssignHelper,
    ChangeGridWorker,
    ChangeHelper,
    HouseholdCommand,
    Recording,
)
from application.errors import HouseholdNotFound
from application.imports import (
    ImportSummary,
    Progress,
    _already,
    _Duplicates,
    _Errors,
    _finish,
    _reject,
    file_digest,
)
from application.intake import CheckedRow, check_row, open_sheet
from application.staff_columns import STAFF_COLUMNS
from application.unit_of_work import retrying
from domain.errors import DomainError
from domain.household import Household
from domain.rules import local_date
from domain.values import Actor

#: Which column a refusal of the grid worker's / the helper's command names, by its field.
_COLUMN_OF = {
    "grid_worker": {"worker_name": "网格员姓名", "phone": "网格员电话", "reason": "更换原因",
                    "occurred_on": "起始日期"},
    "helper": {"helper_name": "帮扶责任人姓名", "unit": "帮扶责任人单位", "phone": "帮扶责任人电话",
               "reason": "更换原因", "occurred_on": "起始日期", "household_code": "帮扶责任人姓名"},
}
KIND = "staff"


def import_staff(
    app: CaseFiles, path: Path, *, by: Actor, allowed: Callable[[Household], None],
    data: bytes | None = None, progress: Progress | None = None,
) -> ImportSummary:
    """Assign or change the 网格员 and 帮扶责任人 of the households of ``path`` (or its uploaded
    ``data``) as ``by``; ``allowed`` refuses a household outside the importer's area."""
    digest = file_digest(path, data)
    summary = ImportSummary(KIND, path.name, digest)
    if _already(app, summary):
        return summary
    sheet = open_sheet(path, STAFF_COLUMNS, data)
    errors = _Errors(sheet.headers)
    duplicates = _Duplicates()
    codes: dict[str, int] = {}
    today = local_date(app.clock())
    for row in sheet.rows:
        summary.rows_read += 1
        checked = check_row(row, STAFF_COLUMNS)
        if checked.ok:
            _check_shape(checked, codes, duplicates)
        if checked.ok:
            _record(app, summary, checked, by=by, allowed=allowed, today=today, digest=digest)
        if not checked.ok:
            _reject(summary, errors, checked)
        if progress is not None and summary.rows_read % 500 == 0:
            progress(summary.rows_read, sheet.approximate_rows)
    summary.blank_rows = len(sheet.blank_rows)
    return _finish(app, summary, errors, by, progress=progress, total=sheet.approximate_rows)


def _check_shape(row: CheckedRow, codes: dict[str, int], duplicates: _Duplicates) -> None:
    """What a row must say whatever the household: someone, and each person whole."""
    values = row.values
    first = duplicates.first(row, STAFF_COLUMNS)
    if first is not None:
        row.problems.append(("", f"与第 {first} 行完全相同（文件内重复）"))
        return
    code = values["code"]
    if code in codes:
        row.problems.append(("户编号", f"户编号 {code} 已在第 {codes[code]} 行出现：每户一行"))
        return
    codes[code] = row.number
    worker = [k for k in ("worker_name", "worker_phone") if k in values]
    helper = [k for k in ("helper_name", "unit", "helper_phone") if k in values]
    for column in STAFF_COLUMNS[1:6]:
        if len(values.get(column.key, "")) > 100:
            row.problems.append((column.header, "不能超过100个字"))
    if not worker and not helper:
        row.problems.append(("网格员姓名", "须填写网格员或帮扶责任人（或两者）"))
    if worker and "worker_name" not in values:
        row.problems.append(("网格员姓名", "填写了网格员电话，须同时填写网格员姓名"))
    if helper and "helper_name" not in values:
        row.problems.append(("帮扶责任人姓名", "填写了帮扶责任人单位或电话，须同时填写帮扶责任人姓名"))


def _record(app: CaseFiles, summary: ImportSummary, row: CheckedRow, *, by: Actor,
            allowed: Callable[[Household], None], today: date, digest: str) -> None:
    """Try the row's commands on a copy of the household, then record them all, or note why
    not (with the column to blame)."""
    values = row.values
    code = values["code"]
    try:
        household = app.household(code)
        allowed(household)
    except HouseholdNotFound:
        row.problems.append(("户编号", f"没有户编号为 {code} 的农户"))
        return
    except DomainError as refused:
        row.problems.append(("户编号", refused.message))
        return
    commands = _commands(household, values, values.get("occurred_on") or today)
    if not commands:
        summary.recorded += 1
        summary.staff_unchanged += 1
        return
    trial = Recording(by=by, at=app.clock())
    for duty, command in commands:  # a dry run on the private copy: nothing is recorded
        try:
            command.run(household, trial)
        except DomainError as refused:
            row.problems.append((_COLUMN_OF[duty].get(refused.field or "", ""), refused.message))
            return
    for duty, command in commands:
        command_id = f"import-staff:{digest[:8]}:{row.number}:{duty}"
        try:
            result = retrying(lambda c=command, i=command_id: app.execute(  # type: ignore[misc]
                code, c, by=by, command_id=i, allowed=allowed))
        except DomainError as refused:  # changed since the dry run (a race): named all the same
            row.problems.append((_COLUMN_OF[duty].get(refused.field or "", ""), refused.message))
            return
        summary.repeated += int(result.repeated)
        if isinstance(command, AssignGridWorker | AssignHelper):
            summary.staff_assigned += 1
        else:
            summary.staff_changed += 1
    summary.recorded += 1


def _commands(household: Household, values: dict[str, Any],
              day: date) -> list[tuple[str, HouseholdCommand]]:
    """The commands that make the row's people the household's: an assignment where nobody
    holds the duty, a change where another person does, nothing where this one already does."""
    commands: list[tuple[str, HouseholdCommand]] = []
    reason = values.get("reason", "")
    if "worker_name" in values:
        name, phone = values["worker_name"], values.get("worker_phone", "")
        current = household.grid_worker
        if current is None:
            commands.append(("grid_worker", AssignGridWorker(
                worker_name=name, phone=phone, occurred_on=day)))
        elif (current.name, current.phone) != (name, _same_phone(phone, current.phone)):
            commands.append(("grid_worker", ChangeGridWorker(
                worker_name=name, phone=phone, reason=reason, occurred_on=day)))
    if "helper_name" in values:
        name, unit, phone = values["helper_name"], values.get("unit", ""), values.get("helper_phone", "")
        current = household.helper
        if current is None:
            commands.append(("helper", AssignHelper(
                helper_name=name, unit=unit, phone=phone, occurred_on=day)))
        elif (current.name, current.unit, current.phone) != (name, unit,
                                                               _same_phone(phone, current.phone)):
            commands.append(("helper", ChangeHelper(
                helper_name=name, unit=unit, phone=phone, reason=reason, occurred_on=day)))
    return commands


def _same_phone(typed: str, stored: str) -> str:
    """The stored phone when ``typed`` is the same number written another way (spaces, +86)."""
    from domain.identity import validate_phone

    try:
        return stored if validate_phone(typed, "phone") == stored else typed
    except DomainError:
        return typed

