"""The province's app: its users sign in to the province's own store and read every county's
figures as each county computed them; a provincial department's batch is routed to counties.

Served by `interfaces.http.mounts.DeploymentApp` under ``/api/province/…`` and ``/province/…``
(its workbench page is ``/province/web/province``). It is `create_app` on the province's store
with these routes instead of a county's: a provincial user acts on no household.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get
from litestar.response import Redirect

from application.province import County, Deployment
from interfaces.http.problems import PROBLEMS
from interfaces.web import session


class CountyOut(msgspec.Struct):
    """A county of the deployment, and where its own API and workbench are."""

    code: str
    name: str
    added_at: datetime
    api: str
    web: str


def county_out(county: County) -> CountyOut:
    return CountyOut(code=county.code, name=county.name, added_at=county.added_at,
                     api=f"/c/{county.code}/api/", web=f"/c/{county.code}/web/")


def _deployment(request: Request) -> Deployment:
    return request.app.state.deployment


def _read(path: str, summary: str) -> Any:
    return get(path, opt={"read": "province"}, summary=summary, sync_to_thread=True,
               responses=PROBLEMS, tags=["全省"])


@_read("/api/province/counties", "本部署的各县：代码、名称及其接口与工作台地址")
def counties(request: Request) -> list[CountyOut]:
    return [county_out(county) for county in _deployment(request).counties()]


@get("/web/", include_in_schema=False, sync_to_thread=False)
def province_home() -> Redirect:
    """The province's workbench opens on its page of counties."""
    return Redirect("/web/province")


HANDLERS = [counties]
#: The province's workbench: signing in (as on a county's), and its pages.
WEB_HANDLERS = [session.login_page, session.login, session.logout, province_home]
