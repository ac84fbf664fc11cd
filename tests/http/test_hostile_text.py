"""Hostile text is refused at the edge, before anything is recorded: a NUL or another control
character in a command, a push, a query, a form or a cell of an uploaded file (422 naming the
field), a body that is not UTF-8 or nests without end (400). Tab and line breaks in free text
stay as typed. (Issue 19: one NUL accepted stopped every read model on PostgreSQL.)"""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest

from tests.http.conftest import Api
from tests.http.kit import (
    alert_body,
    call,
    code_of,
    head_of,
    join_body,
    problem,
    register,
    registration_body,
)
from tests.http.test_pushes import batch, row

CONTROL = "\x00"


def _nothing_recorded(api: Api, before: int) -> None:
    assert api.app.state.case_files.max_position() == before


def _raw(api: Api, path: str, content: bytes, who: str = "county") -> Any:
    return api.client.post(path, content=content,
                           headers={**api.headers(who), "content-type": "application/json"})


# ---------------------------------------------------------------------- commands and pushes


def test_a_nul_in_a_member_name_is_refused_naming_the_field_and_nothing_is_recorded(
        api: Api) -> None:
    home = register(api, 1)
    before = api.app.state.case_files.max_position()
    body = registration_body(2, head_name=f"王{CONTROL}建国")
    problem(call(api, "POST", "/api/households", "county", body), 422, "TEXT_CONTROL_CHARACTER",
            field="members[0].name")
    joining = join_body(1)
    joining["member"]["name"] = f"王小花{CONTROL}"
    problem(call(api, "POST", home.path + "/members", "village", joining), 422,
            "TEXT_CONTROL_CHARACTER", field="member.name")
    _nothing_recorded(api, before)
    assert home.file()["version"] == 1
    problem(api.get(f"/api/households/{code_of(2)}"), 404, "HOUSEHOLD_NOT_FOUND")


@pytest.mark.parametrize("character", ["\x01", "\x0b", "\x1b", "\x7f", "\x85"])
def test_other_control_characters_are_refused_too(api: Api, character: str) -> None:
    home = register(api, 1)
    before = api.app.state.case_files.max_position()
    answer = problem(call(api, "POST", home.path + "/alerts", "village",
                          alert_body(1, description=f"住院{character}")), 422,
                     "TEXT_CONTROL_CHARACTER", field="description")
    assert f"U+{ord(character):04X}" in answer["detail"]
    _nothing_recorded(api, before)


def test_a_control_character_in_a_field_name_a_push_row_or_a_key_header_is_refused(
        api: Api) -> None:
    home = register(api, 1)
    before = api.app.state.case_files.max_position()
    problem(call(api, "POST", home.path + "/corrections", "county", {
        "corrects_version": 1, "changes": {f"address{CONTROL}": "东村十二号"}, "reason": "门牌号录错",
        "occurred_on": "2025-02-20"}), 422, "TEXT_CONTROL_CHARACTER", field="changes")
    pushed = batch("YB-1", [row(home.head), row(home.spouse, description=f"自付{CONTROL}")])
    problem(api.post("/api/pushes", pushed, "department"), 422, "TEXT_CONTROL_CHARACTER",
            field="rows[1].description")
    problem(api.post("/api/pushes", batch(f"YB{CONTROL}2", [row(home.head)]), "department"), 422,
            "TEXT_CONTROL_CHARACTER", field="batch_id")
    big = batch("YB-3", [row(home.head, description="自付" * 100)] * 999
                + [row(home.head, description=f"自付{CONTROL}")])  # checked off the event loop
    problem(api.post("/api/pushes", big, "department"), 422, "TEXT_CONTROL_CHARACTER",
            field="rows[999].description")
    problem(call(api, "POST", home.path + "/alerts", "village", alert_body(1), key="k\x7f1"), 422,
            "TEXT_CONTROL_CHARACTER", field="Idempotency-Key")
    _nothing_recorded(api, before)


