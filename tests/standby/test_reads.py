"""Reads served by a hot standby (`FANGPIN_READ_DATABASE_URL`): commands on the primary, lists
and case files from the standby, ``after=`` waiting for the standby to replay a position."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from application.settings import Settings
from interfaces.http import queries
from tests.http.conftest import Api
from tests.http.kit import code_of, register
from tests.standby.conftest import Pair
from tests.standby.kit import VISIT, serving

pytestmark = [pytest.mark.standby, pytest.mark.postgres]


@pytest.fixture
def api(pair: Pair) -> Iterator[Api]:
    schema = pair.new_schema()
    with serving(Settings(database_url=pair.primary_url, read_database_url=pair.standby_url,
                          postgres_schema=schema)) as api:
        yield api


@pytest.fixture
def replay_paused(pair: Pair) -> Iterator[None]:
    """The standby stops replaying what it receives (as if it fell far behind), until the end
    of the test."""
    pair.sql(pair.standby_url, "select pg_wal_replay_pause()")
    try:
        yield
    finally:
        pair.sql(pair.standby_url, "select pg_wal_replay_resume()")


def test_a_household_registered_on_the_primary_is_listed_by_the_standby_after_its_position(
        api: Api) -> None:
    registered = api.register()
    listed = api.get("/api/households", after=registered["position"])
    assert listed.status_code == 200, listed.text
    assert [row["code"] for row in listed.json()["rows"]] == ["130630101001"]
    assert listed.json()["position"] >= registered["position"]
    assert api.app.state.read_side.position() >= registered["position"]  # the standby's own


def test_a_list_after_a_position_the_standby_has_not_replayed_is_503_with_retry_after(
        api: Api, replay_paused: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "CATCH_UP_WAIT", 0.5)
    registered = api.register()
    behind = api.get("/api/households", after=registered["position"])
    assert behind.status_code == 503, behind.text
    assert behind.headers["Retry-After"] == "1"
    assert (behind.json()["code"], behind.json()["field"]) == ("READ_MODELS_BEHIND", "after")
    # The primary's own read models did get there: only the standby is behind.
    assert api.app.state.projections.position() >= registered["position"]


def test_case_files_are_read_on_the_standby_and_each_read_is_logged_on_the_primary(
        pair: Pair, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queries, "CATCH_UP_WAIT", 0.5)
    code, path = "130630101001", "/api/households/130630101001"
    registered = api.register(code)
    pair.replayed()
    pair.sql(pair.standby_url, "select pg_wal_replay_pause()")
    try:
        visited = api.post(f"{path}/visits", VISIT, "village")
        assert visited.status_code == 201, visited.text
        # What the standby has replayed: the household without the visit just recorded …
        stale = api.get(path)
        assert stale.status_code == 200, stale.text
        assert (stale.json()["version"], stale.json()["visits"]) == (registered["version"], [])
        # … and asked to read its own write, the reader is told to come back
        behind = api.get(path, after=visited.json()["position"])
        assert (behind.status_code, behind.headers["Retry-After"]) == (503, "1"), behind.text
        assert api.get(f"{path}/history", after=visited.json()["position"]).status_code == 503
    finally:
        pair.sql(pair.standby_url, "select pg_wal_replay_resume()")
    fresh = api.get(path, after=visited.json()["position"])
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["version"] == visited.json()["version"]
    assert [v["visitor"] for v in fresh.json()["visits"]] == ["网格员小李"]
    # Each file read went to the access log, which is on the primary (the standby refuses
    # writes); those told to come back read nothing
    log = api.get("/api/access-log", "auditor", household_code=code).json()
    assert [(r["user"], r["route"]) for r in log] == [("county-01", path)] * 2


def test_exports_and_indicators_read_on_the_standby_are_those_the_primary_gives(
        pair: Pair, api: Api) -> None:
    register(api, 1).included()
    register(api, 2)
    last = api.app.state.case_files.max_position()
    settings = api.app.state.settings
    with serving(replace(settings, read_database_url=None), api.tokens) as on_primary:
        for path, params in [("/api/exchange/monitoring", {"format": "csv"}),
                             ("/api/exchange/households", {"format": "csv"}),
                             ("/api/indicators", {"period": "2025-03", "after": last})]:
            standby, primary = api.get(path, **params), on_primary.get(path, **params)
            assert (standby.status_code, primary.status_code) == (200, 200), standby.text
            assert standby.content == primary.content, path
    households = api.get("/api/exchange/households", format="csv").text
    assert code_of(1) in households and code_of(2) in households
