"""The litestar application: `create_app(settings)` wires the case files, the read models, the
users and the routes together.

The app owns one `CaseFiles` (commands and case files), one `Projections` (the read models;
followed by a thread in this process unless a separate worker follows them) and the `Users`
table. Handlers are synchronous and run in litestar's thread pool: the storage drivers block.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import swagger_ui
from litestar import HttpMethod, Litestar, Request, Response, Router, get, route
from litestar.datastructures import MutableScopeHeaders, State
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from application.accounts.access_log import AccessLog
from application.accounts.desk_marks import DeskMarks
from application.accounts.logins import Logins
from application.accounts.users import Users
from application.app import CaseFiles
from application.indicators import Cadences, Indicators
from application.notices import load_notice_terms
from application.province import Deployment
from application.rosters import Rosters
from application.self_reports import ReportLimits
from application.settings import Settings
from application.store.encryption import store_secret
from application.tasks import Desk, MyWork
from domain.identity import mask_id_number
from interfaces.http.auth import PUBLIC_PATHS, TokenAuthentication, role_guard
from interfaces.http.commands import COMMAND_HANDLERS
from interfaces.http.departments import HANDLERS as DEPARTMENT_HANDLERS
from interfaces.http.edge import check_request
from interfaces.http.evidence import HANDLERS as EVIDENCE_HANDLERS
from interfaces.http.exchange import HANDLERS as EXCHANGE_HANDLERS
from interfaces.http.indicators import HANDLERS as INDICATOR_HANDLERS
from interfaces.http.intake import HANDLERS as INTAKE_HANDLERS
from interfaces.http.me import HANDLERS as ME_HANDLERS
from interfaces.http.notices import HANDLERS as NOTICE_HANDLERS
from interfaces.http.openapi import StatedDocument, StatedStructs
from interfaces.http.problems import EXCEPTION_HANDLERS, status_table
from interfaces.http.province import HANDLERS as PROVINCE_HANDLERS
from interfaces.http.province import WEB_HANDLERS as PROVINCE_WEB_HANDLERS
from interfaces.http.province import province_state
from interfaces.http.pushes import push_alerts
from interfaces.http.queries import QUERY_HANDLERS
from interfaces.http.rectifications import HANDLERS as RECTIFICATION_HANDLERS
from interfaces.http.self_reports import HANDLERS as SELF_REPORT_HANDLERS
from projections.queries import ReadModels
from projections.runner import Projections
from projections.standby import StandbyReadModels
from projections.stops import ReadModelStatus, Stop

logger = logging.getLogger(__name__)

#: Households the in-process follower keeps between batches (fewer than a rebuild: a big heap
#: makes each full garbage collection of the server longer).
FOLLOWER_CACHE = 2000
#: Largest request body accepted (a push of 5,000 rows fits with room to spare).
MAX_BODY_BYTES = 4 * 1024 * 1024
#: How long the read models may stay behind the log without moving before /health says so.
STALL_SECONDS = 60.0

SWAGGER_ASSETS = Path(swagger_ui.__file__).parent / "static"
#: A favicon inline, so the docs page asks nothing of the network.
FAVICON = ("<link rel='icon' href='data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22 "
           "viewBox=%220 0 16 16%22><rect width=%2216%22 height=%2216%22 fill=%22%23b22%22/></svg>'>")

DESCRIPTION = """防贫监测帮扶系统的 HTTP 接口（CQRS）。

* **命令**（POST/PUT/PATCH）记录一件已发生的事；答复给出农户、档案版本和日志位置 `position`。
  带 `Idempotency-Key` 头重发同一命令只记录一次，并返回首次的答复。农户的命令可带
  `Household-Version` 头（填写时所依据的档案版本，如离线填写的走访）：
  此后该户又有记录则不记录，答复 409 `HOUSEHOLD_CHANGED`。
