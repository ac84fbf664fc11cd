"""People on a household over the API (§七): the village names its 网格员, the township or the
county a monitoring object's 帮扶责任人; the case file and its history say who answered when."""

from __future__ import annotations

import base64
import io

import openpyxl

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


def test_a_grid_worker_finds_their_households_on_the_lists_which_name_both_people(api: Api) -> None:
    """Given two monitoring objects of one village with different 网格员, when the lists are
    read for one grid worker's name, then only their household is listed, with its 帮扶责任人;
    once the household is handed over, it leaves their list."""
    mine, other = register(api, 11).included(), register(api, 12).included()
    mine.do("/grid-worker", GRID_WORKER, "village")
    other.do("/grid-worker", {**GRID_WORKER, "worker_name": "钱网格"}, "village")
    position = mine.do("/helper", HELPER, "township")["position"]

    due = api.get("/api/visits-due", "village", grid_worker="李网格", after=position).json()
    assert [row["code"] for row in due["rows"]] == [mine.code]
    assert (due["rows"][0]["grid_worker_phone"], due["rows"][0]["helper"]) == ("13812345678", "王帮扶")
    listed = api.get("/api/monitoring", "township", after=position).json()["rows"]
    rows = {row["code"]: row for row in listed}
    assert (rows[mine.code]["helper"], rows[mine.code]["helper_unit"]) == ("王帮扶", "县乡村振兴局")
    assert (rows[other.code]["grid_worker"], rows[other.code]["helper"]) == ("钱网格", None)
    theirs = api.get("/api/monitoring", "county", grid_worker="钱网格", after=position).json()["rows"]
    assert [row["code"] for row in theirs] == [other.code]
    found = api.get("/api/households", "village", grid_worker="李网格", after=position).json()["rows"]
    assert [row["code"] for row in found] == [mine.code]

    position = mine.do("/grid-worker/change", GRID_WORKER_CHANGE, "village")["position"]
    assert api.get("/api/visits-due", "village", grid_worker="李网格",
                   after=position).json()["rows"] == []
    # a past day's list keeps the households of that day that are the person's now
    past = api.get("/api/monitoring", "county", grid_worker="赵网格", as_of="2025-06-01",
                   after=position).json()["rows"]
    assert [row["code"] for row in past] == [mine.code]


def _workbook(*rows: tuple[object, ...]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["户编号", "网格员姓名", "网格员电话", "帮扶责任人姓名", "帮扶责任人单位", "帮扶责任人电话"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(api: Api, content: bytes, who: str = "county", name: str = "人员.xlsx") -> dict:
    response = call(api, "POST", "/api/imports/staff", who, {"__files__": {"file": (name, content)}})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_workbook_names_the_people_of_many_households_and_refuses_its_bad_row(api: Api) -> None:
    """Given a workbook of three households, one with a phone number of the wrong shape, when it
    is uploaded, then the two good rows are recorded and the bad one is refused naming its row
    and column (in the answer and in the error workbook); uploaded again, nothing changes."""
    monitored, plain, bad = register(api, 21).included(), register(api, 22), register(api, 23)
    content = _workbook(
        (monitored.code, "李网格", "13812345678", "王帮扶", "县乡村振兴局", "0312-6123456"),
        (plain.code, "李网格", "13812345678", None, None, None),
        (bad.code, "钱网格", "138-1234", None, None, None),
    )
    answer = _upload(api, content, "township")
    assert (answer["recorded"], answer["rejected"], answer["staff_assigned"]) == (2, 1, 3)
    assert [(p["row"], "【网格员电话】" in p["reason"]) for p in answer["problems"]] == [(4, True)]
    errors = openpyxl.load_workbook(io.BytesIO(base64.b64decode(answer["errors_xlsx_base64"])))
    sheet = errors.active
    header = [c.value for c in sheet[1]]
    assert header[0] == "原行号" and header[-1] == "错误原因"
    assert sheet.cell(2, 1).value == 4 and "联系电话" in sheet.cell(2, len(header)).value

    file = monitored.file()
    assert [w["name"] for w in file["grid_workers"]] == ["李网格"]
    assert [(h["name"], h["phone"]) for h in file["helpers"]] == [("王帮扶", "0312-6123456")]
    assert plain.file()["grid_workers"][0]["name"] == "李网格" and bad.file()["grid_workers"] == []
    assert [e["what"] for e in monitored.history()][-2:] == ["指定网格员", "指定帮扶责任人"]

    again = _upload(api, content, "township")
    assert (again["recorded"], again["rejected"], again["staff_unchanged"]) == (2, 1, 2)
    assert len(monitored.file()["grid_workers"]) == 1


def test_a_workbook_row_changing_a_person_needs_its_reason_and_no_helper_for_the_unmonitored(
        api: Api) -> None:
    home, plain = register(api, 24), register(api, 25)
    home.do("/grid-worker", GRID_WORKER, "village")
    answer = _upload(api, _workbook(
        (home.code, "赵网格", "13712345678", None, None, None),
        (plain.code, None, None, "王帮扶", "县乡村振兴局", "13912345678"),
    ))
    reasons = {p["row"]: p["reason"] for p in answer["problems"]}
    assert answer["rejected"] == 2 and "【更换原因】" in reasons[2] and "【帮扶责任人姓名】" in reasons[3]
    assert [w["name"] for w in home.file()["grid_workers"]] == ["李网格"]


def test_a_township_importing_another_townships_household_has_the_row_refused(api: Api) -> None:
    home = register(api, 26)
    answer = _upload(api, _workbook((home.code, "李网格", "13812345678", None, None, None)),
                     "other_township")
    assert answer["rejected"] == 1 and "【户编号】" in answer["problems"][0]["reason"]
    assert home.file()["grid_workers"] == []
