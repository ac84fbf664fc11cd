"""The web workbench (工作台) for county staff, townships, villages, auditors and the assessment
team: server-rendered pages in Chinese over the same services as the API.

A page is a thin view over what the API already does: the read models for the lists, the case
file and its history for a household, and — for every form — the same command the API runs,
with the body the form stands for, so the rules, the area check and the access log are the same
whichever way a county worker comes in. One module per part of the workbench: `session`
(signing in, the page frame), `dashboard` (led by `my_work`: the person's tasks and
notifications), `lists`, `household` (the case file and its command
forms), `registration` (农户登记), `pushes`, `department` (a department's desk), `staff` (a
workbook of 网格员 and 帮扶责任人), `indicators`, `policy` (the income line and the 防贫保
payout bands), `errors` — and, apart from the workbench, `field`: the grid worker's
offline app under ``/app/``.

Assets are served by the app itself: our CSS and script, and Apache ECharts installed from the
npm registry (`interfaces/web/package.json`, `make` runs ``npm ci``) — nothing from a CDN.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from domain.errors import DomainError
from domain.rules import CHINA_TIME
from interfaces.field_names import where
from interfaces.web import (
    dashboard,
    department,
    errors,
    evidence,
    household,
    indicators,
    lists,
    my_work,
    notices,
    policy,
    pushes,
    registration,
    self_reports,
    session,
    staff,
)

HERE = Path(__file__).resolve().parent
#: Our files first, then ECharts as npm installed it.
WEB_ASSETS = [HERE / "static", HERE / "node_modules" / "echarts" / "dist"]

WEB_HANDLERS = [
    session.login_page, session.login, session.logout, dashboard.dashboard, lists.monitoring,
    lists.cases, lists.appeals, lists.search, lists.visits_due, lists.export, lists.exchange,
    household.household,
    household.command_page, household.run, registration.register_page, registration.register,
    pushes.pushes, pushes.import_push, indicators.monthly_report, pushes.import_template,
    indicators.indicators, indicators.annual, policy.policy, policy.set_relief_bands, policy.set_income_line,
    policy.set_poverty_line, self_reports.self_report_page, self_reports.self_report,
    self_reports.self_reports, self_reports.answer, notices.notices, notices.print_notice,
    notices.notice_xlsx, notices.publish_notice, *department.HANDLERS, staff.staff,
    staff.import_staff_file, *my_work.HANDLERS, *evidence.HANDLERS,
]


def web_router(handlers: list[Any] | None = None) -> Router:
    """The workbench's pages (``handlers``: another set, e.g. the province's)."""
    return Router("/", route_handlers=WEB_HANDLERS if handlers is None else handlers,
                  opt={"web": True}, include_in_schema=False,
                  exception_handlers={session.LoginNeeded: errors.on_login_needed,
                                      DomainError: errors.on_web_error,
                                      HTTPException: errors.on_web_error,
                                      Exception: errors.on_web_error})


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    def register(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters["local_time"] = local_time
        engine.engine.filters["field_label"] = where  # a refusal's field, said by its label

    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine,
                          engine_callback=register)


def local_time(value: object) -> str:
    """A recording time as county people read it: Beijing time to the minute."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return f"{moment.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"


def csrf_config(secret: str) -> CSRFConfig:
    """Every form of the workbench carries a token tied to a cookie; the API and the grid
    worker's app (bearer tokens, no cookies) and static files are outside it."""
    return CSRFConfig(secret=secret, cookie_name="fangpin_csrf", cookie_path="/web",
                      cookie_samesite="strict", cookie_httponly=True,
                      exclude=["^/api", "^/schema", "^/health", "^/static", "^/web/static", "^/$", "^/app"])
