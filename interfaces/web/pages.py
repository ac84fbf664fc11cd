"""The workbench's pages: server-rendered, in Chinese, each confined to the user's area.

A page is a thin view over what the API already does: the read models for the lists, the case
file and its history for a household, and — for every form — the API's own command handler,
called with the body the form stands for, so the rules, the area check and the access log are
the same whichever way a county worker comes in.
"""

from __future__ import annotations

import json
import re
import secrets
import typing
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from application.accounts.access import ROLE_NAMES, AccessDenied, User
from application.accounts.logins import LoginRefused, Logins
from application.indicators import Scope, end_of_day
from domain.codes import Category, Channel, Department, Role, Tier
from domain.errors import DomainError, NotFound
from domain.household import STEP_NAMES
from domain.rules import local_date
from interfaces.http import commands as api
from interfaces.http.auth import area_of
from interfaces.http.views import Masker, case_file, history_entry
from interfaces.web.forms import Field, FormError, form_fields, read_form, to_body

SESSION_COOKIE = "fangpin_session"


class LoginNeeded(Exception):
    """The page needs a signed-in user; the handler answers with the login page."""


# ---------------------------------------------------------------------------------- sessions


def _logins(request: Request) -> Logins:
    return request.app.state.logins


def signed_in(request: Request) -> User:
    """The user of the request's session; the API's handlers then see them as ``request.user``."""
    user = _logins(request).session_user(request.cookies.get(SESSION_COOKIE, ""))
    if user is None:
        raise LoginNeeded
    request.scope["user"] = user
    return user


def _today(request: Request) -> date:
    return local_date(request.app.state.case_files.clock())


def _page(request: Request, template: str, user: User | None, **context: Any) -> Template:
    nav = []
    if user is not None:
        nav = [("/web/", "工作台")]
        if user.may_read("households"):
            nav += [("/web/monitoring", "监测对象名单"), ("/web/cases", "案件队列")]
        if user.may_read("pushes"):
            nav.append(("/web/pushes", "部门推送"))
        if user.may_read("indicators"):
            nav.append(("/web/indicators", "考核指标"))
    return Template(template_name=template, context={
        "user": user, "role_name": ROLE_NAMES.get(user.role, "") if user else "", "nav": nav,
        "path": request.url.path, **context})


@get("/web/login", sync_to_thread=False, name="web-login")
def login_page(request: Request, next: FromQuery[str] = "/web/") -> Template:
    return _page(request, "login.html", None, next=_safe_next(next), error=None, name="")


@post("/web/login")
async def login(request: Request) -> Response[Any]:
    form = await request.form()
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/web/")))
    logins = _logins(request)
    try:  # argon2 takes tens of milliseconds on purpose: off the event loop
        user = await anyio.to_thread.run_sync(logins.login, name, password)
    except LoginRefused as refused:
        return _page(request, "login.html", None, next=target, name=name,
                     error={"code": refused.code, "message": refused.message})
    session = await anyio.to_thread.run_sync(logins.open_session, user)
    response: Response[Any] = Redirect(target)
    response.set_cookie(Cookie(key=SESSION_COOKIE, value=session, path="/web", httponly=True,
                               samesite="lax", max_age=8 * 3600))
    return response


@post("/web/logout", sync_to_thread=True)
def logout(request: Request) -> Redirect:
    _logins(request).close_session(request.cookies.get(SESSION_COOKIE, ""))
    response = Redirect("/web/login")
    response.delete_cookie(SESSION_COOKIE, path="/web")
    return response


def _safe_next(target: str) -> str:
    """Only a path of the workbench: never an outside address."""
    ok = (target == "/web" or target.startswith("/web/")) and "//" not in target and "\\" not in target
    return target if ok else "/web/"


# ---------------------------------------------------------------------------------- dashboard


