"""The served OpenAPI schema states what the server enforces: request bodies are closed, every
text and date a request carries has its form, bounds are exact (0 included), amounts are decimal
strings — and the server refuses what the schema calls invalid, naming the field.
(`tests/http/test_schema_fuzz.py` checks the same by generated requests.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from application.settings import Settings
from domain.text import refused_character
from interfaces.http import create_app
from interfaces.http.limits import AS_OF_PATTERN, DATE_PATTERN, EARLIEST, LATEST, years_pattern
from interfaces.http.openapi import TEXT_PATTERN
from tests.http.conftest import Api
from tests.http.kit import INCOME, call, problem, register, registration_body, set_income_line

MONEY = r"^[0-9]{1,9}(\.[0-9]{1,2})?$"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The schema as ``/schema/openapi.json`` serves it (the same on either back end)."""
    app = create_app(Settings(sqlite_path=tmp_path_factory.mktemp("doc") / "fangpin.sqlite3"),
                     follow=False)
    with TestClient(app) as client:
        return client.get("/schema/openapi.json").json()


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def component(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]


def request_nodes(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every schema a request carries: each parameter, and each body with
    everything under it (components followed once)."""
    seen: set[str] = set()

    def walk(where: str, node: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from walk(name, component(schema, node))
            return
        yield where, node
        stated = {k: node[k] for k in ("pattern", "enum") if k in node}
        for keyword in ("oneOf", "anyOf", "allOf"):
            for member in node.get(keyword, []):  # a member of X | None: stated on the union
                yield from walk(where, {**stated, **member} if "$ref" not in member else member)
        for name, member in node.get("properties", {}).items():
            yield from walk(f"{where}.{name}", member)
        for keyword in ("items", "additionalProperties", "propertyNames"):
            if isinstance(node.get(keyword), dict):
                yield from walk(f"{where}[]", node[keyword])

    for label, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            yield from walk(f"{label} {parameter['name']}", parameter["schema"])
        for content in operation.get("requestBody", {}).get("content", {}).values():
            yield from walk(label, content["schema"])


def test_every_request_body_object_is_closed_or_says_what_else_it_takes(served: dict[str, Any]) -> None:
    objects = [(where, node) for where, node in request_nodes(served)
               if node.get("type") == "object" and "properties" in node]
    assert len(objects) > 30
    for where, node in objects:
        extra = node.get("additionalProperties")
        assert extra is False or extra == {"$ref": "#/components/schemas/JsonText"}, where
    for label, operation in operations(served):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body and "命令" in operation.get("tags", []):
            assert component(served, body["schema"])["additionalProperties"] is False, label


def test_every_text_and_date_a_request_carries_states_its_form(served: dict[str, Any]) -> None:
    strings = [(where, node) for where, node in request_nodes(served) if node.get("type") == "string"]
    assert len(strings) > 100
    for where, node in strings:
        stated = "pattern" in node or "enum" in node or node.get("format") == "binary"
        assert stated or node.get("contentMediaType"), f"{where}: {node}"
        if node.get("format") == "date":
            assert node["pattern"] == DATE_PATTERN, where


def test_bounds_are_stated_exactly_zero_included(served: dict[str, Any]) -> None:
    afters = [p["schema"] for _, op in operations(served) for p in op.get("parameters", [])
              if p["name"] in ("after", "position")]
    assert len(afters) >= 10
    for after in afters:
        assert after["minimum"] == 0 and after["maximum"] == 2**62
        assert type(after["maximum"]) is int
    published = served["components"]["schemas"]["PublishedResult"]["properties"]["position"]
    assert (published["minimum"], published["maximum"]) == (0, 2**62)
    meetings = served["components"]["schemas"]["ConsultationIn"]["properties"]
    assert meetings["households_discussed"]["items"]["minLength"] == 1, "an item's bounds"


def test_amounts_are_decimal_strings(served: dict[str, Any]) -> None:
    schemas = served["components"]["schemas"]
    amounts = [schemas["AssessIncome"]["properties"]["wages"],
               schemas["PayReliefInsurance"]["properties"]["amount"],
               schemas["PayReliefInsurance"]["properties"]["fee"],
               schemas["SetIncomeLine"]["properties"]["yuan_per_capita"],
               next(m for m in schemas["AssignMeasure"]["properties"]["amount"]["oneOf"]
                    if m["type"] == "string")]
    for amount in amounts:
        assert amount["type"] == "string" and amount["pattern"] == MONEY
    change = schemas["RecordVisit"]["properties"]["income_change"]
    assert change["pattern"] == "^-" + "?" + MONEY[1:]
    assert schemas["RecordVisit"]["properties"]["checks"]["propertyNames"] == {
        "$ref": "#/components/schemas/Check"}


def test_the_stated_text_rule_is_the_one_the_server_applies() -> None:
    allowed = re.compile(TEXT_PATTERN)
    for point in [*range(0x3000), *range(0xE000, 0x10000, 7), 0x1F600, 0x10FFFF]:
        character = chr(point)
        assert bool(allowed.match(character)) == (refused_character(character) is None), hex(point)


def test_the_stated_years_are_the_server_s_range() -> None:
    years = re.compile(f"^{years_pattern(EARLIEST.year, LATEST.year)}$")
    assert [y for y in range(1000, 3000) if years.match(str(y))] == list(
        range(EARLIEST.year, LATEST.year + 1))
    assert years.pattern == "^(?:199[0-9]|20[0-9][0-9]|2100)$"


def test_an_unknown_field_is_refused_naming_it(api: Api) -> None:
    home = register(api, 1)
    answer = call(api, "POST", home.path + "/alerts", "county",
                  {"channel": "农户自主申报", "person_id_number": home.head, "risk_types": ["因病"],
                   "occurred_on": "2025-03-01", "discription": "住院"})
    refused = problem(answer, 400, "INVALID_REQUEST", field="discription")
    assert "不认识的字段" in refused["detail"]
    body = registration_body(2)
    body["members"][0]["nickname"] = "老王"
    refused = problem(api.post("/api/households", body), 400, "INVALID_REQUEST",
                      field="members[0].nickname")
    assert "不认识的字段 nickname" in refused["detail"]
    assert home.file()["alerts"] == []


def test_an_amount_not_a_decimal_string_is_refused_naming_it(api: Api) -> None:
    set_income_line(api)
    home = register(api, 1)
    home.alerted()
    for wages in (30000, "3e4", "30000.001"):
        problem(call(api, "POST", home.path + "/income-assessments", "village",
                     {**INCOME, "wages": wages}), 400, "INVALID_REQUEST", field="wages")
    assert home.do("/income-assessments", {**INCOME, "wages": "30000.5"})["assessment"]


def test_every_stated_sort_is_one_the_list_takes(api: Api, served: dict[str, Any]) -> None:
    register(api, 1)
    for path in ("/api/monitoring", "/api/cases", "/api/households", "/api/alerts"):
        sort = next(p for p in served["paths"][path]["get"]["parameters"] if p["name"] == "sort")
        for key in sort["schema"]["enum"]:
            as_of = {"as_of": "2025-06-30"} if key.lstrip("-") == "from_on" else {}
            assert api.get(path, sort=key, **as_of).status_code == 200, (path, key)


def test_as_of_takes_the_stated_forms_and_no_other(api: Api) -> None:
    home = register(api, 1)
    for as_of in ("2025-12-31", "2025-12-31T18:00", "2025-12-31 18:00:05.5+08:00", "2025-12-31T10:00Z"):
        assert re.match(AS_OF_PATTERN, as_of)
        assert api.get(home.path, as_of=as_of).status_code == 200, as_of
    for as_of in ("20250630", "2025-06-30T18", " 2025-06-30"):
        assert not re.match(AS_OF_PATTERN, as_of)
        problem(api.get(home.path, as_of=as_of), 422, "AS_OF_FORMAT", field="as_of")