def test_tab_and_line_breaks_in_free_text_are_kept_as_typed(api: Api) -> None:
    home = register(api, 1)
    description = "住院\t花费大\r\n第二行\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{"
    home.do("/alerts", alert_body(1, description=description), who="village")
    assert home.file()["alerts"][0]["description"] == description


# ---------------------------------------------------------------------- queries and paths


LIST_ROUTES = [("/api/monitoring", "township"), ("/api/cases", "village"),
               ("/api/households", "head_name"), ("/api/pushes", "batch_id"),
               ("/api/alerts", "batch_id"), ("/api/visits-due", "cursor"),
               ("/api/monitoring/measures-missing", "cursor")]


@pytest.mark.parametrize(("path", "parameter"), LIST_ROUTES)
def test_a_nul_in_a_query_value_is_refused_naming_the_parameter(
        api: Api, path: str, parameter: str) -> None:
    register(api, 1)
    api.catch_up()
    problem(api.get(path, **{parameter: f"a{CONTROL}b"}), 422, "TEXT_CONTROL_CHARACTER",
            field=parameter)
    assert api.get(path, **{parameter: "a\tb"} if parameter != "cursor" else {}).status_code == 200


def test_a_nul_in_a_path_is_refused_naming_the_parameter(api: Api) -> None:
    register(api, 1)
    problem(api.get(f"/api/households/{code_of(1)}%00"), 422, "TEXT_CONTROL_CHARACTER",
            field="code")
    problem(api.post(f"/api/households/{code_of(1)}/measures/M%001/in-place",
                     {"occurred_on": "2025-03-20"}), 422, "TEXT_CONTROL_CHARACTER",
            field="measure_id")


# ---------------------------------------------------------------------- bodies that cannot be read


def test_a_body_nested_a_thousand_deep_is_a_400(api: Api) -> None:
    home = register(api, 1)
    before = api.app.state.case_files.max_position()
    for deep in (b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000, b"[" * 100_000):
        for path in ("/api/households", home.path + "/alerts", "/api/pushes"):
            problem(_raw(api, path, deep), 400, "BODY_TOO_DEEP", field=None)
    nested = {"corrects_version": 1, "changes": {"address": [[[[["东村"]]]]]}, "reason": "录错",
              "occurred_on": "2025-02-20"}  # not too deep: the command's own rules answer
    assert call(api, "POST", home.path + "/corrections", "county", nested).status_code == 422
    _nothing_recorded(api, before)


def test_a_body_not_in_utf8_is_a_400(api: Api) -> None:
    home = register(api, 1)
    before = api.app.state.case_files.max_position()
    body = '{"channel": "农户自主申报", "description": "住院"}'.encode()
    for bad in (body.replace("住院".encode(), b"\xff\xfe"), body.decode().encode("gb18030"),
                b'{"code": "\xed\xa0\x80"}'):
        problem(_raw(api, home.path + "/alerts", bad), 400, "BODY_NOT_UTF8", field=None)
    problem(_raw(api, home.path + "/alerts", b'{"description": "\\ud800"}'), 400,
            "INVALID_REQUEST")
    _nothing_recorded(api, before)


# ---------------------------------------------------------------------- uploaded files


def _upload(api: Api, kind: str, name: str, content: bytes, **form: str) -> Any:
    return api.client.post(f"/api/imports/{kind}", files={"file": (name, content)}, data=form,
                           headers=api.headers("county"))


