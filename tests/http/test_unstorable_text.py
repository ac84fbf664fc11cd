"""A log written before the edge refused control characters may hold a NUL, which PostgreSQL
text cannot store. The read models then stop at that event and name it — on both back ends, so
they stay the same — instead of failing every batch, answering lists with 500s, or emptying
themselves in a rebuild that cannot finish (issue 19)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from application.settings import Settings
from tests.http.conftest import Api
from tests.http.kit import call, code_of, register, registration_body


@pytest.fixture
def old_api(monkeypatch: pytest.MonkeyPatch, settings: Settings, request: pytest.FixtureRequest,
            ) -> Iterator[Api]:
    """The API as older releases served it: no check of the requests' text at the edge."""

    async def anything_goes(_request: Any) -> None:
        return None

    monkeypatch.setattr("interfaces.http.app.check_request", anything_goes)
    yield request.getfixturevalue("api")


def test_a_nul_already_in_the_log_stops_the_read_models_that_hold_it_and_names_the_event(
        old_api: Api, caplog: pytest.LogCaptureFixture) -> None:
    # Given a household on the lists, then one registered with a NUL in its head's name
    api = old_api
    register(api, 1)
    api.catch_up()
    projections = api.app.state.projections
    good = projections.position()
    poisoned = call(api, "POST", "/api/households", "county",
                    registration_body(2, head_name="王\x00建国"))
    assert poisoned.status_code == 201, "the old edge let it in"
    event = poisoned.json()["position"]

    # When the read models catch up, twice (a follower retries at every wake-up)
    with caplog.at_level(logging.ERROR, logger="projections.runner"):
        projections.catch_up()
        projections.catch_up()

    # Then the directory stops at that event, naming the household and the column, said once
    stops = projections.stops()
    assert set(stops) == {"directory"}
    stop = stops["directory"]
    assert (stop.position, stop.household_code) == (event, code_of(2))
    assert stop.error_type == "UnstorableText" and "rm_households.head_name" in stop.error
    assert [r.getMessage() for r in caplog.records].count(f"read model {stop.describe()}") == 1
    positions = projections.positions()
    assert positions.pop("directory") == good and set(positions.values()) == {event}

    # …the lists answer from where it stopped, and a query waiting for the event is told so
    listed = api.get("/api/households")
    assert listed.status_code == 200, listed.text
    assert ([r["code"] for r in listed.json()["rows"]], listed.json()["position"]) == (
        [code_of(1)], good)
    waiting = api.get("/api/households", after=event)
    assert (waiting.status_code, waiting.json()["code"]) == (503, "READ_MODELS_BEHIND")
    health = api.client.get("/health")
    assert health.status_code == 503 and health.json()["stopped"][0]["event_position"] == event

    # When the read models are rebuilt (a batch per event here, so it can stop right before it)
    projections.batch_size = 1
    projections.rebuild()

    # Then the rebuild ends, stopped at the same event, the households before it still listed
    assert projections.stops()["directory"].position == event
    listed = api.get("/api/households").json()
    assert ([r["code"] for r in listed["rows"]], listed["position"]) == ([code_of(1)], good)
