"""The HTTP API under litestar's test client, on both back ends, with one user per role.

Read models are not followed by a thread here (``follow=False``): a test that reads a list
either passes ``after=<position>`` (read-your-writes) or calls `Api.catch_up`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from application.accounts.access import User
from application.settings import Settings
from domain.codes import Department, Role
from interfaces.http import create_app
from tests.builders import CHILD_ID, HEAD_ID, SPOUSE_ID, STATED_MEMBER
from tests.conftest import FakeClock

TOWNSHIP, VILLAGE = "银坊镇", "东村"
OTHER_TOWNSHIP, OTHER_VILLAGE = "水堡镇", "西村"

#: One user per role (and a few in other areas), by a short name the tests use.
USERS: dict[str, User] = {
    "county": User("county-01", Role.COUNTY_CENTRE),
    "township": User("township-01", Role.TOWNSHIP_WORKSTATION, township=TOWNSHIP),
    "village": User("grid-01", Role.VILLAGE_LIAISON, township=TOWNSHIP, village=VILLAGE),
    "department": User("dept-ybj", Role.DEPARTMENT, department=Department.MEDICAL_INSURANCE),
    "auditor": User("auditor-01", Role.AUDITOR),
    "assessment": User("assessment-01", Role.ASSESSMENT_TEAM),
    "other_township": User("township-02", Role.TOWNSHIP_WORKSTATION, township=OTHER_TOWNSHIP),
    "other_village": User("grid-02", Role.VILLAGE_LIAISON, township=TOWNSHIP,
                          village=OTHER_VILLAGE),
    "other_department": User("dept-mzj", Role.DEPARTMENT, department=Department.CIVIL_AFFAIRS),
}


@dataclass
class Api:
    """The test client with a token per user and shortcuts for the common calls."""

    client: TestClient[Litestar]
    app: Litestar
    clock: FakeClock
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, who: str = "county", **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers(who))

    def post(self, path: str, body: Any, who: str = "county", key: str | None = None) -> Any:
        return self.client.post(path, json=body, headers=self.headers(who, key))

    def ok(self, path: str, body: Any, who: str = "county", key: str | None = None) -> dict:
        """POST a command that must be recorded; returns the answer."""
        response = self.post(path, body, who, key)
        assert response.status_code == 201, response.text
        return response.json()

    def catch_up(self) -> None:
        self.app.state.projections.catch_up()

    def register(self, code: str = "130630101001", *, township: str = TOWNSHIP,
                 village: str = VILLAGE, household_type: str = "一般农户",
                 members: list[dict] | None = None, who: str = "county") -> dict:
        return self.ok("/api/households", registration(code, township=township, village=village,
                                                       household_type=household_type,
                                                       members=members), who)


def registration(code: str = "130630101001", *, township: str = TOWNSHIP, village: str = VILLAGE,
                 household_type: str = "一般农户", members: list[dict] | None = None) -> dict:
    return {
        "code": code, "township": township, "village": village, "address": f"{village}12号",
        "household_type": household_type,
        "lifted_out_year": 2016 if household_type == "脱贫户" else None,
        "members": members or [
            {"name": "王建国", "id_number": HEAD_ID, "relation": "本人", **STATED_MEMBER},
            {"name": "李秀英", "id_number": SPOUSE_ID, "relation": "配偶", **STATED_MEMBER},
            {"name": "王小明", "id_number": CHILD_ID, "relation": "子", "in_school": True, **STATED_MEMBER},
        ],
        "occurred_on": "2025-01-01",
    }


def alert(day: str = "2025-03-01", person: str = HEAD_ID, **fields: Any) -> dict:
    body = {"channel": "农户自主申报", "person_id_number": person, "risk_types": ["因病"],
            "description": "住院花费大", "occurred_on": day}
    body.update(fields)
    return body


ALL_CHECKS_PASS = {"不愁吃": True, "不愁穿": True, "义务教育": True, "基本医疗": True,
                   "住房安全": True, "饮水安全": True}


def day(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def api(settings: Settings, clock: FakeClock) -> Iterator[Api]:
    # The county began its log on 1 January 2025 (the cadence table adopted at start-up is its
    # first event), so every push and meeting due in 2025 is owed; today is 1 December.
    clock.now = datetime(2025, 1, 1, 2, 0, tzinfo=UTC)
    app = create_app(settings, clock=clock, follow=False)
    with TestClient(app) as client:
        assert app.state.case_files.first_recorded_at() == clock.now
        clock.now = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)  # every 2025 date below is in the past
        users = app.state.users
        tokens = {who: users.add(user) for who, user in USERS.items()}
        yield Api(client=client, app=app, clock=clock, tokens=tokens)
