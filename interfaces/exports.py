"""The read models' lists as Excel workbooks (监测对象名单, 案件队列, overdue lists, 农户目录):
Chinese headers in a frozen first row, the caller's area only, written page by page in
write-only mode so a county-wide directory never sits in memory at once."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from itertools import chain, islice
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.workbooks import WIDTH_SAMPLE, cell, fitted_width, header
from domain.deadlines import IDENTIFICATION_DAYS, MEASURE_WITHIN_DAYS
from domain.household import STEP_NAMES
from domain.rules import CHINA_TIME
from domain.unmatched import UnmatchedAlerts
from interfaces.overdue import overdue_rows, overdue_unmatched
from projections.queries import COUNTY, Area, Page, ReadModels


def export_area(user: User) -> str:
    """The area an export holds, as its name and its note say it: the user's township and
    village, or 全县."""
    return f"{user.township or ''}{user.village or ''}" or "全县"


def exporter(user: User) -> str:
    """导出人 as every export records them: the display name, with the login it traces to."""
    return f"{user.display_name}（{user.name}）" if user.display_name else user.name


def export_name(title: str, user: User, today: date, suffix: str = "xlsx") -> str:
    """An export's file name as people file it: what, where, the day (案件队列-银坊镇-20250720.xlsx)."""
    return f"{title}-{export_area(user)}-{today:%Y%m%d}.{suffix}"


