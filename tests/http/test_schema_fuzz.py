"""Schemathesis against the served OpenAPI schema: generated requests to every operation, as
the county centre (who may use every command) — no 5xx, and every answer as documented
(status, content type, body schema). Bounded examples keep it to seconds; the data lives in a
fresh SQLite county with a few registered households, made when the module is collected."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from application.accounts.access import User
from application.commands import MemberIn, RegisterHousehold
from application.settings import Settings
from domain.codes import HouseholdType, Relation, Role
from domain.values import Actor
from interfaces.http import create_app
from tests.builders import id_number
from tests.conftest import TEST_CIPHER_KEY
from tests.http.conftest import registration

TOKEN = "fp_schemathesis-county-token"
_WORK = Path(tempfile.mkdtemp(prefix="fangpin-fuzz-"))
app = create_app(Settings(sqlite_path=_WORK / "fangpin.sqlite3", cipher_key=TEST_CIPHER_KEY), follow=False)


def _services_kept_open(asgi_app: Any) -> Any:
    """The app with its lifespan answered here: schemathesis starts and stops the lifespan
    around every test and may send the first request before a restart has reopened the
    services; they are open from `create_app` and closed when the module is done."""

    async def served(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await asgi_app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return served


schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _services_kept_open(app))


@pytest.fixture(scope="module", autouse=True)
def county() -> Iterator[None]:
    """The county centre's token and three households; the files go when the module is done."""
    app.state.users.add(User("fuzz-county", Role.COUNTY_CENTRE), TOKEN)
    for n in range(3):
        head = MemberIn(name="王建国", id_number=id_number(date(1970, 5, 4), n + 1), relation=Relation.HEAD)
        app.state.case_files.register_household(RegisterHousehold(**{
            **registration(f"1306301010{n:02d}"), "members": [head],
            "household_type": HouseholdType.ORDINARY, "occurred_on": date(2025, 1, 1),
        }), by=Actor("fuzz-county", Role.COUNTY_CENTRE))
    yield
    app.state.projections.close()
    app.state.case_files.close()
    shutil.rmtree(_WORK, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: schemathesis.Case) -> None:
    # A schema-valid request may still break a rule the schema cannot state (an ID number's
    # check digit, a step out of order): 409/422 for it is right, so that check is left out.
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                           excluded_checks=[positive_data_acceptance])