@get("/web/", sync_to_thread=True)
def dashboard(request: Request) -> Template:
    user = signed_in(request)
    state = request.app.state
    read_models = state.read_models
    area = area_of(user)
    today = _today(request)
    month_start = today.replace(day=1)
    alerts_by_channel = read_models.counts("rm_alerts", "channel", area,
                                           since=("discovered_on", month_start))
    alerts_by_department = read_models.counts("rm_alerts", "department", area,
                                              since=("discovered_on", month_start))
    alerts_by_department.pop("", None)
    charts: dict[str, Any] = {}
    by_category: dict[str, int] = {}
    near: list[dict[str, Any]] = []
    visits = open_cases = 0
    households = user.may_read("households")  # a department sees its pushes, not households
    if households:
        by_category = read_models.counts("rm_monitoring", "category", area)
        by_township = read_models.counts("rm_monitoring", "township", area)
        queue = read_models.case_queue(area, today=today, sort="deadline_on", limit=10)
        near, open_cases = [_countdown(row, today) for row in queue.rows], queue.total
        visits = read_models.visits_due(area, limit=1).total
        charts["category"] = _pie("监测对象（按类别）",
                                  {c.value: by_category.get(c.value, 0) for c in Category})
        charts["township"] = _bar("监测对象（按乡镇）", by_township)
    charts["channel"] = _bar(f"{month_start:%Y年%m月}新增预警（按监测方式）",
                             {c.value: alerts_by_channel.get(c.value, 0) for c in Channel})
    charts["department"] = _bar(f"{month_start:%Y年%m月}新增预警（按部门）", alerts_by_department)
    trend = _identification_trend(request, user, today)
    if trend:
        charts["trend"] = _line("识别认定时限达标率（按月）", trend)
    return _page(request, "dashboard.html", user, charts=charts, near=near, visits_due=visits,
                 monitored=sum(by_category.values()), open_cases=open_cases, households=households,
                 overdue=sum(1 for row in near if row["days_left"] < 0), today=today,
                 new_alerts=sum(alerts_by_channel.values()))


def _identification_trend(request: Request, user: User, today: date) -> dict[str, float | None]:
    """识别认定时限达标率 for each of the last six months, where the user reads indicators."""
    from interfaces.http.indicators import scope_for

    if not user.may_read("indicators") or user.role is Role.VILLAGE_LIAISON:
        return {}
    scope = scope_for(user, None, None)
    key = (scope, today, request.app.state.projections.position())
    cached = _TREND_CACHE.get(key)
    if cached is not None:
        return cached
    indicators = request.app.state.indicators
    trend: dict[str, float | None] = {}
    month = today.replace(day=1)
    months = []
    for _ in range(6):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    for first in reversed(months):
        result = indicators.compute(f"{first:%Y-%m}", scope=scope)
        rate = next((f.rate for f in result.figures
                     if f.indicator.name == "识别认定时限达标率" and f.area.name == scope.name), None)
        trend[f"{first:%Y-%m}"] = None if rate is None else round(rate * 100, 1)
    if len(_TREND_CACHE) > 64:
        _TREND_CACHE.clear()
    _TREND_CACHE[key] = trend  # until the read models move on
    return trend


_TREND_CACHE: dict[tuple[Scope, date, int], dict[str, float | None]] = {}


def _pie(title: str, values: dict[str, int]) -> dict[str, Any]:
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "item"},
            "series": [{"type": "pie", "radius": "60%",
                        "data": [{"name": k, "value": v} for k, v in values.items()]}]}


def _bar(title: str, values: dict[str, int]) -> dict[str, Any]:
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {}, "grid": {"containLabel": True, "left": 8, "right": 8},
            "xAxis": {"type": "category", "data": list(values), "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"type": "bar", "data": list(values.values())}]}


def _line(title: str, values: dict[str, float | None]) -> dict[str, Any]:
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "axis"}, "grid": {"containLabel": True},
            "xAxis": {"type": "category", "data": list(values)},
            "yAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "series": [{"type": "line", "data": list(values.values())}]}


def _countdown(row: dict[str, Any], today: date) -> dict[str, Any]:
    deadline = row.get("deadline_on")
    days_left = (deadline - today).days if deadline else 0
    return {**row, "days_left": days_left,
            "countdown": f"超期 {-days_left} 天" if days_left < 0 else f"剩 {days_left} 天",
            "step_names": "、".join(STEP_NAMES.get(s, s) for s in row.get("pending_steps") or [])}


