"""One server for a deployment of many counties: ``/c/{county}/…`` is that county's own app.

`Deployment app` is a plain ASGI app in front of the apps of the deployment:
- ``/c/130630/api/…``, ``/c/130630/web/…``: county 130630's app, made on its first request from
  the county's own store (`Deployment.county_settings`) and kept;
- ``/api/province/…``, ``/province/…``: the province's app (`interfaces.http.province`), made
  on its first request;
- everything else: the root store's app, exactly as a one-county server serves it.

A county's app never learns it is mounted: the prefix is taken off the path before it sees the
request, and put back on what it answers with a path in it — a redirect's ``Location``, a
cookie's ``Path`` (so a session in one county is never sent to another), and the links, images
and forms of its HTML pages. An unknown county is a 404 naming it; nothing joins two stores.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any

import anyio.to_thread
import msgspec
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from litestar import Litestar

from application.province import Deployment
from application.settings import Settings
from domain.errors import DomainError
from interfaces.http.problems import PROBLEM_JSON, TITLES, Unavailable, domain_status

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Counties a server process keeps open at once (each holds a few database connections).
OPEN_COUNTIES = 16
logger = logging.getLogger(__name__)
_COUNTY_PATH = re.compile(r"^/c/([^/]*)(/.*)?$")
#: A path inside a page: an attribute naming a path of the server (not ``//host``, and not a
#: county's ``/c/…``: the province's pages link to the counties' workbenches as they are).
_PAGE_PATH = re.compile(rb'((?:href|src|action|formaction)=")/(?!/|c/)')
_COOKIE_PATH = re.compile(rb"(?i)(;\s*path=)/")


class DeploymentApp:
    """The ASGI app of a deployment: the root app, the province's, and each county's."""

    def __init__(self, deployment: Deployment, root: Litestar, make_county: Callable[[str], Litestar],
                 make_province: Callable[[], Litestar]) -> None:
        self.deployment, self.root = deployment, root
        self._make_county, self._make_province = make_county, make_province
        self._counties: OrderedDict[str, Litestar] = OrderedDict()  # least recently used first
        self._in_flight: Counter[str] = Counter()
        self._opening: dict[str, threading.Lock] = {}  # per county: its app being opened
        self._province: Litestar | None = None
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        path = scope.get("path", "")
        found = _COUNTY_PATH.match(path)
        if found:
            await self._county(found.group(1), found.group(2) or "/", scope, receive, send)
        elif path == "/api/province" or path.startswith(("/api/province/", "/province/")):
            app = self._province or await anyio.to_thread.run_sync(self._open_province)
            prefix = "/province" if path.startswith("/province/") else ""
            await _send_to(app, prefix, path[len(prefix):], scope, receive, send)
        else:
            await self.root(scope, receive, send)

    async def _county(self, code: str, rest: str, scope: Scope, receive: Receive,
                      send: Send) -> None:
        try:
            app = self._using(code) or await anyio.to_thread.run_sync(self._open, code)
        except DomainError as refused:
            await _problem(scope, send, domain_status(refused), refused)
            return
        except (StoreOperationalError, StoreInterfaceError):  # the database is not answering
            logger.warning("county %s could not be opened: the database is unreachable", code)
            await _problem(scope, send, 503, Unavailable(
                "DATABASE_UNAVAILABLE", "数据库暂时无法连接（可能正在切换主库），请稍后重试"))
            return
        try:
            await _send_to(app, f"/c/{code}", rest, scope, receive, send)
        finally:
            with self._lock:
                self._in_flight[code] -= 1
            if len(self._counties) > OPEN_COUNTIES:
                await anyio.to_thread.run_sync(self._close_idle)

    def _using(self, code: str) -> Litestar | None:
        """The county's app if it is open, counted as in use."""
        with self._lock:
            app = self._counties.get(code)
            if app is not None:
                self._counties.move_to_end(code)
                self._in_flight[code] += 1
            return app

    def _open(self, code: str) -> Litestar:
        """Open the county's app (one opening per county at a time; the other counties and the
        root keep serving meanwhile: only the table of open apps is locked, briefly)."""
        with self._lock:
            opening = self._opening.setdefault(code, threading.Lock())
        with opening:
            with self._lock:
                app = self._counties.get(code)
            if app is None:
                self.deployment.county(code)  # refused: not a county code, or not one of ours
                app = self._make_county(code)
            with self._lock:
                self._counties[code] = app
                self._counties.move_to_end(code)
                self._in_flight[code] += 1
            return app

    def _close_idle(self) -> None:
        """Close the least recently used counties beyond `OPEN_COUNTIES` that serve nothing now
        (each open county holds database connections; it opens again on its next request)."""
        closing = []
        with self._lock:
            for code in list(self._counties):
                if len(self._counties) - len(closing) <= OPEN_COUNTIES:
                    break
                if not self._in_flight[code]:
                    closing.append(self._counties.pop(code))
                    del self._in_flight[code]
        for app in closing:
            _shut(app)

    def _open_province(self) -> Litestar:
        with self._lock:
            if self._province is None:
                self._province = self._make_province()
            return self._province

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start and stop with the root app; stop every county app opened meanwhile."""

        async def receive_and_close() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await anyio.to_thread.run_sync(self.close)
            return message

        await self.root(scope, receive_and_close, send)

    def close(self) -> None:
        """Close every county's app (and the province's) opened by this server."""
        with self._lock:
            apps, self._counties = list(self._counties.values()), OrderedDict()
            if self._province is not None:
                apps.append(self._province)
                self._province = None
        for app in apps:
            _shut(app)
        self.deployment.close()


def _shut(app: Litestar) -> None:
    for hook in app.on_shutdown:
        hook(app)  # type: ignore[call-arg]


async def _send_to(app: ASGIApp, prefix: str, rest: str, scope: Scope, receive: Receive,
                   send: Send) -> None:
    """``app`` answers the request as if at ``rest``; paths in its answer get ``prefix`` back."""
    inner = dict(scope, path=rest, raw_path=rest.encode())
    if not prefix or scope["type"] != "http":
        await app(inner, receive, send)
        return
    await app(inner, receive, _Prefixing(prefix.encode(), send))


class _Prefixing:
    """Puts a mount's prefix back on the paths of an answer: Location, cookie paths, HTML links."""

    def __init__(self, prefix: bytes, send: Send) -> None:
        self.prefix, self.send = prefix, send
        self.start: Message | None = None
        self.body: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(name, self._header(name, value)) for name, value in message["headers"]]
            start = dict(message, headers=headers)
            if _is_html(headers):
                self.start = start  # held until the whole page is here
                return
            await self.send(start)
        elif message["type"] == "http.response.body" and self.start is not None:
            self.body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = _PAGE_PATH.sub(rb"\1" + self.prefix + b"/", b"".join(self.body))
            headers = [(n, str(len(page)).encode() if n.lower() == b"content-length" else v)
                       for n, v in self.start["headers"]]
            await self.send(dict(self.start, headers=headers))
            await self.send({"type": "http.response.body", "body": page, "more_body": False})
        else:
            await self.send(message)

    def _header(self, name: bytes, value: bytes) -> bytes:
        lowered = name.lower()
        if lowered == b"location" and value.startswith(b"/") and not value.startswith((b"//", b"/c/")):
            return self.prefix + value
        if lowered == b"set-cookie":
            return _COOKIE_PATH.sub(rb"\1" + self.prefix + b"/", value)
        return value


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(n.lower() == b"content-type" and v.startswith(b"text/html") for n, v in headers)


async def _problem(scope: Scope, send: Send, status: int, refused: DomainError) -> None:
    """The API's problem answer (`interfaces.http.problems`), for a county that is not there."""
    if scope["type"] != "http":
        return
    body = msgspec.json.encode({
        "type": f"/problems/{refused.code}", "title": TITLES.get(status, "请求未能完成"),
        "status": status, "detail": refused.message, "code": refused.code, "field": refused.field,
        "instance": scope.get("path")})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"),
                            *([(b"retry-after", b"5")] if status == 503 else [])]})
    await send({"type": "http.response.body", "body": body})


def deployment_app(settings: Settings, *, clock: Callable[[], datetime] | None = None,
                   follow: bool = True) -> DeploymentApp:
    """The app `fangpin serve` serves: the root store's, with the deployment's counties and its
    province mounted beside it (each opened on its first request)."""
    from interfaces.http.app import create_app

    deployment = Deployment(settings, clock=clock)
    return DeploymentApp(
        deployment, create_app(settings, clock=clock, follow=follow),
        lambda code: create_app(deployment.county_settings(code), clock=clock, follow=follow),
        lambda: create_app(settings.province_store(), clock=clock, follow=follow,
                           province=deployment))
