"""The province's app: its users sign in to the province's own store and read every county's
figures as each county computed them; a provincial department's batch is routed to counties.

Served by `interfaces.http.mounts.DeploymentApp` under ``/api/province/…`` and ``/province/…``
(its workbench page is ``/province/web/province``). It is `create_app` on the province's store
with these routes instead of a county's: a provincial user acts on no household.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from application.accounts.access import User
from application.province import County, Deployment
from application.province.figures import CountyFigures, ProvincialFigures, county_json
from application.province.people import ProvincialPeople
from application.province.pushes import numbered, receive_provincial_batch
from application.pushes import PushBatch
from application.settings import COUNTY_CODE
from domain.errors import NotFound
from domain.indicators.definitions import INDICATORS
from domain.periods import FIRST_YEAR, LAST_YEAR
from domain.rules import local_date
from interfaces.http.intake import unmatched_out
from interfaces.http.problems import PROBLEMS
from interfaces.http.pushes import push_department, pushed_alert
from interfaces.http.schemas import intake as intake_schemas
from interfaces.http.schemas import pushes as push_schemas
from interfaces.web import session

Year = Annotated[int | None, QueryParameter(required=False, ge=FIRST_YEAR, le=LAST_YEAR,
                                            description="年度（默认：今年）")]
CountyCode = Annotated[str, PathParameter(pattern=f"^{COUNTY_CODE.pattern}$",
                                          description="6位行政区划代码")]


class CountyOut(msgspec.Struct):
    """A county of the deployment, and where its own API and workbench are."""

    code: str
    name: str
    added_at: datetime
    api: str
    web: str


class RoutedRowOut(msgspec.Struct):
    row: int
    county: str | None
    result: str
    reason: str | None = None
    code: str | None = None
    message: str | None = None


class ProvincialPushAnswer(msgspec.Struct):
    """Where each row of a provincial batch went: a county (as its 省级推送) or held here."""

    batch_id: str
    department: str
    period: str
    received: int
    by_county: dict[str, dict[str, int]]
    held: dict[str, int]
    repeated: int
    positions: dict[str, int]
    rows: list[RoutedRowOut]


def county_out(county: County) -> CountyOut:
    return CountyOut(code=county.code, name=county.name, added_at=county.added_at,
                     api=f"/c/{county.code}/api/", web=f"/c/{county.code}/web/")


def _deployment(request: Request) -> Deployment:
    return request.app.state.deployment


def _figures(request: Request) -> ProvincialFigures:
    return request.app.state.province_figures


def _year(request: Request, year: int | None) -> int:
    return year or local_date(request.app.state.case_files.clock()).year


def _read(path: str, summary: str) -> Any:
    return get(path, opt={"read": "province"}, summary=summary, sync_to_thread=True,
               responses=PROBLEMS, tags=["全省"])


@_read("/api/province/counties", "本部署的各县：代码、名称及其接口与工作台地址")
def counties(request: Request) -> list[CountyOut]:
    return [county_out(county) for county in _deployment(request).counties()]


@_read("/api/province/indicators", "各县考核指标（各县自己计算的结果：日志位置与输入摘要可由该县复核）")
def indicators(request: Request, year: Year = None) -> dict[str, Any]:
    held = _figures(request).figures(_year(request, year))
    return {"year": _year(request, year),
            "counties": [{k: v for k, v in county_json(c).items() if k != "result"} for c in held]}


@_read("/api/province/indicators/{county:str}", "一个县的考核指标及其发布结果（可用该县的 verify 复算）")
def county_indicators(request: Request, county: CountyCode, year: Year = None) -> dict[str, Any]:
    _deployment(request).county(county)  # COUNTY_NOT_FOUND for a county the deployment lacks
    found = _figures(request).county_result(county, _year(request, year))
    if found is None:
        raise NotFound("FIGURES_NOT_YET", f"省级尚未汇总 {county} {_year(request, year)} 年的指标", "year")
    return county_json(found)


@_read("/api/province/unmatched-alerts", "省级未匹配预警：不在任何县（或同在多县）的人员")
def unmatched(request: Request) -> list[intake_schemas.UnmatchedAlertOut]:
    app = request.app.state.case_files
    held = app.unmatched_alerts()
    today = app.today()
    return [unmatched_out(request.user, alert, today) for alert in held.alerts.values()] if held else []


@post("/api/province/pushes", opt={"command": "push_provincial"}, status_code=200,
      summary="省级部门推送：每行送到其人员所在的县（省级推送），不在任何县的留在省级",
      sync_to_thread=True, responses=PROBLEMS, tags=["全省"])
def push(request: Request, data: JSONBody[push_schemas.DepartmentPush]) -> ProvincialPushAnswer:
    user: User = request.user
    batch = PushBatch(push_department(user, data.department), data.batch_id, data.tier, data.period,
                      data.urgent)
    receipt = receive_provincial_batch(_deployment(request), request.app.state.province_people,
                                       batch, numbered(data.rows), by=user.actor, check=pushed_alert)
    rows = [RoutedRowOut(row=r.number, county=r.route.county, reason=r.route.reason,
                         result="拒收" if r.refused else (r.outcome.result if r.outcome else ""),
                         code=r.refused.code if r.refused else None,
                         message=r.refused.message if r.refused else None) for r in receipt.rows]
    return ProvincialPushAnswer(
        batch_id=batch.batch_id, department=batch.department, period=batch.period,
        received=len(data.rows), by_county={c: dict(n) for c, n in receipt.by_county().items()},
        held=dict(receipt.held()), repeated=receipt.repeated,
        positions={code or "province": p for code, p in receipt.positions.items()}, rows=rows)


# ---------------------------------------------------------------------- the province's pages


@get("/web/", include_in_schema=False, sync_to_thread=False)
def province_home() -> Redirect:
    """The province's workbench opens on its page of counties."""
    return Redirect("/web/province")


@get("/web/province", include_in_schema=False, sync_to_thread=True)
def province_page(request: Request, year: Year = None) -> Template:
    """Counties × indicators, each county's figures as the county computed them."""
    user = session.signed_in(request)
    user.require_read("province")
    shown = _year(request, year)
    held = {c.code: c for c in _figures(request).figures(shown)}
    counties_ = _deployment(request).counties()
    return session.render(request, "province.html", user, year=shown, counties=counties_,
                          held=held, indicators=INDICATORS, detail=None)


@get("/web/province/{county:str}", include_in_schema=False, sync_to_thread=True)
def province_county_page(request: Request, county: CountyCode, year: Year = None) -> Template:
    """One county's figures by month, with what its result can be verified by."""
    user = session.signed_in(request)
    user.require_read("province")
    shown = _year(request, year)
    found: CountyFigures | None = _figures(request).county_result(
        _deployment(request).county(county).code, shown)
    return session.render(request, "province.html", user, year=shown, counties=[],
                          held={}, indicators=INDICATORS, detail=found, code=county)


def province_state(deployment: Deployment) -> dict[str, Any]:
    """What the province's routes use, beside the app's services."""
    return {"deployment": deployment,
            "province_figures": ProvincialFigures(deployment.province()),
            "province_people": ProvincialPeople(deployment)}


HANDLERS = [counties, indicators, county_indicators, unmatched, push]
#: The province's workbench: signing in (as on a county's), and its pages.
WEB_HANDLERS = [session.login_page, session.login, session.logout, province_home, province_page,
                province_county_page]
