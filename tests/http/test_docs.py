"""The API documents itself offline: the schema and the Swagger UI page with every asset
served by the app (county networks have no internet)."""

from __future__ import annotations

import re
from pathlib import Path

from interfaces.http.problems import STATUSES, status_table
from tests.http.conftest import Api

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_page_loads_only_assets_the_app_serves(api: Api) -> None:
    page = api.client.get("/schema/swagger")
    assert page.status_code == 200
    html = page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the page names its script and style sheet"
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by the app"
        served = api.client.get(asset)
        assert served.status_code == 200 and len(served.content) > 10_000, asset
    outside = [url for url in re.findall(r"https?://[^\s\"'<>]+", html)
               if not url.startswith("http://www.w3.org/")]
    assert outside == [], f"the page would reach outside: {outside}"


def test_the_schema_lists_every_command_with_its_error_answers(api: Api) -> None:
    schema = api.client.get("/schema/openapi.json").json()
    visits = schema["paths"]["/api/households/{code}/visits"]["post"]
    assert visits["summary"] == "入户走访（六项核实）"
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(visits["responses"])
    problem = visits["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]
    assert schema["components"]["schemas"]["RiskType"]["enum"][0] == "因病"
    assert schema["security"] == [{"bearer": []}]


def test_the_readme_and_the_schema_give_the_one_table_of_error_statuses(api: Api) -> None:
    table = status_table()
    assert table in (ROOT / "README.md").read_text(encoding="utf-8"), "README: copy status_table()"
    assert table in api.client.get("/schema/openapi.json").json()["info"]["description"]
    # Each status the table names is one a command documents
    visits = api.client.get("/schema/openapi.json").json()["paths"][
        "/api/households/{code}/visits"]["post"]["responses"]
    assert {str(status) for status in STATUSES} - {"503"} <= set(visits)
