"""One server, many counties: ``/c/{county}/…`` is that county's own app and store, the
province's app answers under ``/api/province/…``, the root store stays where it was."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from application.accounts.access import User
from application.accounts.users import Users
from application.app import CaseFiles
from application.province import Deployment
from application.settings import Settings
from domain.codes import Role
from interfaces.http.mounts import DeploymentApp, deployment_app
from tests.conftest import FakeClock
from tests.http.conftest import registration

COUNTIES = {"130630": "涞源县", "130633": "易县"}


@dataclass
class Served:
    client: TestClient[Any]
    app: DeploymentApp
    tokens: dict[str, str]

    def get(self, path: str, who: str, **params: Any) -> Any:
        return self.client.get(path, params=params,
                               headers={"Authorization": f"Bearer {self.tokens[who]}"})


def _user(settings: Settings, user: User) -> str:
    with CaseFiles(settings) as store:
        return Users(store.factory.datastore, backend=settings.backend).add(user)  # type: ignore[attr-defined]


@pytest.fixture
def served(settings: Settings, clock: FakeClock) -> Iterator[Served]:
    yield from _served(settings, clock, began=datetime(2025, 12, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def served_since_january(settings: Settings, clock: FakeClock) -> Iterator[Served]:
    """The counties began their logs on 1 January 2025, so that the months before December
    are owed their visits."""
    yield from _served(settings, clock, began=datetime(2025, 1, 1, 2, 0, tzinfo=UTC))


def _served(settings: Settings, clock: FakeClock, began: datetime) -> Iterator[Served]:
    """The deployment's counties added at ``began``; today is 1 December 2025."""
    clock.now = began
    with Deployment(settings, clock=clock) as deployment:
        for code, name in COUNTIES.items():
            deployment.add(code, name)
    tokens = {code: _user(settings.county_store(code), User(f"county-{code}", Role.COUNTY_CENTRE))
              for code in COUNTIES}
    tokens["root"] = _user(settings, User("county-root", Role.COUNTY_CENTRE))
    tokens["province"] = _user(settings.province_store(), User("province-1", Role.AUDITOR))
    clock.now = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    app = deployment_app(settings, clock=clock, follow=False)
    with TestClient(app) as client:  # type: ignore[arg-type]
        yield Served(client, app, tokens)


def test_each_county_is_served_from_its_own_store(served: Served) -> None:
    client = served.client
    answer = client.post("/c/130630/api/households", json=registration("130630101001"),
                         headers={"Authorization": f"Bearer {served.tokens['130630']}"})
    assert answer.status_code == 201, answer.text
    position = answer.json()["position"]
    found = served.get("/c/130630/api/households/130630101001", "130630")
    assert found.status_code == 200 and found.json()["code"] == "130630101001"
    for elsewhere, who in (("/c/130633", "130633"), ("", "root")):
        assert served.get(f"{elsewhere}/api/households/130630101001", who).status_code == 404
    listed = served.get("/c/130630/api/households", "130630", after=position)
    assert [h["code"] for h in listed.json()["rows"]] == ["130630101001"]
    assert served.get("/c/130633/api/households", "130633").json()["rows"] == []


def test_a_county_user_is_nobody_in_another_county(served: Served) -> None:
    assert served.get("/c/130630/api/households", "130630").status_code == 200
    for path in ("/c/130633/api/households", "/api/households"):
        refused = served.get(path, "130630")
        assert refused.status_code == 401, path
    assert served.get("/c/130630/api/households", "province").status_code == 401


def test_an_unknown_county_is_a_4xx_naming_it(served: Served) -> None:
    for path, status, code in (("/c/999999/api/households", 404, "COUNTY_NOT_FOUND"),
                               ("/c/13063x/web/", 422, "INVALID_COUNTY_CODE"),
                               ("/c//api/households", 422, "INVALID_COUNTY_CODE"),
                               ("/c/%EF%BC%91%EF%BC%93%EF%BC%90%EF%BC%96%EF%BC%93%EF%BC%90/api/households",
                                422, "INVALID_COUNTY_CODE")):
        answer = served.get(path, "130630")
        assert answer.status_code == status, path
        assert answer.json()["code"] == code and answer.json()["field"] == "county"


