"""A department's desk (domain.md §2): the roster its duty needs, the measures assigned to it,
and its push calendar — for the signed-in department user (``me``).

The roster's people and fields come from the roster table (`application.rosters`), read from
the read models and cut to the duty's fields, ID numbers masked unless the duty needs them;
every household a roster page shows goes to the access log. A department puts its measures in
place and ends them with the household's own measure commands
(``/api/households/{code}/measures/{id}/in-place`` and ``/end``), which let a department act
on the measures assigned to it and on no other.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.params import FromQuery, QueryParameter

from application.accounts.access import User
from application.desk import push_calendar
from domain.codes import Department, MeasureStatus
from interfaces.desk import roster_page, roster_rows
from interfaces.exports import exporter, table_workbook
from interfaces.http.auth import area_of
from interfaces.http.indicators import batch_out, expected_push_out
from interfaces.http.problems import PROBLEMS
from interfaces.http.queries import After, Cursor, Limit, Text, _sort, caught_up, county_today
from interfaces.http.schemas import departments as s
from interfaces.xlsx import XLSX_TYPE

Format = Annotated[str, QueryParameter(pattern="^(json|xlsx)$", description="json 或 xlsx（全部名册）")]
MeasureSort = _sort("code", "started_on")


def _desk(path: str, summary: str, **opt: Any) -> Any:
    return get(path, opt={"read": "department_desk", **opt}, summary=summary, sync_to_thread=True,
               responses=PROBLEMS, tags=["部门工作台"])


def _department(request: Request) -> Department:
    user: User = request.user
    assert user.department is not None  # the guard admits department users only
    return user.department


@_desk("/api/departments/me/roster", "本部门职责所需名册（只含职责所需字段；每次查阅记入查阅日志）",
       also_answers=[XLSX_TYPE])
def roster(request: Request, township: Text = None, village: Text = None, cursor: Cursor = None,
           limit: Limit = 50, after: After = None, format: Format = "json") -> Response[s.RosterPage]:
    state = request.app.state
    duty = state.rosters.of(_department(request))
    position = caught_up(request, after)
    today = county_today(request)
    read = {"route": request.url.path, "today": today, "township": township, "village": village}
    if format == "xlsx":
        rows = roster_rows(state.read_models, state.access_log, request.user, duty, **read)
        content = table_workbook(f"{duty.department}名册", duty.headings.items(), rows,
                                 f"{duty.duty}；导出人：{exporter(request.user)}；{today}")
        return Response(content, media_type=XLSX_TYPE, headers={
            "Content-Disposition": f'attachment; filename="fangpin-roster-{today}.xlsx"'})
    page, rows = roster_page(state.read_models, state.access_log, request.user, duty,
                             after=cursor, limit=limit, **read)
    return Response(s.RosterPage(
        department=duty.department, duty=duty.duty, reading=duty.reading,
        full_id_number=duty.full_id_number,
        fields=[s.RosterField(key, label) for key, label in duty.headings.items()],
        rows=msgspec.convert(rows, list[s.RosterPerson]), total=page.total,
        next_cursor=page.after, position=position))


@_desk("/api/departments/me/measures", "安排给本部门的帮扶措施（户、类型、状态、应落实日期）")
def measures(request: Request, status: FromQuery[MeasureStatus | None] = None, township: Text = None,
             village: Text = None, sort: MeasureSort = "code", cursor: Cursor = None,
             limit: Limit = 50, after: After = None) -> s.MeasurePage:
    position = caught_up(request, after)
    page = request.app.state.read_models.measures(
        area_of(request.user), status=status.value if status else None, township=township,
        village=village, today=county_today(request), sort=sort, after=cursor, limit=limit)
    return s.MeasurePage(rows=msgspec.convert(page.rows, list[s.AssignedMeasure]), total=page.total,
                         next_cursor=page.after, position=position)


@_desk("/api/departments/me/calendar", "本部门推送日历：各项推送的下一期次与到期日，本年按时、迟报、漏报")
def calendar(request: Request, after: After = None) -> s.CalendarOut:
    caught_up(request, after)
    department = _department(request)
    result, duties = push_calendar(request.app.state.indicators, department)
    return s.CalendarOut(
        department=department, year=result.evaluated_on.year, today=result.evaluated_on,
        as_of=result.as_of, position=result.position, digest=result.digest,
        duties=[s.DutyOut(
            number=d.duty.number, what=d.duty.what, rule=d.duty.rule, reading=d.duty.reading,
            next_period=d.next_push.period if d.next_push else None,
            next_due_on=d.next_push.due_on if d.next_push else None,
            next_received_on=d.next_push.received_on if d.next_push else None,
            on_time=d.on_time, late=d.late, missing=d.missing,
            pushes=[expected_push_out(p) for p in d.pushes],
        ) for d in duties],
        batches=[batch_out(r) for r in result.batches])


HANDLERS = [roster, measures, calendar]
