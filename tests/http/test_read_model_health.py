"""The health check names a read model stopped at an event it cannot apply (503), and the lists
count days from the application's clock, not the machine's."""

from __future__ import annotations

import os
from datetime import date

import pytest

from domain.household import Household, household_id
from projections.rows import ROW_BUILDERS
from tests.http.conftest import Api
from tests.http.kit import code_of, head_of, register, set_income_line

MODEL = "cases"


@pytest.fixture
def broken_cases(monkeypatch):
    """The `cases` builder raises for household 1 once it has an alert (naming its head's ID
    number); calling the fixture's value restores it."""
    original, broken = ROW_BUILDERS[MODEL], household_id(code_of(1))

    def failing(household: Household):
        if household.id == broken and household.alerts:
            raise KeyError(head_of(1))
        return original(household)

    monkeypatch.setitem(ROW_BUILDERS, MODEL, failing)
    return lambda: monkeypatch.setitem(ROW_BUILDERS, MODEL, original)


def test_health_names_the_stopped_read_model_event_household_and_error(api: Api, broken_cases):
    # Given a household whose case rows cannot be built
    home = register(api, 1)
    register(api, 2).alerted()
    api.catch_up()
    assert api.client.get("/health").status_code == 200
    position = api.app.state.projections.positions()[MODEL]
    answer = home.alerted()
    api.catch_up()

    # When the health check is asked (no token needed)
    response = api.client.get("/health")

    # Then it answers 503 and says which read model stopped where, at which household and why
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "read_models_stopped" and body["storage"]
    (stopped,) = body["stopped"]
    assert stopped["read_model"] == MODEL and stopped["read_model_position"] == position
    assert position < stopped["event_position"] <= answer["position"]
    assert stopped["topic"].startswith("fangpin:Household.")
    assert (stopped["household_code"], stopped["household_id"]) == (home.code, home.id)
    head = head_of(1)
    assert stopped["error_type"] == "KeyError"
    assert head not in stopped["error"] and head[:4] + "*" * 10 + head[-4:] in stopped["error"], \
        "an ID number in the error is masked: the health check is public"
    assert stopped["stopped_at"].startswith(api.clock.now.date().isoformat())
    # …and a query waiting for that position does not hang on it
    waited = api.get("/api/cases", after=answer["position"])
    assert waited.status_code == 503 and waited.json()["code"] == "READ_MODELS_BEHIND"

    # When the builder is fixed and the read models catch up, all is well again
    broken_cases()
    api.catch_up()
    healthy = api.client.get("/health")
    assert healthy.status_code == 200 and healthy.json()["status"] == "ok"
    assert home.code in {row["code"] for row in api.get("/api/cases").json()["rows"]}


def test_lists_count_days_from_the_applications_clock(api: Api) -> None:
    # Given a case discovered 2025-11-25 (deadline 2025-12-10) and the app's clock on 2025-12-01
    home = register(api, 1)
    answer = home.alerted(day="2025-11-25")
    assert api.clock.now.date() == date(2025, 12, 1)

    # When the queue is asked without a "today"
    (row,) = api.get("/api/cases", after=answer["position"]).json()["rows"]

    # Then days are counted from the clock's day, whatever the machine's date
    assert (row["deadline_on"], row["days_left"], row["days_overdue"]) == ("2025-12-10", 9, 0)
    api.clock.advance(days=12)
    (row,) = api.get("/api/cases").json()["rows"]
    assert (row["days_left"], row["days_overdue"]) == (0, 3)
    set_income_line(api)
    line = api.get("/api/income-lines")
    assert line.status_code == 200 and line.json()["on"] == "2025-12-13", line.text


def test_health_says_when_the_read_models_stay_behind_the_log_without_moving(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given read models nobody follows (as when the projection process died or hangs)
    monkeypatch.setattr("interfaces.http.app.STALL_SECONDS", 0.0)
    api.catch_up()  # what start-up recorded
    register(api, 1)
    register(api, 2)
    assert api.client.get("/health").status_code == 200  # first seen behind: not yet stalled

    # When the health check finds them still behind, at the same position
    stalled = api.client.get("/health")

    # Then it answers 503, saying by how many events
    assert stalled.status_code == 503
    assert (stalled.json()["status"], stalled.json()["behind"]) == ("read_models_stalled", 2)

    # …until they move again
    api.catch_up()
    assert api.client.get("/health").status_code == 200


def test_health_says_how_full_the_answering_processs_cache_of_case_files_is(api: Api) -> None:
    # Given a fresh server process (start-up's own records cached, no household yet)
    before = api.client.get("/health").json()["cache"]
    # When three households are registered and one of them is read
    home = register(api, 1)
    register(api, 2)
    register(api, 3)
    assert api.get(f"/api/households/{home.code}").status_code == 200
    # Then the health check counts them in this process's cache, within its bound
    cache = api.client.get("/health").json()["cache"]
    assert cache["entries"] == before["entries"] + 3
    assert before["bytes"] < cache["bytes"] <= cache["bound"]
    assert cache["bound"] == round(api.app.state.settings.aggregate_cache_mb * 2**20)
    assert cache["process"] == os.getpid()
