"""Rectification items (限期整改, domain.md §10) over HTTP, on both back ends: ordered from a
dispatch meeting or an audit, completed by the unit responsible, listed with their status and
counted per unit — and in the quarterly and monthly reports."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

from tests.http.conftest import OTHER_TOWNSHIP, Api
from tests.http.kit import problem

#: Today in the fixture is 1 December 2025.
DISPATCH = {"meeting_id": "DD-2025-Q3", "quarter": "2025-Q3", "occurred_on": "2025-09-28",
            "departments_present": ["乡村振兴局", "医保局"], "topics": ["三季度调度"]}


def item(item_id: str, deadline: str, **fields: Any) -> dict[str, Any]:
    return {"item_id": item_id, "source": "DD-2025-Q3", "problem": "走访记录不全", "township": "银坊镇",
            "deadline": deadline, "occurred_on": "2025-09-30", **fields}


def ordered(api: Api) -> None:
    """Given the third quarter's dispatch meeting and three items: 银坊镇's due 31 October,
    医保局's due 31 December, and an auditor's finding for 水堡镇 due 15 November."""
    api.ok("/api/meetings/dispatches", DISPATCH)
    api.ok("/api/rectifications", item("ZG-1", "2025-10-31"))
    api.ok("/api/rectifications", item("ZG-2", "2025-12-31", township=None, department="医保局",
                                       problem="参保资助名单推送迟报"))
    api.ok("/api/rectifications", item("SJ-1", "2025-11-15", source="审计", township=OTHER_TOWNSHIP,
                                       problem="风险消除程序不全"))


def listed(api: Api, who: str = "county", **params: Any) -> dict[str, Any]:
    response = api.get("/api/rectifications", who, **params)
    assert response.status_code == 200, response.text
    return response.json()


def test_items_are_listed_with_their_status_and_counted_per_unit(api: Api) -> None:
    ordered(api)
    # When 水堡镇 completes its audit item on 20 November, five days after its deadline
    done = api.ok("/api/rectifications/SJ-1/completed", {"what_was_done": "补齐评议公示材料",
                                                         "occurred_on": "2025-11-20"}, "other_township")
    assert done["status"] == "逾期完成"
    # Then on 1 December: 银坊镇's item is overdue by 31 days, 医保局's not yet due
    result = listed(api, "assessment")
    assert result["on"] == "2025-12-01"
    statuses = {i["item_id"]: (i["status"], i["days_overdue"]) for i in result["items"]}
    assert statuses == {"ZG-1": ("逾期未完成", 31), "ZG-2": ("未到期", 0), "SJ-1": ("逾期完成", 5)}
    counts = {c["unit"]: (c["overdue"], c["done_late"], c["pending"]) for c in result["counts"]}
    assert counts == {"银坊镇": (1, 0, 0), "医保局": (0, 0, 1), OTHER_TOWNSHIP: (0, 1, 0)}
    assert [i["item_id"] for i in listed(api, overdue=True)["items"]] == ["ZG-1"]
    assert [i["item_id"] for i in listed(api, status="逾期完成")["items"]] == ["SJ-1"]
    # a township sees what it answers for, a department its own, and no other's
    assert [i["item_id"] for i in listed(api, "township")["items"]] == ["ZG-1"]
    assert [i["item_id"] for i in listed(api, "department")["items"]] == ["ZG-2"]
    problem(api.get("/api/rectifications", "township", township=OTHER_TOWNSHIP), 403, "OUTSIDE_AREA")
    problem(api.get("/api/rectifications", "village"), 403, "ROLE_FORBIDDEN")


def test_the_rules_of_ordering_completing_and_extending_are_held(api: Api) -> None:
    ordered(api)
    log = api.app.state.case_files
    # the source must be a recorded dispatch meeting; the deadline not before the order
    problem(api.post("/api/rectifications", item("ZG-9", "2025-12-31", source="DD-NONE")),
            409, "DISPATCH_MEETING_UNKNOWN", "source")
    problem(api.post("/api/rectifications", item("ZG-9", "2025-09-29")), 422, "DEADLINE_BEFORE_ORDER",
            "deadline")
    problem(api.post("/api/rectifications", item("ZG/9", "2025-12-31")), 422, "RECTIFICATION_ID_FORMAT",
            "item_id")
    # the same request again is answered as the first; another with the same id is refused
    position = log.max_position()
    again = api.ok("/api/rectifications", item("ZG-1", "2025-10-31"))
    assert again["repeated"] is True and log.max_position() == position
    problem(api.post("/api/rectifications", item("ZG-1", "2025-11-30")), 409, "RECTIFICATION_ID_TAKEN",
            "item_id")
    # only the unit responsible (or the county) completes an item, not before it was ordered
    completion = {"what_was_done": "补录走访记录", "occurred_on": "2025-11-28"}
    problem(api.post("/api/rectifications/ZG-1/completed", completion, "other_township"),
            403, "OUTSIDE_AREA", "item_id")
    problem(api.post("/api/rectifications/ZG-2/completed", completion, "other_department"),
            403, "OTHER_DEPARTMENT", "item_id")
    problem(api.post("/api/rectifications/ZG-2/completed", completion, "township"),
            403, "OUTSIDE_AREA", "item_id")
    problem(api.post("/api/rectifications/ZG-1/completed", {**completion, "occurred_on": "2025-09-29"},
                     "township"), 422, "COMPLETED_BEFORE_ORDER", "occurred_on")
    problem(api.post("/api/rectifications/NONE/completed", completion), 404, "RECTIFICATION_NOT_FOUND")
    assert log.max_position() == position, "refused: nothing recorded"
    assert api.ok("/api/rectifications/ZG-1/completed", completion, "township")["status"] == "逾期完成"
    assert api.ok("/api/rectifications/ZG-1/completed", completion, "township")["repeated"] is True
    problem(api.post("/api/rectifications/ZG-1/completed", {**completion, "what_was_done": "再补"},
                     "county"), 409, "RECTIFICATION_COMPLETED", "item_id")
    # a deadline is extended before it passes, with a reason; an overdue one is not
    extension = {"deadline": "2026-01-31", "reason": "年末集中核查", "occurred_on": "2025-11-30"}
    extended = api.ok("/api/rectifications/ZG-2/extension", extension)
    assert (extended["deadline"], extended["status"]) == ("2026-01-31", "未到期")
    problem(api.post("/api/rectifications/ZG-2/extension", {**extension, "deadline": "2026-01-15"}),
            422, "DEADLINE_NOT_LATER", "deadline")
    problem(api.post("/api/rectifications/ZG-2/extension", extension, "township"), 403, "ROLE_FORBIDDEN")
    shown = {i["item_id"]: i for i in listed(api)["items"]}["ZG-2"]
    assert shown["extensions"] == [{"extended_on": "2025-11-30", "previous_deadline": "2025-12-31",
                                    "deadline": "2026-01-31", "reason": "年末集中核查"}]


def test_the_quarterly_report_lists_the_items_and_counts_the_overdue_per_unit(api: Api) -> None:
    ordered(api)
    api.ok("/api/rectifications/SJ-1/completed", {"what_was_done": "补齐", "occurred_on": "2025-11-10"})
    api.catch_up()  # a report is as of the log position the read models have reached
    report = api.get("/api/reports/quarterly", "assessment", quarter="2025-Q4")
    assert report.status_code == 200, report.text
    tables = {t["name"]: t for t in report.json()["tables"]}
    # Q4 judged on its last day so far (1 December)
    rows = {r[0]: r for r in tables["限期整改"]["rows"]}
    columns = tables["限期整改"]["columns"]
    status, overdue = columns.index("状态"), columns.index("逾期（天）")
    assert {k: (r[status], r[overdue]) for k, r in rows.items()} == {
        "ZG-1": ("逾期未完成", 31), "ZG-2": ("未到期", None), "SJ-1": ("已完成", None)}
    assert rows["ZG-1"][columns.index("责任单位")] == "银坊镇"
    counts = {r[0]: r[2:] for r in tables["整改逾期统计"]["rows"]}
    assert tables["整改逾期统计"]["columns"][2:] == ["事项", "已完成", "逾期完成", "逾期未完成", "未到期"]
    assert counts == {"银坊镇": [1, 0, 0, 1, 0], OTHER_TOWNSHIP: [1, 1, 0, 0, 0], "医保局": [1, 0, 0, 0, 1]}
    assert "限期整改" in {r[0] for r in tables["口径说明"]["rows"]}
    # the third quarter, judged on 30 September: every item ordered then, none yet due
    q3 = {t["name"]: t for t in api.get("/api/reports/quarterly", quarter="2025-Q3").json()["tables"]}
    assert {r[0]: r[status] for r in q3["限期整改"]["rows"]} == {
        "ZG-1": "未到期", "ZG-2": "未到期", "SJ-1": "未到期"}
    # the workbook has the sheet
    book = api.get("/api/reports/quarterly", quarter="2025-Q4", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content))["限期整改"]
    assert [c.value for c in sheet[1]][:4] == ["编号", "来源", "问题", "责任单位"]
    # the monthly report lists the items overdue at its end (a township's: its own)
    assert [r[0] for r in sheets(api, "county", month="2025-11")["逾期未整改"]["rows"]] == ["ZG-1"]
    assert [r[0] for r in sheets(api, "township", month="2025-11")["逾期未整改"]["rows"]] == ["ZG-1"]
    assert sheets(api, "township", month="2025-10")["逾期未整改"]["rows"] == [], \
        "not overdue on 31 October, its deadline"


def sheets(api: Api, who: str, **params: Any) -> dict[str, Any]:
    report = api.get("/api/reports/monthly", who, **params)
    assert report.status_code == 200, report.text
    return {t["name"]: t for t in report.json()["tables"]}
