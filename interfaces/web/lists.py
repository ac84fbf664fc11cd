"""The monitoring list, the case queue and the visits due, page by page — filtered by a place
or a name typed in part or picked from the user's area, sorted by a click on a column header —
the household search, and the lists as workbooks."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from application.accounts.access import User
from domain.codes import Category
from domain.errors import DomainError, InvalidValue, NotFound
from interfaces.http.auth import area_of
from interfaces.overdue import overdue_rows, overdue_unmatched
from interfaces.web.dashboard import countdown
from interfaces.web.session import county_today, render, signed_in
from projections.queries import Page

#: Each list's sortable columns as its header names them; the keys are the read model's
#: (`projections.filters.SORT_KEYS`), which refuses any other.
MONITORING_SORTS = {"code": "户编号", "head_name": "户主", "township": "乡镇", "village": "村",
                    "included_on": "纳入日"}
CASE_SORTS = {"code": "户编号", "deadline_on": "15天倒计时", "head_name": "户主",
              "township": "乡镇", "village": "村", "discovered_on": "发现日"}
VISITS_DUE_SORTS = {"code": "户编号", "head_name": "户主", "township": "乡镇", "village": "行政村"}
APPEAL_SORTS = {"deadline_on": "答复期限", "lodged_on": "提出日", "code": "户编号", "township": "乡镇",
                "village": "村"}


def sort_links(path: str, query: dict[str, str], sort: str,
               columns: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per sortable column: the link its header opens (by it ascending, or descending when
    it is the ascending sort now; back to the first page) and how the list is sorted by it now
    (``ascending``, ``descending`` or None)."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    links = {}
    for key, label in columns.items():
        state = ("descending" if descending else "ascending") if key == current else None
        target = f"-{key}" if state == "ascending" else key
        links[key] = {"label": label, "state": state,
                      "href": f"{path}?{urlencode({**query, 'sort': target})}"}
    return links


def _pick_lists(request: Request, user: User, township: str) -> dict[str, list[str]]:
    """The names the filters offer (the user's area): townships, villages (of the township
    chosen, when one is), 网格员. A filter the user's area already fixes offers none."""
    read_models, area = request.app.state.read_models, area_of(user)
    townships = [] if user.township else read_models.choices(area, "township")
    chosen = township if township in townships or township == user.township else None
    return {"townships": townships,
            "villages": [] if user.village else read_models.choices(area, "village",
                                                                    township=chosen),
            "grid_workers": read_models.choices(area, "grid_worker")}


def _list_page(request: Request, user: User, template: str, path: str, page: Page | None,
               query: dict[str, str], sort: str, columns: dict[str, str],
               **context: Any) -> Template:
    """A list page: its rows, filters (as typed, with their pick-lists), sortable headers and
    the next page's link, which keeps both."""
    kept = {k: v for k, v in query.items() if v}
    return render(request, template, user, rows=page.rows if page else [], page=page,
                  filters={**query, "sort": sort},
                  sorts=sort_links(path, kept, sort, columns),
                  sort_choices=[(key, label, sort) for key, label in columns.items()],
                  choices=_pick_lists(request, user, query.get("township", "")),
                  next_url=(f"{path}?{urlencode({**kept, 'sort': sort, 'after': page.after})}"
                            if page and page.after else None),
                  **context)


