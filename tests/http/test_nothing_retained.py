"""A served request leaves nothing behind in the worker: what a request makes is freed once
it is answered, so a worker's memory does not grow with the requests it has served (the
soak of `make soak` saw workers grow ~5 MB a minute while every request's copy of its route
handler was kept)."""

from __future__ import annotations

import gc

from litestar.handlers import BaseRouteHandler

from tests.http.conftest import Api

ROUTES = ("/api/cases", "/api/monitoring", "/api/households", "/api/visits-due", "/api/me")


def _live_route_handlers() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, BaseRouteHandler))


def test_requests_leave_no_route_handler_behind(api: Api) -> None:
    api.register()
    for path in ROUTES:  # warm up: every route once
        assert api.get(path).status_code == 200
    before = _live_route_handlers()
    for _ in range(20):
        for path in ROUTES:
            assert api.get(path).status_code == 200
    assert _live_route_handlers() - before <= len(ROUTES), "route handler copies are being kept"