def _xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook holding ``rows`` (openpyxl writes no C0 control character: an .xlsx cell can
    hold DEL and the C1 controls, which the file's XML allows, but never a NUL)."""
    book = openpyxl.Workbook()
    for cells in rows:
        book.active.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_control_character_in_a_csv_or_xlsx_cell_refuses_that_row_naming_the_column(
        api: Api) -> None:
    register(api, 1)
    header = "身份证号码,风险类型,发现日期,情况说明"
    text = (f"{header}\r\n{head_of(1)},因病,2025-03-01,住院{CONTROL}\r\n"
            f"{head_of(1)},因残,2025-03-02,\"跌伤\t\r\n两处\"\r\n")
    answer = _upload(api, "alerts", "push.csv", text.encode(), tier="县级筛查",
                     period="2025-03上旬", department="医保局")
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["rejected"], found["recorded"]) == (1, 1)
    assert found["problems"][0]["row"] == 2 and "【情况说明】" in found["problems"][0]["reason"]
    assert "U+0000" in found["problems"][0]["reason"]

    registry = _xlsx([["户编号", "乡镇", "行政村", "住址", "户类型", "姓名", "身份证号码", "与户主关系",
                       "健康状况", "劳动能力", "参加居民医保"],
                      [code_of(5), "银坊镇", "东村", "东村5号", "一般农户", "王\x7f五", head_of(5), "本人",
                       "健康", "普通劳动力", "是"],
                      [code_of(6), "银坊镇", "东村", "东村6号\x85", "一般农户", "王六", head_of(6), "本人",
                       "健康", "普通劳动力", "是"],
                      [code_of(7), "银坊镇", "东村", "东村7号", "一般农户", "王七", head_of(7), "本人",
                       "健康", "普通劳动力", "是"]])
    answer = _upload(api, "households", "registry.xlsx", registry)
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert (found["households_registered"], found["rejected"]) == (1, 2)
    reasons = {problem["row"]: problem["reason"] for problem in found["problems"]}
    assert "【姓名】" in reasons[2] and "U+007F" in reasons[2]
    assert "【住址】" in reasons[3] and "U+0085" in reasons[3]
    assert api.get(f"/api/households/{code_of(7)}").status_code == 200
    for n in (5, 6):
        assert api.get(f"/api/households/{code_of(n)}").status_code == 404


def test_an_uploads_form_fields_and_file_name_are_held_to_the_rule(api: Api) -> None:
    before = api.app.state.case_files.max_position()
    text = f"身份证号码,风险类型,发现日期\r\n{head_of(1)},因病,2025-03-01\r\n".encode()
    problem(_upload(api, "alerts", "push.csv", text, tier="县级筛查", period=f"2025-03{CONTROL}",
                    department="医保局"), 422, "TEXT_CONTROL_CHARACTER", field="period")
    problem(_upload(api, "alerts", "push\x1b.csv", text, tier="县级筛查", period="2025-03",
                    department="医保局"), 422, "TEXT_CONTROL_CHARACTER", field="file")
    _nothing_recorded(api, before)


# ---------------------------------------------------------------------- the workbench


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def test_a_workbench_form_shows_the_refusal_beside_the_field(api: Api) -> None:
    home = register(api, 1)
    before = api.app.state.case_files.max_position()
    api.app.state.logins.set_password("county-01", "密码-county-01")
    client = api.client
    login = client.get("/web/login").text
    signed = client.post("/web/login", data={"_csrf_token": _hidden(login, "_csrf_token"),
                                             "name": "county-01", "password": "密码-county-01",
                                             "next": "/web/"}, follow_redirects=False)
    assert signed.status_code in (302, 303), signed.text
    form = client.get(f"/web/households/{home.code}/do/raise_alert").text
    answer = client.post(f"/web/households/{home.code}/do/raise_alert", data={
        "_csrf_token": _hidden(form, "_csrf_token"), "form_id": _hidden(form, "form_id"),
        "channel": "农户自主申报", "person_id_number": home.head, "risk_types": "因病",
        "description": f"住院{CONTROL}花费大", "occurred_on": "2025-03-01"},
        follow_redirects=False)
    assert answer.status_code == 200, answer.text
    assert 'data-code="TEXT_CONTROL_CHARACTER"' in answer.text
    assert re.search(r'id="error-description">[^<]*U\+0000', answer.text), answer.text
    _nothing_recorded(api, before)
    page = client.get("/web/monitoring", params={"township": f"银坊镇{CONTROL}"})
    assert page.status_code == 422 and "TEXT_CONTROL_CHARACTER" in page.text
