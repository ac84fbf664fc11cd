"""The monitoring list and the case queue, page by page, and either as a workbook."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from domain.codes import Category
from domain.errors import DomainError, InvalidValue, NotFound
from interfaces.http.auth import area_of
from interfaces.overdue import overdue_rows, overdue_unmatched
from interfaces.web.dashboard import countdown
from interfaces.web.session import county_today, render, signed_in


@get("/web/monitoring", sync_to_thread=True)
def monitoring(request: Request, township: FromQuery[str] = "", village: FromQuery[str] = "",
               category: FromQuery[str] = "", grid_worker: FromQuery[str] = "",
               sort: FromQuery[str] = "code", after: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    filters = {"township": township or None, "village": village or None,
               "category": category or None, "grid_worker": grid_worker or None}
    try:
        page = request.app.state.read_models.monitoring_list(
            area_of(user), **filters, today=county_today(request), sort=sort, after=after or None,
            limit=50)
        error = None
    except DomainError as refused:
        page, error = None, refused.message
    rows = page.rows if page else []
    query = {k: v for k, v in {"township": township, "village": village, "category": category,
                                 "grid_worker": grid_worker, "sort": sort}.items() if v}
    return render(request, "monitoring.html", user, rows=rows, page=page, error=error,
                  filters={"township": township, "village": village, "category": category,
                          "grid_worker": grid_worker, "sort": sort},
                  categories=[c.value for c in Category],
                  next_url=(f"/web/monitoring?{urlencode({**query, 'after': page.after})}"
                           if page and page.after else None),
                  export_url=f"/web/exports/monitoring?{urlencode(query)}")


@get("/web/cases", sync_to_thread=True)
def cases(request: Request, overdue: FromQuery[bool] = False, township: FromQuery[str] = "",
          after: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    today = county_today(request)
    page = request.app.state.read_models.case_queue(
        area_of(user), overdue=overdue, township=township or None, today=today,
        sort="deadline_on", after=after or None, limit=50)
    rows = [countdown(row, today) for row in page.rows]
    held = overdue_unmatched(request.app.state.case_files.unmatched_alerts(), area_of(user), today,
                             township=township or None) if overdue and not after else []
    query = {k: v for k, v in {"overdue": "true" if overdue else "", "township": township}.items() if v}
    return render(request, "cases.html", user, rows=rows, page=page, overdue=overdue,
                  township=township, today=today, unmatched=overdue_rows(held, today),
                  next_url=(f"/web/cases?{urlencode({**query, 'after': page.after})}"
                           if page.after else None),
                  export_url=f"/web/exports/{'overdue' if overdue else 'cases'}?{urlencode(query)}")


#: What the search box reads as an ID number, and as a household code (its first digits).
_ID_NUMBER = re.compile(r"\d{17}[\dXx]")
_CODE = re.compile(r"\d{1,20}")


@get("/web/search", sync_to_thread=True)
def search(request: Request, q: FromQuery[str] = "") -> Template:
    """Find a household in the user's area by 户编号 (or its first digits), a member's ID number,
    or a member's name (the head's or anyone's who is or was in it)."""
    user = signed_in(request)
    user.require_read("households")
    text = q.strip()
    rows: list[dict[str, Any]] = []
    if text:
        if _ID_NUMBER.fullmatch(text):
            found = {"id_number": text}
        elif _CODE.fullmatch(text):
            found = {"code": text}
        else:
            found = {"member_name": text}
        rows = request.app.state.read_models.directory(area_of(user), **found, limit=50).rows
    return render(request, "search.html", user, q=text, rows=rows)


@get("/web/visits-due", sync_to_thread=True)
def visits_due(request: Request, grid_worker: FromQuery[str] = "",
               after: FromQuery[str] = "") -> Template:
    """本月待走访: the households of the user's area owed this month's visit, each opening the
    visit form; ``grid_worker`` keeps those the named 网格员 answers for ("my households")."""
    user = signed_in(request)
    user.require_read("households")
    today = county_today(request)
    page = request.app.state.read_models.visits_due(area_of(user), month=today,
                                                    grid_worker=grid_worker or None,
                                                    after=after or None, limit=50)
    query = {"grid_worker": grid_worker} if grid_worker else {}
    return render(request, "visits_due.html", user, rows=page.rows, page=page, today=today,
                  may_visit=user.may("record_visit"), grid_worker=grid_worker,
                  next_url=(f"/web/visits-due?{urlencode({**query, 'after': page.after})}"
                            if page.after else None))


@get("/web/exports/{which:str}", sync_to_thread=True)
def export(request: Request, which: FromPath[str], township: FromQuery[str] = "",
           village: FromQuery[str] = "", category: FromQuery[str] = "",
           grid_worker: FromQuery[str] = "") -> Response[bytes]:
    from interfaces.exports import EXPORTS, logged, pages, workbook

    user = signed_in(request)
    user.require_read("households")
    if which not in EXPORTS:
        raise NotFound("EXPORT_UNKNOWN", f"没有名为 {which} 的导出", "which")
    rows = pages(request.app.state.read_models, which, area_of(user), township=township or None,
                 village=village or None, category=category or None,
                 grid_worker=grid_worker or None, today=county_today(request),
                 held=request.app.state.case_files.unmatched_alerts())
    rows = logged(rows, request.app.state.access_log, user, request.url.path)
    where = f"{user.township or ''}{user.village or ''}" or "全县"
    who = f"{user.display_name}（{user.name}）" if user.display_name else user.name
    data = workbook(which, rows, f"导出范围：{where}；导出人：{who}")
    name = f"{EXPORTS[which][0]}-{where}-{county_today(request):%Y%m%d}.xlsx"  # as people file it
    return Response(data, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@get("/web/exchange/{kind:str}", sync_to_thread=True)
def exchange(request: Request, kind: FromPath[str], format: FromQuery[str] = "xlsx") -> Response[bytes]:
    """An exchange export for the provincial system (数据共享), as the API's
    ``GET /api/exchange/{kind}``: the mapping's columns and codes, the user's area, logged."""
    from interfaces.exchange import FORMATS, Exchange, export
    from interfaces.exchange_mapping import KINDS, load_mapping

    user = signed_in(request)
    user.require_read("households")
    if kind not in KINDS:
        raise NotFound("EXPORT_UNKNOWN", f"没有名为 {kind} 的导出；可选：{'、'.join(KINDS)}", "kind")
    if format not in FORMATS:
        raise InvalidValue("FORMAT_UNKNOWN", f"格式须为 {' 或 '.join(FORMATS)}", "format")
    state = request.app.state
    mapping = load_mapping(state.settings.exchange_mapping_path)
    reading = Exchange(state.read_models, state.case_files, user, area_of(user), state.access_log,
                       request.url.path)
    data = export(reading, mapping, kind, format, county_today(request))
    where = f"{user.township or ''}{user.village or ''}" or "全县"
    name = f"{KINDS[kind][0]}-省系统格式-{where}-{county_today(request):%Y%m%d}.{format}"
    media = "text/csv" if format == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(data, media_type=media,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
