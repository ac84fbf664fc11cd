"""A department's desk on the workbench (部门工作台): the roster its duty needs, the measures
assigned to it — put in place and ended here with the household's own measure commands, run as
the API runs them — and its push calendar. The same reads as ``/api/departments/me/…``: the
roster through `interfaces.desk` (each page's households access-logged), the calendar through
`application.desk`."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from application.accounts.access import User
from application.commands import EndMeasure, PutMeasureInPlace, command_from, request_body
from application.desk import push_calendar
from domain.codes import MeasureStatus
from domain.errors import DomainError, InvalidValue
from interfaces.desk import roster_page, roster_rows
from interfaces.exports import as_attachment, export_name, exporter, table_workbook
from interfaces.http.auth import area_of
from interfaces.http.household_commands import household_command
from interfaces.http.problems import in_chinese
from interfaces.http.queries import caught_up
from interfaces.web.session import county_today, render, signed_in
from interfaces.xlsx import XLSX_TYPE

#: The actions on a measure from the desk, by the path's last part.
ACTIONS = {"in-place": PutMeasureInPlace, "end": EndMeasure}
PAGE = 50


def _desk_user(request: Request) -> User:
    user = signed_in(request)
    user.require_read("department_desk")
    return user


@get("/web/department", sync_to_thread=True)
def desk(request: Request, township: FromQuery[str] = "", village: FromQuery[str] = "",
         after: FromQuery[str] = "", status: FromQuery[str] = "", done: FromQuery[str] = "") -> Template:
    return _page(request, _desk_user(request), township=township, village=village, after=after,
                 status=status, done=done)


def _page(request: Request, user: User, *, township: str = "", village: str = "", after: str = "",
          status: str = "", done: str = "", error: dict[str, Any] | None = None) -> Template:
    state = request.app.state
    assert user.department is not None
    today = county_today(request)
    duty = state.rosters.duties.get(user.department)
    roster: dict[str, Any] | None = None
    if duty is not None:
        page, rows = roster_page(state.read_models, state.access_log, user, duty,
                                 route="/web/department", today=today,
                                 township=township or None, village=village or None,
                                 after=after or None, limit=PAGE)
        more = urlencode({"township": township, "village": village, "after": page.after or ""})
        roster = {"duty": duty, "rows": rows, "total": page.total,
                  "next_url": f"/web/department?{more}#roster" if page.after else None}
    measures = state.read_models.measures(area_of(user), status=status or None, today=today,
                                          limit=200)
    _, calendar = push_calendar(state.indicators, user.department)
    return render(request, "department.html", user, today=today, roster=roster,
                  township=township, village=village, status=status,
                  statuses=[s.value for s in MeasureStatus], measures=measures,
                  calendar=calendar, done=done, error=error, form_id=secrets.token_hex(8),
                  export_url="/web/department/roster.xlsx?" + urlencode(
                      {"township": township, "village": village}))


@get("/web/department/roster.xlsx", sync_to_thread=True)
def roster_export(request: Request, township: FromQuery[str] = "",
                  village: FromQuery[str] = "") -> Response[bytes]:
    user = _desk_user(request)
    state = request.app.state
    assert user.department is not None
    duty = state.rosters.of(user.department)
    today = county_today(request)
    rows = roster_rows(state.read_models, state.access_log, user, duty, route=request.url.path,
                       today=today, township=township or None, village=village or None)
    content = table_workbook(f"{duty.department}名册", duty.headings.items(), rows,
                             f"{duty.duty}；导出人：{exporter(user)}；{today}")
    return Response(content, media_type=XLSX_TYPE,
                    headers=as_attachment(export_name(f"{duty.department}名册", user, today)))


@post("/web/department/measures/{code:str}/{measure_id:str}/{action:str}")
async def measure_action(request: Request, code: FromPath[str], measure_id: FromPath[str],
                         action: FromPath[str]) -> Response[Any]:
    """Put a measure assigned to the department in place, or end it: the household's own
    command, as the API runs it (the department's own measures only)."""
    user = await anyio.to_thread.run_sync(_desk_user, request)
    form = await request.form()
    command_type = ACTIONS.get(action)
    error = None
    try:
        if command_type is None:
            raise InvalidValue("ACTION_UNKNOWN", f"没有名为 {action} 的操作", "action")
        values = {"occurred_on": str(form.get("occurred_on", "")).strip()}
        if command_type is EndMeasure:
            values["reason"] = str(form.get("reason", "")).strip()
        try:
            body = msgspec.convert(values, request_body(command_type), strict=False)
        except msgspec.ValidationError as invalid:
            raise InvalidValue("INVALID_VALUE", in_chinese(str(invalid)), None) from None
        command = command_from(command_type, body, measure_id=measure_id)
        form_id = str(form.get("form_id", ""))
        result = await anyio.to_thread.run_sync(lambda: household_command(
            user, request.app.state.case_files, code, command,
            key=f"web-{form_id}" if form_id else None, path=request.url.path))
        # the desk shown next lists the measure as it now is
        await anyio.to_thread.run_sync(caught_up, request, result.position)
    except DomainError as refused:
        error = {"field": refused.field, "message": refused.message, "code": refused.code,
                 "measure_id": measure_id}
    if error is not None:
        return await anyio.to_thread.run_sync(lambda: _page(request, user, error=error))
    done = "落实" if action == "in-place" else "结束"
    return Redirect(f"/web/department?{urlencode({'done': f'{measure_id} 已{done}'})}#measures")


HANDLERS = [desk, roster_export, measure_action]
