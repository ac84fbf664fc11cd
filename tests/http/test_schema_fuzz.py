"""Schemathesis against the served OpenAPI schema, on SQLite and on PostgreSQL: generated
requests to every operation, valid and invalid, as the county centre (who may use every
command), with every check on — no 5xx, every answer as documented (status, content type, body
schema), a request the schema calls invalid refused, and one it calls valid taken up.

"Taken up" has one narrow exception, for rules no schema can state: a command may answer 409 or
422 (an ID number's check digit, a step out of order, an amount past the domain's limit), and a
read 422 with one of `READ_RULES` — always as problem details with the rule's ``code``.

More examples go to the commands than to the reads; half the valid requests to a household are
pointed at a registered one, so that their bodies reach the domain's rules (a generated
household code names none: 404). The county is made afresh for each back end.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from litestar import Litestar
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from application.accounts.access import User
from application.commands import RegisterHousehold
from application.settings import Settings
from domain.codes import HouseholdType, Relation, Role
from domain.values import Actor
from interfaces.http import create_app
from interfaces.http.limits import EARLIEST, LATEST
from tests.builders import id_number, member_in
from tests.conftest import POSTGRES_URL, TEST_CIPHER_KEY, fresh_postgres_schema, shut_down
from tests.http.conftest import registration

TOKEN = "fp_schemathesis-county-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
#: The households registered before the fuzzing starts.
CODES = tuple(f"1306301010{n:02d}" for n in range(3))
#: Examples per operation: commands have the most rules to reach.
COMMAND_EXAMPLES, READ_EXAMPLES = 40, 12
#: What a read refuses by a rule no schema can state: a position the log has not reached, a
#: version the file does not have, parameters that exclude each other (the monitoring list's
#: sort keys with and without ``as_of`` among them), a day no calendar has, a page cursor the
#: server did not make.
READ_RULES = frozenset({"POSITION_UNKNOWN", "VERSION_UNKNOWN", "AS_OF_AND_VERSION", "AS_OF_REQUIRED",
                        "SCOPE_AMBIGUOUS", "SORT_UNKNOWN", "AS_OF_FORMAT", "CURSOR_INVALID"})
FUZZ = settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
# A valid date is drawn from the range the schema states (`DATE_PATTERN`) rather than filtered
# out of all the years 0001–9999, which costs fifteen times as much.
schemathesis.openapi.format("date", st.dates(EARLIEST, LATEST).map(date.isoformat))


class County:
    """The ASGI app the generated requests go to: the county of the back end under test.

    It answers the lifespan itself: schemathesis starts and stops the lifespan around every
    test and may send the first request before a restart has reopened the services; they are
    open from `create_app` and closed when the county is done."""

    def __init__(self) -> None:
        self.app: Litestar | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            assert self.app is not None, "no county is open"
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


COUNTY = County()


def _served_schema() -> Any:
    """The schema as the app serves it (the same on either back end), read once."""
    with tempfile.TemporaryDirectory(prefix="fangpin-fuzz-") as folder:
        COUNTY.app = create_app(Settings(sqlite_path=Path(folder) / "schema.sqlite3"), follow=False)
        try:
            return schemathesis.openapi.from_asgi("/schema/openapi.json", COUNTY)
        finally:
            shut_down(COUNTY.app)
            COUNTY.app = None


def _county(settings: Settings) -> Litestar:
    """The app on ``settings`` with the county centre's token and three households."""
    app = create_app(settings, follow=False)
    app.state.users.add(User("fuzz-county", Role.COUNTY_CENTRE), TOKEN)
    for n, code in enumerate(CODES):
        head = member_in(name="王建国", id_number=id_number(date(1970, 5, 4), n + 1), relation=Relation.HEAD)
        app.state.case_files.register_household(RegisterHousehold(**{
            **registration(code), "members": [head],
            "household_type": HouseholdType.ORDINARY, "occurred_on": date(2025, 1, 1),
        }), by=Actor("fuzz-county", Role.COUNTY_CENTRE))
    return app