* **查询**（GET）读名单、队列和档案；带 `after=<position>` 时等读模型追上该位置再答复。
* **错误**一律为 `application/problem+json`：`code` 稳定，`title`/`detail` 为中文，`field` 指出字段。
* **身份**：`Authorization: Bearer <令牌>`（`fangpin users add` 发放）；记录人取自令牌，不取自请求体。

**错误的状态码**

""" + status_table() + "\n"


def _options(path: str, methods: str) -> HTTPRouteHandler:
    """An OPTIONS answer for a path served by more than one handler. (litestar 2.25 rebuilds
    such a route per handler and its own OPTIONS answer keeps the first handler's methods.)"""

    @route(path, http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False,
           name=f"options {path}")
    def options() -> Response[None]:
        return Response(None, status_code=204, headers={"Allow": methods})

    return options


@get("/health", summary="存活检查", sync_to_thread=True, include_in_schema=False)
def health(request: Request) -> Response[dict[str, object]]:
    """Alive, where the log is, and how full this server process's cache of case files is
    (``cache``: households and other aggregates held, bytes, the bound and the process id, so
    that each worker can be told apart); 503 while a read model is stopped at an event it cannot
    apply, naming the read model, its position, the event, the household and the error (ID
    numbers in the error masked: this answer needs no token)."""
    state = request.app.state
    fill = state.case_files.cache_fill()
    body: dict[str, object] = {
        "status": "ok", "storage": state.settings.describe(),
        "cache": {"entries": fill.entries, "bytes": fill.bytes, "bound": fill.bound,
                  "process": os.getpid()}}
    projections: Projections = state.projections
    if projections.stops():
        stopped = [_stopped(status, status.stop) for status in projections.status().values()
                   if status.stop is not None]
        return Response({**body, "status": "read_models_stopped", "stopped": stopped},
                        status_code=503)
    stalled = state.stall_watch.behind_for(projections.position(), state.case_files.max_position())
    if stalled is not None:
        behind, seconds = stalled
        return Response({**body, "status": "read_models_stalled", "behind": behind,
                         "stalled_seconds": round(seconds)}, status_code=503)
    return Response(body)


class StallWatch:
    """Whether the read models have been behind the log without moving for `STALL_SECONDS`
    (their process died or hangs): what a health check sees between its calls."""

    def __init__(self) -> None:
        self._position, self._since = -1, 0.0

    def behind_for(self, position: int, end: int) -> tuple[int, float] | None:
        """How far behind and for how long, once that is longer than `STALL_SECONDS`."""
        now = time.monotonic()
        if position >= end or position != self._position:
            self._position, self._since = position, now
            return None
        stalled = now - self._since
        return (end - position, stalled) if stalled >= STALL_SECONDS else None


def _stopped(status: ReadModelStatus, stop: Stop) -> dict[str, object]:
    return {"read_model": status.model, "read_model_position": status.position,
            "event_position": stop.position, "topic": stop.topic,
            "household_id": str(stop.household_id), "household_code": stop.household_code,
            "error_type": stop.error_type, "error": _ID_NUMBER.sub(_masked, stop.error),
            "stopped_at": stop.stopped_at.isoformat()}


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


def _masked(match: re.Match[str]) -> str:
    return mask_id_number(match.group())


@get("/", include_in_schema=False, sync_to_thread=False)
def index() -> Redirect:
    return Redirect("/web/")


class Services:
    """What the handlers use, opened when the app starts and closed when it stops.

    A test harness or an ASGI server may run the app's lifespan more than once: each start
    opens the services again if the last stop closed them.
    """

    def __init__(self, settings: Settings, clock: Callable[[], datetime] | None, follow: bool,
                 ) -> None:
        self.settings, self.clock, self.follow = settings, clock, follow
        self.case_files: CaseFiles | None = None
        self.projections: Projections | None = None
        #: The hot standby's read-only case files, when ``settings.read_database_url`` is set.
        self.standby: CaseFiles | None = None
        self.access_log: AccessLog | None = None

    def open(self, state: State) -> None:
        if self.case_files is not None:
            return
        case_files = CaseFiles(self.settings, clock=self.clock)
        datastore = case_files.factory.datastore  # type: ignore[attr-defined]
        # Every table the app uses is made now, under the schema's lock: several server
        # processes start together (`application.store.ddl`).
        with case_files.creating_tables():
            projections = Projections(case_files, cache_size=FOLLOWER_CACHE)
            users = Users(datastore, backend=self.settings.backend)
            # A read's row is written in a batch (`AccessLog`), closed with the services.
            access_log = self.access_log = AccessLog(datastore, backend=self.settings.backend,
                                                     clock=self.clock, batched=True)
            logins = Logins(users, clock=self.clock)
            report_limits = ReportLimits(datastore, self.settings.backend, clock=self.clock)
            marks = DeskMarks(users, clock=self.clock)
            case_files.log_tables()
            case_files.attachments()
        if self.follow:
            projections.catch_up()
            projections.follow()
        self.case_files, self.projections = case_files, projections
        indicators = Indicators(case_files, projections.store,
                                Cadences.load(self.settings.cadences_path))
        # The cadence table given is recorded now, at start-up, so that no read ever writes.
        indicators.adopt_cadences()
        # Reads go to the hot standby when there is one (README "只读备库与故障切换"): its case
        # files, read models and indicators; commands and the access log stay on the primary.
        reader, read_side = case_files, projections
        if self.settings.read_database_url:
            reader = self.standby = CaseFiles(self.settings.standby(), clock=self.clock)
            read_side = StandbyReadModels(reader, projections)
            indicators = Indicators(reader, read_side.store, indicators.cadences)
        read_models = ReadModels(read_side.store, case_files.clock)  # "today" on the app's clock
        state.update({"settings": self.settings, "case_files": case_files, "logins": logins,
                      "projections": projections, "read_models": read_models,
                      "reader": reader, "read_side": read_side,
                      "users": users, "indicators": indicators, "access_log": access_log,
                      "report_limits": report_limits,
                      "my_work": MyWork(Desk(read_models, case_files, indicators), marks,
                                        lambda: (case_files.max_position(), read_side.position())),
                      "rosters": Rosters.load(self.settings.rosters_path),
                      "stall_watch": StallWatch(),
                      "notice_terms": load_notice_terms(self.settings.notices_path)})

    def close(self) -> None:
        if self.access_log is not None:
            self.access_log.close()
            self.access_log = None
        if self.projections is not None:
            self.projections.close()
        if self.case_files is not None:
            self.case_files.close()
        if self.standby is not None:
            self.standby.close()
        self.case_files = self.projections = self.standby = None


#: What a browser may keep: the static assets; nothing else (see `no_store`).
CACHEABLE_PATHS = ("/web/static/", "/static/swagger/")


def no_store(message: Any, scope: Any) -> None:
    """Every answer but the static assets carries, or may carry, personal data (a household's
    file, ID numbers, lists, exports): no browser or proxy keeps a copy, so Back after 退出登录
    on a shared township PC shows nothing."""
    if message["type"] == "http.response.start" and not scope["path"].startswith(CACHEABLE_PATHS):
        MutableScopeHeaders.from_message(message)["Cache-Control"] = "no-store"


#: Threads that run the blocking handlers (anyio's default is 40). Each thread keeps its own
#: caches and malloc arena; two cores gain nothing from more than a few waiting on the
#: database, and the soak's workers grew with every thread that had ever run (docs/soak.md).
HANDLER_THREADS = 12


def _limit_threads(app: Litestar) -> None:
    """Cap the handler thread pool of the process serving ``app`` (runs on its event loop)."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = HANDLER_THREADS


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], datetime] | None = None,
    follow: bool = True, debug: bool = False, province: Deployment | None = None,
) -> Litestar:
    """The HTTP API over the county's case files.

    ``follow``: keep the read models following the log in a thread of this process (the
    embedded default); pass False when a separate worker (`fangpin projections run`) does it.
    Queries asked to wait with ``after`` catch up themselves either way. The services are
    open as soon as the app is made (``app.state.case_files``, ``app.state.users``…), so
    scripts and tests may use them before the first request.

    ``province``: the deployment whose province this app serves (``settings`` is then the
    province's store): its users sign in as anywhere, but the routes are the province's
    (`interfaces.http.province`), not a county's.
    """
    from litestar.exceptions import NotFoundException

    from interfaces.web import WEB_ASSETS, csrf_config, template_config, web_router
    from interfaces.web.errors import on_no_such_address
    from interfaces.web.field import field_routers

    services = Services(settings or Settings(), clock, follow)
    state = State()
    services.open(state)
    if province is not None:
        state.update(province_state(province))

    openapi = OpenAPIConfig(
        title="防贫监测帮扶 API",
        version="1",
        description=DESCRIPTION,
        path="/schema",
        # openapi.json states what the edge holds requests to (`interfaces.http.openapi`).
        render_plugins=[StatedDocument(), SwaggerRenderPlugin(
            js_url="/static/swagger/swagger-ui-bundle.js",
            css_url="/static/swagger/swagger-ui.css",
            standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
            favicon=FAVICON,
        )],
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer",
                                     description="`fangpin users add` 发放的令牌"),
        }),
        security=[{"bearer": []}],
        tags=[Tag(name="命令"), Tag(name="部门推送"), Tag(name="查询"), Tag(name="考核"),
              Tag(name="部门工作台"), Tag(name="数据共享"), Tag(name="我的待办")],
        use_handler_docstrings=False,
    )
    if province is None:
        # One router copies the handlers: litestar 2.25 registering two synchronous handlers
        # on one path (GET and POST /api/households) straight on the app breaks the first.
        served = [
            Router("/", route_handlers=[
                _options("/api/households", "GET, OPTIONS, POST"),
                _options("/api/pushes", "GET, OPTIONS, POST"),
                _options("/api/rectifications", "GET, OPTIONS, POST"),
                *COMMAND_HANDLERS, push_alerts, *QUERY_HANDLERS, *INDICATOR_HANDLERS,
                *INTAKE_HANDLERS, *RECTIFICATION_HANDLERS, *SELF_REPORT_HANDLERS, *NOTICE_HANDLERS,
                *DEPARTMENT_HANDLERS, *EXCHANGE_HANDLERS, *ME_HANDLERS, *EVIDENCE_HANDLERS, health,
                index,
            ]),
            web_router(),
            *field_routers(),
        ]
    else:
        served = [Router("/", route_handlers=[*PROVINCE_HANDLERS, health, index]),
                  web_router(PROVINCE_WEB_HANDLERS)]
    return Litestar(
        route_handlers=[
            *served,
            create_static_files_router("/static/swagger", directories=[SWAGGER_ASSETS],
                                       name="swagger-assets"),
            create_static_files_router("/web/static", directories=WEB_ASSETS, name="web-assets",
                                       opt={"web": True}),
        ],
        template_config=template_config(),
        csrf_config=csrf_config(store_secret(
            services.case_files.factory.datastore,  # type: ignore[union-attr]
            services.settings.backend, "csrf_secret")),
        guards=[role_guard],
        before_request=check_request,  # every request's text, once (interfaces.http.edge)
        before_send=[no_store],
        middleware=[DefineMiddleware(TokenAuthentication, exclude=PUBLIC_PATHS)],
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: on_no_such_address},
        openapi_config=openapi,
        plugins=[StatedStructs()],  # what request bodies declare (`interfaces.http.openapi`)
        state=state,
        on_startup=[lambda app: services.open(app.state), _limit_threads],
        on_shutdown=[lambda app: services.close()],
        request_max_body_size=MAX_BODY_BYTES,
        debug=debug,
    )