@get("/web/monitoring", sync_to_thread=True)
def monitoring(request: Request, township: FromQuery[str] = "", village: FromQuery[str] = "",
               head_name: FromQuery[str] = "", category: FromQuery[str] = "",
               grid_worker: FromQuery[str] = "", sort: FromQuery[str] = "code",
               after: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    query = {"township": township, "village": village, "head_name": head_name,
             "category": category, "grid_worker": grid_worker}
    try:
        page = request.app.state.read_models.monitoring_list(
            area_of(user), **{k: v or None for k, v in query.items()},
            today=county_today(request), sort=sort, after=after or None, limit=50)
        error = None
    except DomainError as refused:
        page, error = None, refused.message
    kept = {k: v for k, v in query.items() if v}
    return _list_page(request, user, "monitoring.html", "/web/monitoring", page, query, sort,
                      MONITORING_SORTS, error=error, categories=[c.value for c in Category],
                      export_url=f"/web/exports/monitoring?{urlencode(kept)}")


@get("/web/cases", sync_to_thread=True)
def cases(request: Request, overdue: FromQuery[bool] = False, township: FromQuery[str] = "",
          village: FromQuery[str] = "", head_name: FromQuery[str] = "",
          sort: FromQuery[str] = "deadline_on", after: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    today = county_today(request)
    read_models, area = request.app.state.read_models, area_of(user)
    places = {"township": township, "village": village, "head_name": head_name}
    page = read_models.case_queue(area, overdue=overdue, today=today, sort=sort,
                                  after=after or None, limit=50,
                                  **{k: v or None for k, v in places.items()})
    page = Page([countdown(row, today) for row in page.rows], page.total, page.after)
    held = overdue_unmatched(
        request.app.state.case_files.unmatched_alerts(), area, today,
        township=read_models.name_match(area, "township", township),
        village=read_models.name_match(area, "village", village),
    ) if overdue and not after and not head_name else []
    query = {"overdue": "true" if overdue else "", **places}
    kept = {k: v for k, v in query.items() if v}
    return _list_page(request, user, "cases.html", "/web/cases", page, query, sort, CASE_SORTS,
                      overdue=overdue, today=today, unmatched=overdue_rows(held, today),
                      export_url=f"/web/exports/{'overdue' if overdue else 'cases'}?"
                                 f"{urlencode(kept)}")


@get("/web/appeals", sync_to_thread=True)
def appeals(request: Request, status: FromQuery[str] = "open", township: FromQuery[str] = "",
            village: FromQuery[str] = "", sort: FromQuery[str] = "deadline_on",
            after: FromQuery[str] = "") -> Template:
    """The appeals (异议与申诉) in the user's area by the day the answer is due, overdue ones
    marked, each linked to the form that answers it; open ones, or all."""
    user = signed_in(request)
    user.require_read("households")
    today = county_today(request)
    query = {"status": status if status == "all" else "", "township": township, "village": village}
    page = request.app.state.read_models.appeals(
        area_of(user), status=status or "open", today=today, sort=sort, after=after or None,
        limit=50, township=township or None, village=village or None)
    page = Page([countdown(row, today) for row in page.rows], page.total, page.after)
    kept = {k: v for k, v in query.items() if v and k != "status"}
    return _list_page(request, user, "appeals.html", "/web/appeals", page, query, sort,
                      APPEAL_SORTS, may_answer=user.may("answer_appeal"),
                      export_url=f"/web/exports/appeals?{urlencode(kept)}")


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
def visits_due(request: Request, grid_worker: FromQuery[str] = "", township: FromQuery[str] = "",
               village: FromQuery[str] = "", head_name: FromQuery[str] = "",
               sort: FromQuery[str] = "code", after: FromQuery[str] = "") -> Template:
    """本月待走访: the households of the user's area owed this month's visit, each opening the
    visit form; ``grid_worker`` keeps those the named 网格员 answers for ("my households")."""
    user = signed_in(request)
    user.require_read("households")
    today = county_today(request)
    query = {"grid_worker": grid_worker, "township": township, "village": village,
             "head_name": head_name}
    page = request.app.state.read_models.visits_due(
        area_of(user), month=today, **{k: v or None for k, v in query.items()}, sort=sort,
        after=after or None, limit=50)
    return _list_page(request, user, "visits_due.html", "/web/visits-due", page, query, sort,
                      VISITS_DUE_SORTS, today=today, may_visit=user.may("record_visit"))


@get("/web/exports/{which:str}", sync_to_thread=True)
def export(request: Request, which: FromPath[str], township: FromQuery[str] = "",
           village: FromQuery[str] = "", head_name: FromQuery[str] = "",
           category: FromQuery[str] = "", grid_worker: FromQuery[str] = "") -> Response[bytes]:
    from interfaces.exports import (
        EXPORTS,
        as_attachment,
        export_area,
        export_name,
        exporter,
        logged,
        pages,
        workbook,
    )

    user = signed_in(request)
    user.require_read("households")
    if which not in EXPORTS:
        raise NotFound("EXPORT_UNKNOWN", f"没有名为 {which} 的导出", "which")
    rows = pages(request.app.state.read_models, which, area_of(user), township=township or None,
                 village=village or None, head_name=head_name or None, category=category or None,
                 grid_worker=grid_worker or None, today=county_today(request),
                 held=request.app.state.case_files.unmatched_alerts())
    rows = logged(rows, request.app.state.access_log, user, request.url.path)
    data = workbook(which, rows, f"导出范围：{export_area(user)}；导出人：{exporter(user)}")
    name = export_name(EXPORTS[which][0], user, county_today(request))
    return Response(data, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers=as_attachment(name))


@get("/web/exchange/{kind:str}", sync_to_thread=True)
def exchange(request: Request, kind: FromPath[str], format: FromQuery[str] = "xlsx") -> Response[bytes]:
    """An exchange export for the provincial system (数据共享), as the API's
    ``GET /api/exchange/{kind}``: the mapping's columns and codes, the user's area, logged."""
    from interfaces.exchange import FORMATS, Exchange, export
    from interfaces.exchange_mapping import KINDS, load_mapping
    from interfaces.exports import as_attachment, export_name

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
    name = export_name(f"{KINDS[kind][0]}-省系统格式", user, county_today(request), format)
    media = "text/csv" if format == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(data, media_type=media, headers=as_attachment(name))
