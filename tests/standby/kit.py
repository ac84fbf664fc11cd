"""An app over a primary and its standby, under litestar's test client, for the standby tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from litestar.testing import TestClient

from application.settings import Settings
from interfaces.http import create_app
from tests.conftest import FakeClock
from tests.http.conftest import USERS, Api

#: A visit the tests record (any household may be visited).
VISIT = {"visitor": "网格员小李", "income_change": "200", "occurred_on": "2025-09-15",
         "checks": {"不愁吃": True, "不愁穿": True, "义务教育": True, "基本医疗": True,
                    "住房安全": True, "饮水安全": True}}


@contextmanager
def serving(settings: Settings, tokens: dict[str, str] | None = None) -> Iterator[Api]:
    """The HTTP API on ``settings`` (read models not followed: queries pass ``after``), with a
    token per user of `tests.http.conftest.USERS` (``tokens``: theirs already in the store)."""
    clock = FakeClock(datetime(2025, 12, 1, 2, 0, tzinfo=UTC))
    app = create_app(settings, clock=clock, follow=False)
    with TestClient(app) as client:
        if tokens is None:
            tokens = {who: app.state.users.add(user) for who, user in USERS.items()}
        yield Api(client=client, app=app, clock=clock, tokens=tokens)