# ---------------------------------------------------------------------------------- lists


@get("/web/monitoring", sync_to_thread=True)
def monitoring(request: Request, township: FromQuery[str] = "", village: FromQuery[str] = "",
               category: FromQuery[str] = "", sort: FromQuery[str] = "code",
               after: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    filters = {"township": township or None, "village": village or None,
               "category": category or None}
    try:
        page = request.app.state.read_models.monitoring_list(
            area_of(user), **filters, sort=sort, after=after or None, limit=50)
        error = None
    except DomainError as refused:
        page, error = None, refused.message
    rows = page.rows if page else []
    query = {k: v for k, v in {"township": township, "village": village, "category": category,
                                 "sort": sort}.items() if v}
    return _page(request, "monitoring.html", user, rows=rows, page=page, error=error,
                 filters={"township": township, "village": village, "category": category,
                          "sort": sort},
                 categories=[c.value for c in Category],
                 next_url=(f"/web/monitoring?{urlencode({**query, 'after': page.after})}"
                           if page and page.after else None),
                 export_url=f"/web/exports/monitoring?{urlencode(query)}")


@get("/web/cases", sync_to_thread=True)
def cases(request: Request, overdue: FromQuery[bool] = False, township: FromQuery[str] = "",
          after: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    today = _today(request)
    page = request.app.state.read_models.case_queue(
        area_of(user), overdue=overdue, township=township or None, today=today,
        sort="deadline_on", after=after or None, limit=50)
    rows = [_countdown(row, today) for row in page.rows]
    query = {k: v for k, v in {"overdue": "true" if overdue else "", "township": township}.items() if v}
    return _page(request, "cases.html", user, rows=rows, page=page, overdue=overdue,
                 township=township, today=today,
                 next_url=(f"/web/cases?{urlencode({**query, 'after': page.after})}"
                           if page.after else None),
                 export_url=f"/web/exports/{'overdue' if overdue else 'cases'}?{urlencode(query)}")


@get("/web/exports/{which:str}", sync_to_thread=True)
def export(request: Request, which: FromPath[str], township: FromQuery[str] = "",
           village: FromQuery[str] = "", category: FromQuery[str] = "") -> Response[bytes]:
    from interfaces.exports import EXPORTS, pages, workbook

    user = signed_in(request)
    user.require_read("households")
    if which not in EXPORTS:
        raise NotFound("EXPORT_UNKNOWN", f"没有名为 {which} 的导出", "which")
    rows = pages(request.app.state.read_models, which, area_of(user), township=township or None,
                 village=village or None, category=category or None)
    where = f"{user.township or ''}{user.village or ''}" or "全县"
    data = workbook(which, rows, f"导出范围：{where}；导出人：{user.name}")
    name = f"fangpin-{which}-{_today(request):%Y%m%d}.xlsx"
    return Response(data, media_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


# ---------------------------------------------------------------------------------- a household


@get("/web/households/{code:str}", sync_to_thread=True)
def household(request: Request, code: FromPath[str], as_of: FromQuery[str] = "",
              done: FromQuery[str] = "", alert: FromQuery[str] = "") -> Template:
    from interfaces.http.queries import _readable

    user = signed_in(request)
    user.require_read("households")
    app = request.app.state.case_files
    current = _readable(request, app.household(code))
    shown, moment, as_of_error = current, None, ""
    if as_of:
        day = _day(as_of)
        if day is None:
            as_of_error = "日期格式应为 YYYY-MM-DD"
        elif not date(1990, 1, 1) <= day <= _today(request):
            as_of_error = f"日期须在 1990-01-01 至今天（{_today(request)}）之间"
        else:
            try:
                moment = end_of_day(day)
                shown = app.household_as_of(code, moment)
            except DomainError:
                as_of_error = f"{as_of} 时该户尚未登记"
                shown, moment = current, None
    mask = Masker(user)
    file = msgspec.to_builtins(case_file(shown, user, as_of=moment))
    entries = [msgspec.to_builtins(history_entry(e, mask)) for e in app.history(code)
               if moment is None or e.recorded_at <= moment]
    for entry in entries:
        entry["details_text"] = _details(entry.get("details") or {})
    actions = [(name, form.title) for name, form in COMMAND_FORMS.items() if user.may(name)]
    return _page(request, "household.html", user, file=file, entries=entries, code=code,
                 as_of=as_of, as_of_error=as_of_error, actions=actions,
                 done=_done_notice(current, done, alert), today=_today(request))


def _done_notice(household: Any, command: str, alert_id: str) -> str:
    """What a recorded form did, said from the command's name and the household's own alert:
    the link carries codes, never the text, so a crafted link can show only what is on file."""
    form = COMMAND_FORMS.get(command)
    if form is None:
        return ""
    notice = f"已记录：{form.title}"
    alert = household.alerts.get(alert_id) if alert_id else None
    if alert is not None:
        number = alert.case_number
        opened = number is not None and household.cases[number - 1].alert_ids[0] == alert_id
        notice += (f"；生成预警 {alert.alert_id}" +
                   (f"（新案件 {number}）" if opened else
                    f"（并入案件 {number}）" if number else "（重复预警）"))
    return notice


def _day(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _details(details: dict[str, Any]) -> str:
    """An event's details in a line: Chinese names where the forms have them, JSON for the rest."""
    from interfaces.web.forms import LABELS

    parts = []
    for key, value in details.items():
        if value in (None, "", [], {}, ()):
            continue
        if isinstance(value, dict | list | tuple):
            value = json.dumps(value, ensure_ascii=False, default=str)
        label = LABELS.get(key, key).split("（")[0]
        parts.append(f"{label}：{value}")
    return "；".join(parts)


# ---------------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class CommandForm:
    """A household command of the API, as a form of the workbench."""

    handler: Any
    body: type[msgspec.Struct]
    title: str
    extra: tuple[str, ...]  # path parameters besides the household code


def _command_forms() -> dict[str, CommandForm]:
    forms = {}
    for handler in api.COMMAND_HANDLERS:
        path = next(iter(handler.paths))
        if not path.startswith("/api/households/{code:str}/") or not (
                {"POST", "PATCH"} & set(handler.http_methods)):
            continue
        hints = typing.get_type_hints(handler.fn, include_extras=True)
        body = typing.get_args(hints["data"])[0] if "data" in hints else None
        if body is None:
            continue
        extra = tuple(part[1:-1].split(":")[0] for part in path.split("/")
                      if part.startswith("{") and not part.startswith("{code"))
        forms[handler.opt["command"]] = CommandForm(handler, body, handler.summary or "", extra)
    return forms


COMMAND_FORMS = _command_forms()


def _form_for(user: User, command: str) -> CommandForm:
    form = COMMAND_FORMS.get(command)
    if form is None:
        raise NotFound("FORM_UNKNOWN", f"没有名为 {command} 的表单", "command")
    user.require(command)
    return form


@get("/web/households/{code:str}/do/{command:str}", sync_to_thread=True)
def command_page(request: Request, code: FromPath[str], command: FromPath[str]) -> Template:
    from interfaces.http.queries import _readable

    user = signed_in(request)
    form = _form_for(user, command)
    household = _readable(request, request.app.state.case_files.household(code))
    fields = form_fields(form.body, form.extra)
    _defaults(fields, household, request)
    return _page(request, "command.html", user, code=code, command=command, title=form.title,
                 fields=fields, error=None, form_id=secrets.token_hex(8), household=household)


@post("/web/households/{code:str}/do/{command:str}")
async def run(request: Request, code: FromPath[str], command: FromPath[str]) -> Response[Any]:
    user = await anyio.to_thread.run_sync(signed_in, request)
    form = _form_for(user, command)
    submitted = await request.form()
    fields = form_fields(form.body, form.extra)
    error = None
    try:
        values = read_form(fields, submitted)
        extra = {name: values.pop(name, "") for name in form.extra}
        body = to_body(form.body, values)
        response = await _call(request, form, code, body, extra, str(submitted.get("form_id", "")))
    except FormError as refused:
        error = {"field": refused.field, "message": refused.message, "code": "INVALID_VALUE"}
    except DomainError as refused:
        error = {"field": refused.field, "message": refused.message, "code": refused.code}
        if refused.code == "IDEMPOTENCY_KEY_REUSED":  # the same form sent again with new content
            error = {"field": None, "code": "FORM_ALREADY_SENT",
                     "message": "这张表单已经提交过（例如用浏览器“后退”回来再改）；"
                                "已换成新表单，请核对后再提交一次"}
    if error is not None:
        for f in fields:
            if f.name == error["field"]:
                f.error = error["message"]
        household = await anyio.to_thread.run_sync(request.app.state.case_files.household, code)
        return _page(request, "command.html", user, code=code, command=command, title=form.title,
                     fields=fields, error=error, form_id=secrets.token_hex(8), household=household)
    done = {"done": command}
    if response.content.alert is not None:
        done["alert"] = response.content.alert.alert_id
    return Redirect(f"/web/households/{quote(code)}?{urlencode(done)}")


async def _call(request: Request, form: CommandForm, code: str, body: Any, extra: dict[str, str],
                form_id: str) -> Any:
    """The API's own handler for the command, with the form's body (its id makes a double
    submit record once)."""

    def call() -> Any:
        return form.handler.fn(request=request, code=code, data=body,
                               idempotency_key=f"web-{form_id}" if form_id else None, **extra)

    return await anyio.to_thread.run_sync(call)


def _defaults(fields: list[Field], household: Any, request: Request) -> None:
    """Sensible first values: today for dates, the open case's number, the head's ID number."""
    today = _today(request)
    open_cases = [c.number for c in household.cases if c.stage not in ("已纳入", "未纳入")]
    for f in fields:
        if f.kind == "date":
            f.value = today.isoformat()
        elif f.name == "case_number" and household.cases:
            f.value = (open_cases or [household.cases[-1].number])[-1]
        elif f.name in ("person_id_number", "id_number") and household.members:
            head = next(iter(household.members.values()))
            f.value = head.id_number if request.user.sees_id_numbers else ""


# ---------------------------------------------------------------------------------- pushes, indicators


@get("/web/pushes", sync_to_thread=True)
def pushes(request: Request, department: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("pushes")
    rows = request.app.state.read_models.push_ledger(area_of(user), department=department or None)
    return _page(request, "pushes.html", user, rows=rows, department=department,
                 departments=[d.value for d in Department], answer=None, error=None,
                 tiers=[t.value for t in Tier])


@post("/web/pushes/import", request_max_body_size=64 * 1024 * 1024)
async def import_push(request: Request) -> Template:
    """Upload a department push (.xlsx/.csv): the API's own import, with its summary, the rows it
    refused and their workbook to fix and upload again."""
    from interfaces.http.intake import AlertUpload, upload_alerts

    user = await anyio.to_thread.run_sync(signed_in, request)
    form = await request.form()
    error, answer = None, None
    try:
        user.require("push_alerts")
        upload = form.get("file")
        if upload is None or not getattr(upload, "filename", ""):
            raise FormError("file", "请选择要上传的 .xlsx 或 .csv 文件")
        try:
            data = msgspec.convert({
                "tier": form.get("tier"), "period": str(form.get("period", "")).strip(),
                "department": form.get("department") or None,
                "batch_id": str(form.get("batch_id", "")).strip() or None,
                "urgent": form.get("urgent") == "true"}, _UploadFields, strict=False)
        except msgspec.ValidationError as invalid:
            from interfaces.http.problems import _chinese

            raise FormError(None, _chinese(str(invalid))) from None
        answer = await anyio.to_thread.run_sync(lambda: upload_alerts.fn(
            request=request, data=AlertUpload(file=upload, **msgspec.structs.asdict(data))))
    except FormError as refused:
        error = {"field": refused.field, "message": refused.message, "code": "INVALID_VALUE"}
    except DomainError as refused:
        error = {"field": refused.field, "message": refused.message, "code": refused.code}
    rows = await anyio.to_thread.run_sync(lambda: request.app.state.read_models.push_ledger(
        area_of(user)))
    return _page(request, "pushes.html", user, rows=rows, department="",
                 departments=[d.value for d in Department], answer=answer, error=error,
                 tiers=[t.value for t in Tier])


class _UploadFields(msgspec.Struct):
    tier: Tier
    period: str
    department: Department | None = None
    batch_id: str | None = None
    urgent: bool = False


@get("/web/reports/monthly", sync_to_thread=True)
def monthly_report(request: Request, month: FromQuery[str] = "") -> Response[Any]:
    """The monthly consultation report as a workbook, for the user's area."""
    from interfaces.http.indicators import monthly

    user = signed_in(request)
    user.require_read("indicators")
    return monthly.fn(request=request, month=month or f"{_today(request):%Y-%m}", township=None,
                      as_of=None, format="xlsx")


@get("/web/templates/{kind:str}", sync_to_thread=True)
def import_template(request: Request, kind: FromPath[str]) -> Response[Any]:
    from interfaces.http.intake import download_template

    signed_in(request)
    if kind not in ("alerts", "households"):
        raise NotFound("TEMPLATE_UNKNOWN", f"没有名为 {kind} 的模板", "kind")
    return download_template.fn(kind=kind)


@get("/web/indicators", sync_to_thread=True)
def indicators(request: Request, period: FromQuery[str] = "", indicator: FromQuery[str] = "",
               area: FromQuery[str] = "") -> Template:
    from domain.indicators import Area as IndicatorArea
    from interfaces.http.indicators import scope_for

    user = signed_in(request)
    user.require_read("indicators")
    today = _today(request)
    period = period or f"{today:%Y}"
    scope = scope_for(user, None, None)  # a township or department sees only its own figures
    detail = None
    if indicator:
        if area and area != scope.name:
            if scope.level != "county":
                raise AccessDenied("OUTSIDE_AREA", f"只能查看{scope.name}的指标明细", "area")
            detail = (indicator, IndicatorArea("township", area))
        else:
            detail = (indicator, IndicatorArea(scope.level, scope.name))
    try:
        result = request.app.state.indicators.compute(period, scope=scope, detail=detail)
        error = None
    except DomainError as refused:
        result, error = None, refused.message
    return _page(request, "indicators.html", user, result=result, period=period, error=error,
                 indicator=indicator, area=area or scope.name, month=f"{today:%Y-%m}")


# ---------------------------------------------------------------------------------- errors


def on_login_needed(request: Request, _: LoginNeeded) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/web/login?{urlencode({'next': target})}")


def on_web_error(request: Request, error: Exception) -> Response[Any]:
    """A refusal on a page: a page in Chinese that says which rule, never a bare error."""
    if isinstance(error, DomainError):
        status = 403 if isinstance(error, AccessDenied) else 404 if isinstance(error, NotFound) \
            or error.code.endswith("NOT_FOUND") else 422
        message, code = error.message, error.code
    elif isinstance(error, HTTPException):
        from interfaces.http.problems import _chinese

        status, code = error.status_code, f"HTTP_{error.status_code}"
        message = _chinese(str(error.detail))
        if "CSRF" in str(error.detail):
            message, code = "表单已过期或来源不明（CSRF 校验未通过）：请刷新页面后重新提交", "CSRF_FAILED"
        elif status == 400:
            extra = error.extra if isinstance(getattr(error, "extra", None), list) else []
            details = "；".join(_chinese(str(item.get("message", ""))) for item in extra
                               if isinstance(item, dict))
            message, code = f"请求参数不对：{details or message}", "INVALID_REQUEST"
    else:
        import logging

        logging.getLogger(__name__).exception("web page failed: %s", request.url.path)
        status, message, code = 500, "服务器内部错误，已记录，请联系县防贫中心", "INTERNAL_ERROR"
    user = request.scope.get("user")
    page = _page(request, "error.html", user if isinstance(user, User) else None,
                 status=status, message=message, code=code)
    page.status_code = status
    return page


WEB_HANDLERS = [login_page, login, logout, dashboard, monitoring, cases, export, household,
                command_page, run, pushes, import_push, monthly_report, import_template, indicators]