@pytest.fixture(scope="module", autouse=True,
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def county(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A fresh county on one back end for the module's tests; its file or schema goes after."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("fuzz")
        with _opened(Settings(sqlite_path=folder / "fangpin.sqlite3", cipher_key=TEST_CIPHER_KEY)):
            yield
        return
    with fresh_postgres_schema() as schema, _opened(Settings(
            database_url=POSTGRES_URL, postgres_schema=schema, cipher_key=TEST_CIPHER_KEY)):
        yield


@contextmanager
def _opened(settings: Settings) -> Iterator[None]:
    COUNTY.app = _county(settings)
    try:
        yield
    finally:
        shut_down(COUNTY.app)
        COUNTY.app = None


schema = _served_schema()


@schema.include(method=["POST", "PUT", "PATCH"]).parametrize()
@settings(FUZZ, max_examples=COMMAND_EXAMPLES)
def test_every_command_answers_as_documented(case: schemathesis.Case) -> None:
    _call_and_validate(case)


@schema.include(method="GET").parametrize()
@settings(FUZZ, max_examples=READ_EXAMPLES)
def test_every_read_answers_as_documented(case: schemathesis.Case) -> None:
    _call_and_validate(case)


def _call_and_validate(case: schemathesis.Case) -> None:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    code = (case.path_parameters or {}).get("code")
    if positive and code is not None and (pick := zlib.crc32(code.encode("utf-8", "replace"))) % 2:
        case.path_parameters["code"] = CODES[pick % len(CODES)]
    response = case.call(headers=HEADERS)
    excluded = [positive_data_acceptance] if _rule_no_schema_states(case, response) else []
    if _valid_as_sent(case, response):
        excluded.append(negative_data_rejection)
    case.validate_response(response, headers=HEADERS, excluded_checks=excluded,
                           transport_kwargs={"headers": HEADERS})


def _valid_as_sent(case: schemathesis.Case, response: Any) -> bool:
    """Whether a negative case reached the server valid after all: its only faults a one-item
    list in the query (sent as that item) and a dropped token (this harness sends it whatever
    the case says). Schemathesis' own guard reads an optional parameter's ``oneOf`` with null
    as not a string, and does not know the headers really sent."""
    meta = case.meta
    if meta is None or response.status_code >= 400 or any(
            meta.is_negative_at(where) for where in (ParameterLocation.BODY, ParameterLocation.PATH,
                                                     ParameterLocation.COOKIE)):
        return False
    texts = parse_qs(urlparse(str(response.request.url)).query, keep_blank_values=True)
    sent = {}
    for name, value in (case.query or {}).items():
        if name not in texts:
            continue  # None or [] is not sent at all
        schema = _properties(case).get(name, {})
        members = [schema, *(schema.get("oneOf") or [])]
        if len(texts[name]) == 1 and any(m.get("type") == "string" for m in members):
            sent[name] = texts[name][0]  # a text parameter reads the text as sent
        else:
            sent[name] = value
    for where, values in ((ParameterLocation.QUERY, sent),
                          (ParameterLocation.HEADER, {**(case.headers or {}), **HEADERS})):
        parameters = case.operation.get_parameter_set(where)
        if parameters is None:
            continue
        # The transport adds its own headers (User-Agent, Accept…) to the case: only the
        # declared ones are the case's.
        declared = parameters.schema.get("properties", {})
        if not parameters.get_strict_validator().is_valid(
                {name: value for name, value in values.items() if name in declared}):
            return False
    return True


def _properties(case: schemathesis.Case) -> dict[str, Any]:
    parameters = case.operation.get_parameter_set(ParameterLocation.QUERY)
    return parameters.schema.get("properties", {}) if parameters else {}


def _rule_no_schema_states(case: schemathesis.Case, response: Any) -> bool:
    """Whether the answer refuses the request by a rule no schema can state (see the module)."""
    if response.status_code not in (409, 422):
        return False
    if response.headers.get("content-type") != ["application/problem+json"]:
        return False
    return case.method != "GET" or response.json().get("code") in READ_RULES


def test_a_one_item_list_in_a_text_query_is_judged_as_sent() -> None:
    """A negative case whose only fault is ``id_number=[x]`` reaches the server as the text
    ``x``: valid, so answering 200 is right and the harness must not call it accepted
    negative data (it did, once the transport had added its own headers to the case)."""
    operation = schema["/api/households"]["GET"]
    case = find(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), _negative_query,
                settings=settings(FUZZ, max_examples=2000, phases=[Phase.generate]))  # any one will do
    case.query = {"id_number": ["false"]}
    response = case.call(headers=HEADERS)
    assert response.status_code == 200
    assert _valid_as_sent(case, response)


def _negative_query(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.is_negative_at(ParameterLocation.QUERY) and not any(
        case.meta.is_negative_at(where) for where in (ParameterLocation.BODY, ParameterLocation.PATH,
                                                      ParameterLocation.COOKIE))