def test_a_county_workbench_keeps_its_prefix_on_links_redirects_and_cookies(served: Served) -> None:
    client = served.client
    first = client.get("/c/130633/web/", follow_redirects=False)
    assert first.status_code in (302, 303, 307)
    assert first.headers["location"].startswith("/c/130633/web/login")
    page = client.get(first.headers["location"])
    assert 'action="/c/130633/web/login"' in page.text
    assert 'href="/c/130633/web/static/app.css"' in page.text
    assert 'action="/web/' not in page.text and 'href="/web/' not in page.text
    assert all("Path=/c/130633/web" in cookie for cookie in page.headers.get_list("set-cookie"))
    assert client.get("/c/130633/web/static/app.css").status_code == 200


def test_a_county_workbench_never_shows_figures_kept_for_another_county(
        served_since_january: Served, settings: Settings, clock: FakeClock) -> None:
    """Two counties of one server, their logs at the same position on the same day: each
    county's indicator page (and its cache of figures) is its own. A 脱贫户 of 涞源县 owed its
    visits is in 涞源县's drill-down of 走访覆盖率, and never in 易县's."""
    from application.accounts.logins import Logins

    served = served_since_january
    client, positions = served.client, {}
    clock.now = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)  # registered in January, seen in December
    for code, household_type in (("130630", "脱贫户"), ("130633", "一般农户")):
        answer = client.post(f"/c/{code}/api/households",
                             json=registration(f"{code}101001", household_type=household_type),
                             headers={"Authorization": f"Bearer {served.tokens[code]}"})
        assert answer.status_code == 201, answer.text
        positions[code] = answer.json()["position"]
    assert positions["130630"] == positions["130633"]  # what a cache by position alone would mix up
    clock.now = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    for code in COUNTIES:
        with CaseFiles(settings.county_store(code)) as store:
            users = Users(store.factory.datastore, backend=settings.backend)  # type: ignore[attr-defined]
            Logins(users).set_password(f"county-{code}", "密码-county")
        login = client.get(f"/c/{code}/web/login").text
        token = re.search(r'name="_csrf_token" value="([^"]*)"', login)
        assert token is not None
        signed = client.post(f"/c/{code}/web/login", follow_redirects=False, data={
            "_csrf_token": token.group(1), "name": f"county-{code}", "password": "密码-county",
            "next": f"/c/{code}/web/"})
        assert signed.status_code in (302, 303), signed.text
    for app in served.app._counties.values():
        app.state.projections.catch_up()  # (this server's read models follow only when asked)
    drill = {"period": "2025", "indicator": "走访覆盖率"}
    mine = client.get("/c/130630/web/indicators", params=drill)
    assert mine.status_code == 200 and "未走访：2025-01" in mine.text and "130630101001" in mine.text
    other = client.get("/c/130633/web/indicators", params=drill)
    assert other.status_code == 200 and "走访覆盖率（全县）的明细" in other.text
    assert "130630101001" not in other.text and "未走访" not in other.text


def test_the_province_lists_its_counties_to_its_own_users(served: Served) -> None:
    answer = served.get("/api/province/counties", "province")
    assert answer.status_code == 200, answer.text
    assert [(c["code"], c["name"], c["web"]) for c in answer.json()] == [
        (code, name, f"/c/{code}/web/") for code, name in COUNTIES.items()]
    assert served.get("/api/province/counties", "130630").status_code == 401
    assert served.get("/health", "root").status_code == 200


def test_a_county_grid_workers_app_calls_its_own_county(served: Served) -> None:
    page = served.client.get("/c/130630/app/").text
    assert 'src="/c/130630/app/app.js"' in page and 'href="/c/130630/app/manifest.webmanifest"' in page
    for script in ("app.js", "sw.js", "store.js"):  # each finds its base from where it is served
        code = served.client.get(f"/c/130630/app/{script}").text
        assert "lastIndexOf('/app/')" in code, script
    session = served.client.post("/c/130630/app/session", json={"name": "nobody", "password": "x"})
    assert session.status_code in (401, 422), session.text


def test_a_server_keeps_few_counties_open_and_reopens_one_on_its_next_request(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    import interfaces.http.mounts as mounts

    monkeypatch.setattr(mounts, "OPEN_COUNTIES", 1)
    for code in ("130630", "130633", "130630"):
        assert served.get(f"/c/{code}/api/households", code).status_code == 200
        assert list(served.app._counties) == [code]  # the other one closed: its connections given back
