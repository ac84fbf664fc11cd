"""Uploads of pushes and the registry, templates, and unmatched alerts resolved by a township
(domain.md §5: held until attached; the 15-day clock runs from discovery all the same)."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime

import openpyxl

from tests.http.conftest import Api
from tests.http.kit import (
    COUNTY_DECISION,
    HOME_VISIT,
    TOWNSHIP_REVIEW,
    VILLAGE_NOTICE,
    code_of,
    head_of,
    problem,
    register,
    spouse_of,
)


def upload(api: Api, kind: str, text: str, who: str = "county", name: str = "push.csv", **form) -> dict:
    response = api.client.post(f"/api/imports/{kind}", files={"file": (name, text.encode("gb18030"))},
                               data=form, headers=api.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_push_uploaded_with_bad_rows_and_an_unmatched_person_a_township_attaches(api: Api) -> None:
    register(api, 1)
    text = ("身份证号码,风险类型,发现日期,情况说明,所在乡镇\r\n"
            f"{head_of(1)},因病,2025/3/1,住院,\r\n"
            f"{head_of(2)},因残,2025年3月2日,尚未登记的农户,银坊镇\r\n"
            f"{head_of(1)[:17]},因病,2025-03-03,少一位,\r\n")
    answer = upload(api, "alerts", text, "department", tier="县级筛查", period="2025-03上旬")
    assert (answer["rows_read"], answer["recorded"], answer["rejected"]) == (3, 2, 1)
    assert (answer["new_cases"], answer["unmatched"]) == (1, 1)
    errors = openpyxl.load_workbook(io.BytesIO(base64.b64decode(answer["errors_xlsx_base64"]))).active
    assert [c.value for c in errors[1]][-1] == "错误原因" and "只有17位" in errors["G2"].value

    # The township sees the unmatched alert; another township does not
    held = api.get("/api/unmatched-alerts", "township").json()
    assert [(a["person_id_number"], a["discovered_on"], a["deadline_on"]) for a in held] == [
        (head_of(2), "2025-03-02", "2025-03-17")]
    assert api.get("/api/unmatched-alerts", "other_township").json() == []
    alert_id = held[0]["alert_id"]
    problem(api.post(f"/api/unmatched-alerts/{alert_id}/attach", {"household_code": code_of(2)},
                     "other_township"), 403, "OUTSIDE_AREA")

    # It registers the household, then attaches the alert: a case opened on the discovery day
    register(api, 2, who="township")
    attached = api.ok(f"/api/unmatched-alerts/{alert_id}/attach", {"household_code": code_of(2)},
                      "township")
    assert (attached["outcome"], attached["case_number"]) == ("新案件", 1)
    case = api.get(f"/api/households/{code_of(2)}").json()["cases"][0]
    assert case["opened_on"] == "2025-03-02"
    assert api.get("/api/unmatched-alerts", "township").json() == []
    again = api.post(f"/api/unmatched-alerts/{alert_id}/attach", {"household_code": code_of(2)},
                     "county")
    problem(again, 409, "UNMATCHED_RESOLVED", field="alert_id")
    everything = api.get("/api/unmatched-alerts", "county", status="all").json()
    assert [(a["household_code"], a["resolved_on"]) for a in everything] == [(code_of(2), "2025-12-01")]


def test_a_registry_upload_and_the_same_file_again(api: Api) -> None:
    text = ("户编号,乡镇,行政村,住址,户类型,姓名,身份证号码,与户主关系,健康状况,劳动能力,参加居民医保\r\n"
            f"{code_of(7)},银坊镇,东村,东村7号,一般农户,王七,{head_of(7)},本人,健康,普通劳动力,是\r\n"
            f"{code_of(7)},银坊镇,东村,东村7号,一般农户,李七,{spouse_of(7)},配偶,健康,普通劳动力,是\r\n")
    first = upload(api, "households", text, name="registry.csv")
    assert (first["households_registered"], first["members_registered"], first["rejected"]) == (1, 2, 0)
    again = upload(api, "households", text, name="registry.csv")
    assert again["already_imported_at"] is not None and again["recorded"] == 0
    assert "本次未重复记录" in again["summary"][0]
    problem(api.client.post("/api/imports/households", files={"file": ("r.csv", text.encode())},
                            headers=api.headers("township")), 403, "ROLE_FORBIDDEN")


def test_uploads_refused_whole_and_templates(api: Api) -> None:
    bad = api.client.post("/api/imports/alerts", files={"file": ("x.csv", "姓名,发现日期\r\n".encode())},
                          data={"tier": "县级筛查", "period": "2025-03上旬"},
                          headers=api.headers("department"))
    problem(bad, 422, "HEADER_UNKNOWN")
    other = api.client.post("/api/imports/alerts", files={"file": ("x.csv", b"a")},
                            data={"tier": "县级筛查", "period": "2025-03上旬", "department": "民政局"},
                            headers=api.headers("department"))
    problem(other, 403, "OTHER_DEPARTMENT")
    response = api.get("/api/templates/households", "village")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "农户名单" and "填写说明" in book.sheetnames
    assert api.get("/api/templates/nothing", "county").status_code in (400, 404)


def test_lists_exported_as_workbooks_hold_the_callers_area_only(api: Api) -> None:
    from tests.http.conftest import OTHER_TOWNSHIP

    register(api, 1).included()
    register(api, 2, township=OTHER_TOWNSHIP, village="西村").included()
    api.catch_up()

    def exported(which: str, who: str) -> list[tuple]:
        response = api.get(f"/api/exports/{which}", who)
        assert response.status_code == 200, response.text
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        assert sheet.freeze_panes == "A2"
        return list(sheet.iter_rows(values_only=True))

    county = exported("monitoring", "county")
    assert county[0][:4] == ("户编号", "乡镇", "行政村", "户主")
    assert sorted(r[0] for r in county[1:]) == [code_of(1), code_of(2)]
    township = exported("monitoring", "township")
    assert [r[0] for r in township[1:]] == [code_of(1)]
    assert "**********" in township[1][4], "ID numbers masked"
    directory = exported("households", "other_township")
    assert [r[0] for r in directory[1:]] == [code_of(2)]
    problem(api.get("/api/exports/monitoring", "department"), 403, "ROLE_FORBIDDEN")


def test_an_unmatched_alert_past_15_days_is_on_the_overdue_lists_and_counts_late_once_attached(
        api: Api) -> None:
    """Waiting for a household does not stop the 15-day clock (domain.md §5): a held alert past
    its deadline is on every overdue list a township reads, and once attached its case counts
    late in 识别认定时限达标率, from the discovery date."""
    register(api, 1)
    text = f"身份证号码,风险类型,发现日期,所在乡镇\r\n{head_of(2)},因残,2025-03-02,银坊镇\r\n"
    assert upload(api, "alerts", text, "department", tier="县级筛查", period="2025-03上旬")["unmatched"] == 1
    alert_id = api.get("/api/unmatched-alerts", "county").json()[0]["alert_id"]

    def overdue(who: str) -> dict:
        answer = api.get("/api/cases", who, overdue="true")
        assert answer.status_code == 200, answer.text
        return answer.json()

    # Given the alert still held on 1 December, When the township reads its overdue cases
    listed = overdue("township")
    assert listed["rows"] == []
    assert [(a["alert_id"], a["discovered_on"], a["deadline_on"]) for a in listed["unmatched"]] == [
        (alert_id, "2025-03-02", "2025-03-17")]
    assert overdue("county")["unmatched"] != [] and overdue("other_township")["unmatched"] == []
    assert api.get("/api/cases", "township").json()["unmatched"] == []  # not the overdue list
    # and in the workbook it downloads, and in March's consultation report
    book = api.get("/api/exports/overdue", "township")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert (row["阶段"], row["未匹配预警编号"], row["应认定日期"]) == (
        "未匹配待认领", alert_id, datetime(2025, 3, 17))
    assert row["超期天数"] == 259  # 17 March to 1 December
    report = api.get("/api/reports/monthly", "township", month="2025-03").json()
    late = {t["name"]: t for t in report["tables"]}["超期未认定"]
    assert [(r[3], r[6], r[7]) for r in late["rows"]] == [("未匹配待认领", 14, alert_id)]
    assert alert_id in workbench_page(api, "township-01", "/web/cases?overdue=true")

    # When the township registers the household and attaches the alert, then includes the case
    home = register(api, 2, who="township")
    api.ok(f"/api/unmatched-alerts/{alert_id}/attach", {"household_code": home.code}, "township")
    api.catch_up()
    listed = overdue("township")
    assert listed["unmatched"] == []
    report = api.get("/api/reports/monthly", "township", month="2025-03").json()
    late = {t["name"]: t for t in report["tables"]}["超期未认定"]
    assert [(r[0], r[6], r[7]) for r in late["rows"]] == [(home.code, 14, None)]  # its case now
    assert [(r["code"], r["discovered_on"], r["days_overdue"]) for r in listed["rows"]] == [
        (home.code, "2025-03-02", 259)]
    api.clock.now = datetime(2025, 12, 20, 2, tzinfo=UTC)
    home.do("/identification/home-visit", {**HOME_VISIT, "occurred_on": "2025-12-02"})
    home.do("/identification/village-notice", {**VILLAGE_NOTICE, "notice_from": "2025-12-03",
                                               "notice_to": "2025-12-08", "occurred_on": "2025-12-09"})
    home.do("/identification/township-review", {**TOWNSHIP_REVIEW, "occurred_on": "2025-12-04"})
    home.do("/identification/county-decision", {**COUNTY_DECISION, "occurred_on": "2025-12-10"})
    api.catch_up()
    # Then the case counts late, from the alert's discovery
    drill = api.get("/api/indicators", "county", period="2025-12", indicator="识别认定时限达标率").json()
    assert [(i["key"], i["numerator"], i["note"]) for i in drill["detail"]["items"]] == [
        (f"{home.code}#1", 0, "发现2025-03-02，纳入2025-12-10，用时283天（超时）")]


def workbench_page(api: Api, name: str, path: str) -> str:
    """A workbench page as the user ``name`` sees it, signed in with a password."""
    api.app.state.logins.set_password(name, f"密码-{name}")
    login = api.client.get("/web/login").text
    token = re.search(r'name="_csrf_token" value="([^"]*)"', login)
    assert token is not None
    signed = api.client.post("/web/login", data={"_csrf_token": token.group(1), "name": name,
                                                 "password": f"密码-{name}", "next": "/web/"},
                             follow_redirects=False)
    assert signed.status_code in (302, 303), signed.text
    page = api.client.get(path)
    assert page.status_code == 200, page.text
    return page.text
