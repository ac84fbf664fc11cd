"""People on a household over the API (§七): the village names its 网格员, the township or the
county a monitoring object's 帮扶责任人; the case file and its history say who answered when."""

from __future__ import annotations

from tests.http.conftest import Api
from tests.http.kit import (
    GRID_WORKER,
    GRID_WORKER_CHANGE,
    HELPER,
    HELPER_CHANGE,
    STAFF_END,
    call,
    problem,
    register,
)


def test_a_grid_worker_assigned_changed_and_ended_shows_in_the_file_and_its_history(api: Api) -> None:
    home = register(api, 1)
    home.do("/grid-worker", GRID_WORKER, "village")
    home.do("/grid-worker/change", GRID_WORKER_CHANGE, "village")
    file = home.file("village")
    assert [(w["name"], w["assigned_on"], w["ended_on"], w["current"]) for w in file["grid_workers"]] == [
        ("李网格", "2025-04-01", "2025-06-01", False), ("赵网格", "2025-06-01", None, True)]
    assert file["grid_workers"][1]["reason"] == "李网格调任"
    home.do("/grid-worker/end", STAFF_END, "village")
    assert not any(w["current"] for w in home.file()["grid_workers"])

    entries = home.history("village")
    staff = [(e["what"], e["occurred_on"], e["details"]) for e in entries[-3:]]
    assert staff == [
        ("指定网格员", "2025-04-01", {"name": "李网格", "phone": "13812345678"}),
        ("更换网格员", "2025-06-01", {"name": "赵网格", "phone": "0312-7654321", "reason": "李网格调任"}),
        ("结束网格员负责", "2025-08-01", {"reason": "不再负责"}),
    ]
    assert entries[-1]["recorded_by"] == {"user": "grid-01", "role": "村联络站"}


def test_a_monitoring_object_gets_its_helper_from_the_township_and_the_county(api: Api) -> None:
    home = register(api, 2).included()
    home.do("/helper", HELPER, "township")
    home.do("/helper/change", HELPER_CHANGE, "county")
    helpers = home.file("township")["helpers"]
    assert [(h["name"], h["unit"], h["current"]) for h in helpers] == [
        ("王帮扶", "县乡村振兴局", False), ("陈帮扶", "县医保局", True)]
    home.do("/helper/end", STAFF_END, "township")
    whats = [e["what"] for e in home.history()]
    assert whats[-3:] == ["指定帮扶责任人", "更换帮扶责任人", "结束帮扶责任人负责"]


def test_a_bad_phone_is_refused_naming_the_field_and_records_nothing(api: Api) -> None:
    home = register(api, 3)
    version = home.file()["version"]
    response = call(api, "POST", home.path + "/grid-worker", "village",
                    {**GRID_WORKER, "phone": "1381234"})
    body = problem(response, 422, "PHONE_INVALID", "phone")
    assert "联系电话" in body["detail"]
    problem(call(api, "POST", home.path + "/grid-worker", "village", {**GRID_WORKER, "worker_name": " "}),
            422, "REQUIRED", "worker_name")
    assert home.file()["version"] == version and home.file()["grid_workers"] == []


def test_a_change_without_a_reason_names_the_reason(api: Api) -> None:
    home = register(api, 4)
    home.do("/grid-worker", GRID_WORKER, "village")
    problem(call(api, "POST", home.path + "/grid-worker/change", "village",
                 {**GRID_WORKER_CHANGE, "reason": ""}), 422, "REQUIRED", "reason")


def test_ending_what_is_not_assigned_is_refused_with_its_code(api: Api) -> None:
    home = register(api, 5).included()
    problem(call(api, "POST", home.path + "/grid-worker/end", "village", STAFF_END),
            409, "GRID_WORKER_NOT_ASSIGNED")
    problem(call(api, "POST", home.path + "/helper/end", "township", STAFF_END),
            409, "HELPER_NOT_ASSIGNED")


def test_a_household_that_is_not_monitored_gets_no_helper(api: Api) -> None:
    home = register(api, 6)
    problem(call(api, "POST", home.path + "/helper", "township", HELPER), 409, "HELPER_NOT_MONITORED")


def test_another_village_and_a_village_naming_a_helper_are_refused(api: Api) -> None:
    home = register(api, 7).included()
    problem(call(api, "POST", home.path + "/grid-worker", "other_village", GRID_WORKER),
            403, "OUTSIDE_AREA")
    problem(call(api, "POST", home.path + "/helper", "other_township", HELPER), 403, "OUTSIDE_AREA")
    problem(call(api, "POST", home.path + "/helper", "village", HELPER), 403, "ROLE_FORBIDDEN")
    problem(call(api, "POST", "/api/households/NOPE/grid-worker", "village", GRID_WORKER),
            404, "HOUSEHOLD_NOT_FOUND")
    file = home.file()
    assert file["grid_workers"] == [] and file["helpers"] == []


def test_the_same_key_sent_again_records_the_assignment_once(api: Api) -> None:
    home = register(api, 8)
    first = home.do("/grid-worker", GRID_WORKER, "village", key="gw-1")
    again = call(api, "POST", home.path + "/grid-worker", "village", GRID_WORKER, key="gw-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["version"] == first["version"]
    assert len(home.file()["grid_workers"]) == 1
