"""A finding a person must state (`application.commands.fields.STATED`: 入户核查's 风险清楚, a
member's 健康状况, 劳动能力 and 参保) is never taken from a default: a body without it is refused
naming it, on both back ends, and records nothing; the schema lists it as required."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from application.commands import HOUSEHOLD_COMMANDS, RegisterHousehold
from interfaces.field_names import where
from tests.http.conftest import Api
from tests.http.kit import HOME_VISIT, Home, join_body, problem, register, registration_body


def _stated(t: mi.Type, at: str = "") -> Iterator[str]:
    """The paths of the STATED fields in a type (a member's inside a list: ``members[0].health``)."""
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.ListType):
        yield from _stated(t.item_type, f"{at}[0]")
    elif isinstance(t, mi.StructType):
        for field in t.fields:
            path = f"{at}.{field.name}" if at else field.name
            kind = field.type
            if isinstance(kind, mi.Metadata) and (kind.extra or {}).get("stated"):
                yield path
            yield from _stated(kind, path)


def _without(body: dict[str, Any], path: str) -> dict[str, Any]:
    """``body`` less the field at ``path`` (``members[0].health``)."""
    sent = msgspec.json.decode(msgspec.json.encode(body))
    *parents, last = path.replace("[0]", ".0").split(".")
    inner: Any = sent
    for part in parents:
        inner = inner[int(part)] if part.isdigit() else inner[part]
    del inner[last]
    return sent


def _case(api: Api, command: str) -> tuple[str, dict[str, Any], Home | None]:
    """Where ``command`` is sent, its body with every finding stated, and the household it is on."""
    if command == "register_household":
        return "/api/households", registration_body(1), None
    home = register(api, 1)
    if command == "join_member":
        return home.path + "/members", join_body(1), home
    home.alerted()
    return home.path + "/identification/home-visit", HOME_VISIT, home


STATED_FIELDS = [
    ("register_household", "members[0].health"),
    ("register_household", "members[0].labour_capacity"),
    ("register_household", "members[0].insured"),
    ("join_member", "member.health"),
    ("join_member", "member.labour_capacity"),
    ("join_member", "member.insured"),
    ("verify_at_home", "risk_clear"),
]


def test_every_stated_field_is_tested_here() -> None:
    commands = [RegisterHousehold, *HOUSEHOLD_COMMANDS]
    found = {(c.name, path) for c in commands for path in _stated(mi.type_info(c))}
    assert found == set(STATED_FIELDS)


@pytest.mark.parametrize(("command", "field"), STATED_FIELDS)
def test_a_stated_finding_left_out_is_refused_naming_it_and_records_nothing(
        api: Api, command: str, field: str) -> None:
    path, body, home = _case(api, command)
    before = api.app.state.case_files.max_position()
    answer = problem(api.post(path, _without(body, field)), 400, "INVALID_REQUEST", field=field)
    assert f"“{where(field)}”不符合要求：缺少必填字段" in answer["detail"], answer
    assert api.app.state.case_files.max_position() == before, "a refusal records nothing"
    if home is None:
        assert api.get(f"/api/households/{body['code']}").status_code == 404
    # stated, the same body is recorded
    assert api.post(path, body).status_code == 201


def test_the_schema_requires_every_stated_finding(api: Api) -> None:
    schemas = api.client.get("/schema/openapi.json").json()["components"]["schemas"]
    required = {name: set(schema.get("required", ())) for name, schema in schemas.items()}
    assert {"health", "labour_capacity", "insured"} <= required["MemberIn"]
    assert "risk_clear" in required["VerifyAtHome"]