def as_attachment(name: str) -> dict[str, str]:
    """The header that offers a download under its Chinese ``name``."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


#: Each export: its title and its columns (read-model field, Chinese header).
EXPORTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "monitoring": ("监测对象名单", (
        ("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("head_name", "户主"),
        ("head_id_masked", "户主身份证号码"), ("household_type", "户类型"), ("category", "监测对象类别"),
        ("risk_types", "风险类型"), ("included_on", "纳入日期"), ("days_in_monitoring", "监测天数"),
        ("measures_in_place", "已落实措施"), ("measures_planned", "计划措施"),
        ("last_visit_on", "最近走访"), ("visited_this_month", "本月已走访"),
        ("eliminating", "风险消除程序中"), ("grid_worker", "网格员"), ("grid_worker_phone", "网格员电话"),
        ("helper", "帮扶责任人"), ("helper_unit", "帮扶责任人单位"), ("helper_phone", "帮扶责任人电话"))),
    "cases": ("案件队列", (
        ("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("head_name", "户主"),
        ("stage", "阶段"), ("discovered_on", "发现日期"), ("deadline_on", "应认定日期"),
        ("days_left", "剩余天数"), ("days_overdue", "超期天数"), ("green_channel", "绿色通道"),
        ("pending_steps", "待完成程序"), ("owed_steps", "绿色通道待补办"), ("re_entry", "消除后再次纳入"))),
    "visits-due": ("本月未走访", (
        ("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("head_name", "户主"),
        ("household_type", "户类型"), ("category", "监测对象类别"), ("last_visit_on", "最近走访"),
        ("grid_worker", "网格员"), ("grid_worker_phone", "网格员电话"), ("helper", "帮扶责任人"))),
    "measures-missing": (f"认定{MEASURE_WITHIN_DAYS}天未落实帮扶措施", (
        ("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("head_name", "户主"),
        ("category", "监测对象类别"), ("included_on", "纳入日期"),
        ("first_in_place_on", "首个措施落实日期"), ("needs_met_on", "需求全部落实日期"))),
    "households": ("农户目录", (
        ("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("address", "住址"),
        ("household_type", "户类型"), ("head_name", "户主"), ("head_id_masked", "户主身份证号码"),
        ("members", "人口"), ("monitored", "监测对象"), ("category", "监测对象类别"),
        ("last_visit_on", "最近走访"), ("grid_worker", "网格员"), ("helper", "帮扶责任人"))),
    "appeals": ("异议与申诉", (
        ("code", "户编号"), ("township", "乡镇"), ("village", "行政村"), ("head_name", "户主"),
        ("appeal_id", "申诉编号"), ("case_number", "案件"), ("against", "申诉事项"),
        ("deciding_role", "答复单位"), ("lodged_on", "提出日期"), ("deadline_on", "答复期限"),
        ("overdue", "已超期"), ("days_overdue", "超期天数"), ("answered_on", "答复日期"),
        ("outcome", "结论"), ("on_time", "按期答复"))),
}
# the overdue list holds the alerts still unmatched past their deadline too (interfaces.overdue)
EXPORTS["overdue"] = (f"超过{IDENTIFICATION_DAYS}天未认定的案件", EXPORTS["cases"][1] + (
    ("alert_id", "未匹配预警编号"), ("person_id_masked", "预警对象身份证号码")))
EXPORTS["green-channel"] = ("绿色通道待补办程序", EXPORTS["cases"][1])


def pages(views: ReadModels, which: str, area: Area = COUNTY, *, township: str | None = None,
          village: str | None = None, head_name: str | None = None, category: str | None = None,
          grid_worker: str | None = None, today: date | None = None,
          held: UnmatchedAlerts | None = None, status: str = "open",
          ) -> Iterator[dict[str, Any]]:
    """Every row of a list in the caller's area, a page of 500 at a time; the overdue list
    ends with the alerts of ``held`` (the county's unmatched alerts) past their deadline.
    ``grid_worker`` keeps a 网格员's own households (monitoring, visits due, households);
    ``status`` says which appeals ("open" or "all")."""
    fetch: Callable[..., Page]
    filters = {"township": township, "village": village, "head_name": head_name}
    if which == "monitoring":
        fetch = lambda **page: views.monitoring_list(area, category=category, today=today,  # noqa: E731
                                                     grid_worker=grid_worker, **filters, **page)
    elif which in ("cases", "overdue", "green-channel"):
        fetch = lambda **page: views.case_queue(  # noqa: E731
            area, overdue=which == "overdue", green_channel_owed=which == "green-channel",
            today=today, **filters, **page)
    elif which == "visits-due":
        fetch = lambda **page: views.visits_due(area, month=today,  # noqa: E731
                                                grid_worker=grid_worker, **filters, **page)
    elif which == "measures-missing":
        fetch = lambda **page: views.measures_missing(  # noqa: E731
            area, today=today, township=township, village=village, **page)
    elif which == "appeals":
        fetch = lambda **page: views.appeals(  # noqa: E731
            area, status=status, today=today, township=township, village=village, **page)
    else:
        fetch = lambda **page: views.directory(area, grid_worker=grid_worker,  # noqa: E731
                                               **filters, **page)
    after = None
    while True:
        page = fetch(after=after, limit=500)
        yield from page.rows
        if not page.after:
            break
        after = page.after
    if which == "overdue" and not head_name:  # a held alert has no household, no head
        day = today or views.today()
        yield from overdue_rows(overdue_unmatched(
            held, area, day, township=views.name_match(area, "township", township),
            village=views.name_match(area, "village", village)), day)


def logged(rows: Iterable[dict[str, Any]], log: AccessLog, user: User, route: str,
           every: int = 500) -> Iterator[dict[str, Any]]:
    """``rows`` as they come, each household among them written to the access log under
    ``route`` — a batch of ``every`` rows at a time, before the batch goes on: whatever an
    export sends out has been logged (rows of no household, e.g. an unmatched alert, are not)."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= every:
            log.record_many(user, (r["code"] for r in batch if r.get("code")), route)
            yield from batch
            batch = []
    log.record_many(user, (r["code"] for r in batch if r.get("code")), route)
    yield from batch


def workbook(which: str, rows: Iterator[dict[str, Any]], subtitle: str = "") -> bytes:
    """A list as an .xlsx file (one sheet, frozen Chinese headers)."""
    name, columns = EXPORTS[which]
    return table_workbook(name, columns, rows, subtitle)


def table_workbook(name: str, columns: Iterable[tuple[str, str]], rows: Iterator[dict[str, Any]],
                   subtitle: str = "") -> bytes:
    """Rows as an .xlsx file: one sheet called ``name``, ``columns`` (key, Chinese header)
    under frozen headers, and ``subtitle`` on a second sheet."""
    columns = tuple(columns)
    return sheet_workbook(name, [title for _, title in columns],
                          ([_plain(row.get(key)) for key, _ in columns] for row in rows), subtitle)


def sheet_workbook(name: str, headers: list[str], rows: Iterable[list[Any]],
                   subtitle: str = "") -> bytes:
    """One sheet of ``rows`` under bold, frozen ``headers``, each value written by `cell` (text
    that looks like a formula stays text), each column as wide as its header and its first
    rows' Chinese text; ``subtitle`` on a second sheet 说明."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(name[:31])
    sheet.freeze_panes = "A2"
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))  # the rest stream by, written as they come
    for index, title in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = fitted_width(
            [title, *(values[index] for values in first if index < len(values))], least=10)
    sheet.append([header(sheet, title) for title in headers])
    for values in chain(first, rows):
        sheet.append([cell(sheet, value) for value in values])
    if subtitle:
        about = book.create_sheet("说明")
        about.append([name])
        about.append([subtitle])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    return text_value(value) if isinstance(value, bool | list) else value


def text_value(value: Any) -> str:
    """A list's cell as text (the command line's tables and CSV): 是/否, steps by their names,
    dates as YYYY-MM-DD, times in Beijing time to the minute, nothing as empty."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"
    if isinstance(value, list | tuple):
        return "、".join(STEP_NAMES.get(v, v) for v in value)
    return "" if value is None else str(value)
