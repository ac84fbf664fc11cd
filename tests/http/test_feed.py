"""The change feed (数据共享, domain.md §15): another system follows, page by page from position
0, the households' events its caller may see — a township's exactly what its case files'
histories hold, a department's only its own work — and every page read is in the access log."""

from __future__ import annotations

from typing import Any

import pytest

import application.feed
from tests.http.conftest import OTHER_TOWNSHIP, OTHER_VILLAGE, USERS, Api
from tests.http.kit import (
    COUNTY_DECISION,
    HOME_VISIT,
    IN_PLACE,
    MEASURE,
    RISK_ANALYSIS,
    TOWNSHIP_REVIEW,
    VILLAGE_NOTICE,
    Home,
    head_of,
    problem,
    register,
)


@pytest.fixture
def county(api: Api) -> dict[str, Home]:
    """银坊镇东村: one household helped (measure M1 for 卫健局), one whose case 医保局's push
    opened and the county included; 银坊镇西村: one registered; 水堡镇西村: one helped with a
    measure assigned to 医保局."""
    one = register(api, 1).helped()
    two = register(api, 2)
    pushed = api.client.post("/api/pushes", headers=api.headers("department"), json={
        "batch_id": "YB-01", "tier": "县级筛查", "period": "2025-03",
        "rows": [{"person_id_number": head_of(2), "risk_types": ["因病"], "description": "住院自付费用高",
                  "occurred_on": "2025-03-01"}]})
    assert pushed.status_code == 200 and pushed.json()["rows"][0]["result"] == "新案件", pushed.text
    for suffix, body in (("/identification/home-visit", HOME_VISIT),
                         ("/identification/village-notice", VILLAGE_NOTICE),
                         ("/identification/township-review", TOWNSHIP_REVIEW),
                         ("/identification/county-decision", COUNTY_DECISION)):
        two.do(suffix, body)
    west = register(api, 4, village=OTHER_VILLAGE)
    other = register(api, 3, township=OTHER_TOWNSHIP, village=OTHER_VILLAGE).included()
    other.do("/risk-analyses", RISK_ANALYSIS)
    other.do("/measures", {**MEASURE, "department": "医保局"})
    other.do("/measures/M1/in-place", IN_PLACE)
    return {"one": one, "two": two, "west": west, "other": other}


def follow(api: Api, who: str, limit: int = 4) -> list[dict[str, Any]]:
    """Every event of the feed for ``who``, read page by page from position 0."""
    events, after, pages = [], 0, 0
    while True:
        response = api.get("/api/feed", who, after=after, limit=limit)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["events"]) <= limit and page["next_after"] >= after
        events += page["events"]
        after, pages = page["next_after"], pages + 1
        assert pages < 500
        if page["at_end"]:
            return events


def histories(homes: list[Home], who: str) -> dict[tuple[str, int], dict[str, Any]]:
    return {(home.code, entry["version"]): entry for home in homes for entry in home.history(who)}


