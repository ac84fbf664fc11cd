"""The province's API and page as its users meet them through one server: a provincial
department's batch routed to counties, each county's figures as the county's own, and every
other caller refused with the rule named."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient

from application.accounts.access import User
from application.accounts.logins import Logins
from application.accounts.users import Users
from application.app import CaseFiles
from application.demo import load_demo
from application.province import Deployment
from application.province.figures import ProvincialFigures, catch_up_all
from application.settings import Settings
from domain.codes import Department, Role
from interfaces.http.mounts import deployment_app
from tests.builders import id_number
from tests.conftest import FakeClock
from tests.province.counties import LAIYUAN, YIXIAN, county_app, ids, register
from tests.province.test_figures import MORNING, UNTIL

PASSWORD = "省级-核对-2025"


@dataclass
class Province:
    client: TestClient[Any]
    settings: Settings
    deployment: Deployment
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers(who))


def _add(settings: Settings, user: User, password: str | None = None) -> str:
    with CaseFiles(settings) as store:
        users = Users(store.factory.datastore, backend=settings.backend)  # type: ignore[attr-defined]
        token = users.add(user)
        if password:
            Logins(users).set_password(user.name, password)
        return token


@pytest.fixture
def province(settings: Settings) -> Iterator[Province]:
    clock = FakeClock(MORNING)
    with Deployment(settings, clock=clock) as deployment:
        deployment.add(LAIYUAN, "涞源县")
        deployment.add(YIXIAN, "易县")
        for seed, code in enumerate((LAIYUAN, YIXIAN), start=1):
            with county_app(deployment, code) as app:
                load_demo(app, 12, seed=seed, until=UNTIL, now=clock())
        register(deployment, LAIYUAN, {"130630999001": 1})
        register(deployment, YIXIAN, {"130633999001": 2})
        tokens = {
            "auditor": _add(settings.province_store(), User("sheng-sj", Role.AUDITOR), PASSWORD),
            "department": _add(settings.province_store(), User(
                "sheng-ybj", Role.DEPARTMENT, department=Department.MEDICAL_INSURANCE)),
            "county": _add(settings.county_store(LAIYUAN), User("lai-01", Role.COUNTY_CENTRE)),
        }
        app = deployment_app(settings, clock=clock, follow=False)
        with TestClient(app) as client:  # type: ignore[arg-type]
            yield Province(client, settings, deployment, tokens)


def _push(province: Province, rows: list[dict[str, Any]], batch: str = "省医保-2025-06") -> Any:
    return province.client.post("/api/province/pushes", headers=province.headers("department"), json={
        "batch_id": batch, "tier": "省级推送", "period": "2025-06", "rows": rows})


def _row(person: str) -> dict[str, Any]:
    return {"person_id_number": person, "risk_types": ["因病"], "occurred_on": "2025-06-20",
            "description": "住院费用高"}


def test_a_provincial_batch_lands_in_each_persons_county_once(province: Province) -> None:
    stranger = id_number(date(1980, 1, 1), 9, area="130999")
    rows = [_row(ids(1)[0]), _row(ids(2)[1]), _row(stranger)]
    answer = _push(province, rows)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(r["row"], r["county"]) for r in body["rows"]] == [(1, LAIYUAN), (2, YIXIAN), (3, None)]
    assert sum(body["held"].values()) == 1
    ledger = province.client.get(f"/c/{LAIYUAN}/api/pushes", headers=province.headers("county"),
                                 params={"after": body["positions"][LAIYUAN]})
    assert [(line["batch_id"], line["received"]) for line in ledger.json()["rows"]
            if line["batch_id"] == "省医保-2025-06"] == [("省医保-2025-06", 1)], ledger.text
    alerts = province.client.get(f"/c/{LAIYUAN}/api/alerts", headers=province.headers("county"),
                                 params={"batch_id": "省医保-2025-06"})
    assert [a["tier"] for a in alerts.json()["rows"]] == ["省级推送"], alerts.text
    held = province.get("/api/province/unmatched-alerts", "auditor").json()
    assert [a["batch_id"] for a in held] == ["省医保-2025-06"]
    again = _push(province, rows).json()
    assert again["repeated"] == 3 and again["positions"] == body["positions"]


def test_a_bad_row_refuses_the_batch_naming_it_and_nothing_is_recorded(province: Province) -> None:
    before = {code: county_app(province.deployment, code) for code in (LAIYUAN, YIXIAN)}
    ends = {code: app.max_position() for code, app in before.items()}
    bad = ids(2)[0][:-1] + ("0" if ids(2)[0][-1] != "0" else "1")
    refused = _push(province, [_row(ids(1)[0]), _row(bad)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "rows[1].person_id_number"
    assert {code: app.max_position() for code, app in before.items()} == ends
    for app in before.values():
        app.close()


def test_each_role_is_held_to_its_own_part(province: Province) -> None:
    assert province.get("/api/province/indicators", "department").status_code == 403
    assert _push_as(province, "auditor").status_code == 403
    assert province.get("/api/province/indicators", "county").status_code == 401
    assert province.get(f"/c/{LAIYUAN}/api/households", "auditor").status_code == 401
    unknown = province.get("/api/province/indicators/999999", "auditor")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "COUNTY_NOT_FOUND")


def _push_as(province: Province, who: str) -> Any:
    return province.client.post("/api/province/pushes", headers=province.headers(who), json={
        "batch_id": "x", "tier": "省级推送", "period": "2025-06", "rows": []})


def test_the_province_shows_each_countys_own_figures(province: Province) -> None:
    catch_up_all(province.deployment, ProvincialFigures(province.deployment.province()))
    held = province.get("/api/province/indicators", "auditor", year=2025).json()
    assert [c["county"] for c in held["counties"]] == [LAIYUAN, YIXIAN]
    for county in held["counties"]:
        detail = province.get(f"/api/province/indicators/{county['county']}", "auditor", year=2025).json()
        assert detail["digest"] == county["digest"] and detail["result"]["digest"] == county["digest"]
    # 涞源县's own figures, as its own API gives them once its read models reach that position
    laiyuan = held["counties"][0]
    own = province.client.get(f"/c/{LAIYUAN}/api/indicators", headers=province.headers("county"),
                              params={"period": "2025", "after": laiyuan["position"]})
    assert own.status_code == 200, own.text

    def county_level(figures: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
        return {f["code"]: (f["numerator"], f["denominator"]) for f in figures if f["level"] == "county"}

    assert county_level(own.json()["figures"]) == county_level(laiyuan["figures"]) != {}

    # the page, signed in as a provincial auditor
    login = province.client.get("/province/web/login").text
    assert 'action="/province/web/login"' in login
    token = re.search(r'name="_csrf_token" value="([^"]*)"', login)
    assert token is not None
    page = province.client.post("/province/web/login", follow_redirects=True, data={
        "_csrf_token": token.group(1), "name": "sheng-sj", "password": PASSWORD})
    assert page.status_code == 200, page.text
    assert 'id="province-matrix"' in page.text and "涞源县" in page.text and "易县" in page.text
    assert held["counties"][0]["digest"][:23] in page.text
    drill = province.client.get(f"/province/web/province/{LAIYUAN}?year=2025")
    assert drill.status_code == 200 and held["counties"][0]["digest"] in drill.text
