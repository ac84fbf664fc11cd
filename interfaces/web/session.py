"""Signing in and out of the workbench, and what every page shares: the signed-in user, the
county's "today" by the application's clock, and the page frame with its navigation."""

from __future__ import annotations

from datetime import date
from typing import Any

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from application.accounts.access import ROLE_NAMES, User
from application.accounts.logins import LoginRefused, Logins
from interfaces.http.auth import area_of

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


def county_today(request: Request) -> date:
    return request.app.state.case_files.today()


def kept_for_this_county(request: Request, name: str) -> dict[Any, Any]:
    """A cache of the app serving the request, never shared with another app in the process:
    one server may serve several counties (`interfaces.http.mounts`), whose read models may
    well stand at the same position on the same day."""
    state = request.app.state
    try:
        return state[name]
    except KeyError:  # two threads racing here each make one; one is kept, an entry is lost
        kept: dict[Any, Any] = {}
        state[name] = kept
        return kept


def render(request: Request, template: str, user: User | None, **context: Any) -> Template:
    nav = []
    unread = 0
    province = "deployment" in request.app.state  # the province's app: its own pages only
    if user is not None and province:
        nav = [("/web/province", "各县考核指标")]
    elif user is not None:
        unread = request.app.state.my_work.unread(user, area_of(user))
        nav = [("/web/", "工作台")]
        if user.may_read("department_desk"):
            nav.append(("/web/department", "部门工作台"))
        if user.may_read("households"):
            nav += [("/web/monitoring", "监测对象名单"), ("/web/cases", "案件队列")]
        if user.may("register_household"):
            nav.append(("/web/register", "农户登记"))
        if user.may("publish_notice"):  # the village, its township, the county centre
            nav.append(("/web/notices", "公示"))
        if user.may("answer_appeal") and user.may_read("households"):  # the units that decide
            nav.append(("/web/appeals", "申诉"))
        if user.may_read("pushes"):
            nav.append(("/web/pushes", "部门推送"))
        if user.may_read("indicators"):
            nav.append(("/web/indicators", "考核指标"))
        if user.may_read("policy"):
            nav.append(("/web/policy", "政策标准"))
        if user.may_read("self_reports"):
            nav.append(("/web/self-reports", "自主申报"))
    return Template(template_name=template, context={
        "user": user, "role_name": ROLE_NAMES.get(user.role, "") if user else "", "nav": nav,
        "province": province,
        "path": request.url.path, "unread": unread, **context})


@get("/web/login", sync_to_thread=False, name="web-login")
def login_page(request: Request, next: FromQuery[str] = "/web/") -> Template:
    return render(request, "login.html", None, next=_safe_next(next), error=None, name="")


@post("/web/login")
async def login(request: Request) -> Response[Any]:
    form = await request.form()
    name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "/web/")))
    logins = _logins(request)
    try:  # argon2 takes tens of milliseconds on purpose: off the event loop
        user = await anyio.to_thread.run_sync(logins.login, name, password)
    except LoginRefused as refused:
        return render(request, "login.html", None, next=target, name=name,
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