def test_a_township_following_the_feed_rebuilds_its_case_files_histories(
        api: Api, county: dict[str, Home]) -> None:
    before = api.app.state.case_files.max_position()
    events = follow(api, "township")
    positions = [e["position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions), "in log order"
    # Then the feed holds exactly the events of the township's households' histories, as shown
    expected = histories([county["one"], county["two"], county["west"]], "township")
    seen = {(e["household_code"], e["version"]): e for e in events}
    assert set(seen) == set(expected)
    for key, event in seen.items():
        assert {k: v for k, v in event.items() if k not in ("position", "household_code")} == expected[key]
    assert {e["event"] for e in events} >= {"Registered", "AlertRaised", "MeasurePutInPlace"}
    assert next(e for e in events if e["event"] == "Registered")["what"] == "农户登记"
    # and a village sees its own village's only; the other township only its own
    assert {e["household_code"] for e in follow(api, "village", limit=7)} == {
        county["one"].code, county["two"].code}
    assert {e["household_code"] for e in follow(api, "other_township")} == {county["other"].code}
    assert api.app.state.case_files.max_position() == before, "reading the feed records nothing"


def test_another_townships_events_never_appear_even_reading_a_little_of_the_log_a_page(
        api: Api, county: dict[str, Home], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application.feed, "MAX_SCAN", 3)  # pages that find nothing still move on
    events = follow(api, "other_township", limit=2)
    assert {e["household_code"] for e in events} == {county["other"].code}
    assert set((e["household_code"], e["version"]) for e in events) == set(
        histories([county["other"]], "other_township"))
    assert county["other"].code not in {e["household_code"] for e in follow(api, "township")}


def test_a_department_follows_only_its_own_pushes_their_outcome_and_its_measures(
        api: Api, county: dict[str, Home]) -> None:
    events = follow(api, "department", limit=2)
    assert [(e["household_code"], e["event"]) for e in events] == [
        (county["two"].code, "AlertRaised"), (county["two"].code, "MonitoringObjectIncluded"),
        (county["other"].code, "MeasureAssigned"), (county["other"].code, "MeasurePutInPlace")]
    alert = events[0]["details"]
    assert alert["department"] == "医保局" and "**********" in alert["person_id_number"], "masked"
    assert follow(api, "other_department") == []
    # the county's auditors see every household's event, and only those
    assert len(follow(api, "auditor", limit=50)) == (
        api.app.state.case_files.max_position() - _county_events(api))


def _county_events(api: Api) -> int:
    """Events in the log that are not a household's (the push ledger's, the policies')."""
    recorder = api.app.state.case_files.recorder
    return sum(1 for n in recorder.select_notifications(1, 10_000)
               if not n.topic.startswith("fangpin:Household."))


def test_every_page_read_is_in_the_access_log(api: Api, county: dict[str, Home]) -> None:
    page = api.get("/api/feed", "village", after=0, limit=3).json()
    log = api.get("/api/access-log", "auditor", user=USERS["village"].name).json()
    assert {(r["household_code"], r["route"]) for r in log} == {
        (e["household_code"], "/api/feed") for e in page["events"]}
    assert len(log) == len({e["household_code"] for e in page["events"]})


def test_bad_parameters_are_refused_naming_them(api: Api, county: dict[str, Home]) -> None:
    end = api.app.state.case_files.max_position()
    problem(api.get("/api/feed", "county", after=-1), 400, "INVALID_REQUEST", field="after")
    problem(api.get("/api/feed", "county", after="abc"), 400, "INVALID_REQUEST", field="after")
    problem(api.get("/api/feed", "county", limit=0), 400, "INVALID_REQUEST", field="limit")
    problem(api.get("/api/feed", "county", limit=501), 400, "INVALID_REQUEST", field="limit")
    problem(api.get("/api/feed", "county", after=end + 1), 422, "POSITION_UNKNOWN", field="after")
    problem(api.get("/api/feed", "county", since=3), 400, "INVALID_REQUEST")
    last = api.get("/api/feed", "county", after=end).json()
    assert last == {"events": [], "next_after": end, "end": end, "at_end": True}


def test_a_department_following_the_feed_from_0_rebuilds_what_its_desk_shows(
        api: Api, county: dict[str, Home]) -> None:
    """Given 医保局's pushes, their outcome and its measures (one ended, one still planned), when
    its system follows the feed from position 0, then what it rebuilds equals its desk: the
    measures of /api/departments/me/measures and the alerts of /api/alerts. (Its roster is a
    read model over the registry, not events about its work: the feed does not carry it.)"""
    county["other"].do("/measures/M1/end", {"reason": "参保完成", "occurred_on": "2025-04-30"})
    county["other"].do("/measures", {**MEASURE, "measure_id": "M2", "department": "医保局",
                                     "occurred_on": "2025-05-02"})
    api.catch_up()
    measures: dict[tuple[str, str], dict[str, Any]] = {}
    alerts: dict[str, dict[str, Any]] = {}
    included: set[tuple[str, int]] = set()
    for event in follow(api, "department", limit=3):
        code, what, day = event["household_code"], event["details"], event["occurred_on"]
        if event["event"] == "MeasureAssigned":
            measures[code, what["measure_id"]] = {
                "measure_type": what["measure_type"], "status": "计划", "started_on": day,
                "in_place_on": None, "ended_on": None}
        elif event["event"] == "MeasurePutInPlace":
            measures[code, what["measure_id"]].update(status="已落实", in_place_on=day)
        elif event["event"] == "MeasureEnded":
            measures[code, what["measure_id"]].update(status="已结束", ended_on=day)
        elif event["event"] == "AlertRaised":
            alerts[what["alert_id"]] = {"code": code, "discovered_on": day}
        elif event["event"] == "MonitoringObjectIncluded":
            included.add((code, what["case_number"]))

    desk = api.get("/api/departments/me/measures", "department", limit=500).json()["rows"]
    assert measures == {(r["code"], r["measure_id"]): {
        k: r[k] for k in ("measure_type", "status", "started_on", "in_place_on", "ended_on")}
        for r in desk}
    assert {(c, m) for c, m in measures} == {(county["other"].code, "M1"), (county["other"].code, "M2")}
    pushed = api.get("/api/alerts", "department").json()["rows"]
    assert alerts == {r["alert_id"]: {"code": r["code"], "discovered_on": r["discovered_on"]}
                      for r in pushed}
    assert included == {(r["code"], r["case_number"]) for r in pushed
                        if r["case_stage"] == "监测帮扶中"} == {(county["two"].code, 1)}
