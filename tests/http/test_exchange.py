"""Exchange exports (数据共享, domain.md §15): the provincial system's columns and codes, as the
mapping file gives them, in the caller's area, every household read in the access log."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from litestar.testing import TestClient

from interfaces.http import create_app
from tests.http.conftest import OTHER_TOWNSHIP, OTHER_VILLAGE, USERS, Api
from tests.http.kit import HELPER, MEASURE, problem, register


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    return list(sheet.iter_rows(values_only=True))


def exported(api: Api, kind: str, who: str = "county", **params: str) -> list[dict]:
    response = api.get(f"/api/exchange/{kind}", who, **params)
    assert response.status_code == 200, response.text
    if params.get("format") == "csv":
        assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, *rows = sheet_rows(response.content)
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def county(api: Api) -> Api:
    """Two households of 银坊镇东村 (one a monitoring object with a measure whose responsible
    person reads like a formula), one of 水堡镇西村."""
    home = register(api, 1).helped()
    home.do("/measures", {**MEASURE, "measure_id": "M2", "responsible_person": "=1+2",
                          "department": "医保局"})
    home.do("/helper", HELPER, "township")
    register(api, 2)
    register(api, 3, township=OTHER_TOWNSHIP, village=OTHER_VILLAGE)
    api.catch_up()
    return api


def test_monitoring_objects_go_out_with_the_provincial_columns_and_codes(county: Api) -> None:
    rows = exported(county, "monitoring")
    assert list(rows[0]) == ["县", "乡（镇）", "行政村", "户编号", "户主姓名", "户主证件号码", "监测对象类别",
                             "主要风险类型", "识别监测时间", "帮扶责任人", "帮扶责任人联系电话",
                             "是否风险消除程序中"]
    [row] = rows
    assert row["户编号"] == "130630000001" and row["县"] == "涞源县"
    assert row["监测对象类别"] == "2"  # 边缘易致贫户 in the provincial code table
    assert row["主要风险类型"] == "01"  # 因病
    assert row["识别监测时间"] == "2025-03-10" and row["是否风险消除程序中"] == "0"
    assert (row["帮扶责任人"], row["帮扶责任人联系电话"]) == ("王帮扶", "13912345678")
    assert "*" not in row["户主证件号码"], "the county centre exports full ID numbers"
    village = exported(county, "monitoring", "village", format="csv")
    assert [r["户编号"] for r in village] == ["130630000001"]
    assert "**********" in village[0]["户主证件号码"], "a village sees ID numbers masked"
    assert village[0]["识别监测时间"] == "2025-03-10" and village[0]["监测对象类别"] == "2"


def test_households_go_out_one_member_a_row_confined_to_the_area(county: Api) -> None:
    rows = exported(county, "households", "township")
    assert sorted({r["户编号"] for r in rows}) == ["130630000001", "130630000002"]
    assert len(rows) == 6  # three members each
    head = next(r for r in rows if r["户编号"] == "130630000001" and r["与户主关系"] == "01")
    assert (head["姓名"], head["性别"], head["在校生状况"], head["是否监测对象"]) == ("王建国", "1", "0", "1")
    other = exported(county, "households", "other_township", format="csv")
    assert {r["户编号"] for r in other} == {"130630000003"} and len(other) == 3


def test_text_that_looks_like_a_formula_stays_text(county: Api) -> None:
    response = county.get("/api/exchange/measures", "county")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = {c.value: c for row in sheet.iter_rows(min_row=2) for c in row}
    assert "=1+2" in cells and cells["=1+2"].data_type == "s", "kept as text, not a formula"
    assert "责任人" in header
    rows = exported(county, "measures", "county", format="csv")
    assert sorted((r["责任人"], r["帮扶措施类型"], r["落实状态"], r["责任单位"]) for r in rows) == [
        ("'=1+2", "05", "1", "医保局"), ("王医生", "05", "2", "卫健局")]


def test_amounts_go_out_as_yuan_with_two_decimals(county: Api) -> None:
    """资金（元） is a number a spreadsheet sums, shown as ¥1,500.00; the CSV keeps the figure."""
    response = county.get("/api/exchange/measures", "county")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    column = [c.value for c in sheet[1]].index("资金（元）")
    amounts = [row[column] for row in sheet.iter_rows(min_row=2) if row[column].value is not None]
    assert [c.value for c in amounts] == [1500, 1500]  # M1 and M2
    assert {c.number_format for c in amounts} == {'"¥"#,##0.00'}
    assert [r["资金（元）"] for r in exported(county, "measures", "county", format="csv")
            if r["资金（元）"]] == ["1500.00", "1500.00"]


def test_every_household_exported_is_in_the_access_log(county: Api) -> None:
    exported(county, "households", "township", format="csv")
    log = county.get("/api/access-log", "auditor", user=USERS["township"].name).json()
    assert sorted((r["household_code"], r["route"]) for r in log) == [
        ("130630000001", "/api/exchange/households"), ("130630000002", "/api/exchange/households")]


def test_bad_parameters_and_roles_are_refused_naming_them(county: Api) -> None:
    problem(county.get("/api/exchange/monitoring", "county", format="pdf"), 400, "INVALID_REQUEST",
            field="format")
    assert county.get("/api/exchange/people", "county").status_code in (400, 404)
    problem(county.get("/api/exchange/monitoring", "county", township="银坊镇"), 400,
            "INVALID_REQUEST")
    problem(county.get("/api/exchange/monitoring", "department"), 403, "ROLE_FORBIDDEN")


def test_a_countys_own_mapping_changes_the_columns_without_code(settings, clock, tmp_path: Path) -> None:
    mapping = tmp_path / "省模板.toml"
    mapping.write_text('[monitoring]\nsheet = "监测户"\n'
                       '[[monitoring.columns]]\nheader = "类别代码"\nfield = "category"\n'
                       'codes = { "边缘易致贫户" = "B" }\nother = "Z"\n'
                       '[[monitoring.columns]]\nheader = "户号"\nfield = "code"\n', encoding="utf-8")
    clock.now = datetime(2025, 12, 1, 2, 0, tzinfo=UTC)
    app = create_app(replace(settings, exchange_mapping_path=mapping), clock=clock, follow=False)
    with TestClient(app) as client:
        api = Api(client=client, app=app, clock=clock,
                  tokens={"county": app.state.users.add(USERS["county"])})
        register(api, 1).included()
        api.catch_up()
        assert sheet_rows(api.get("/api/exchange/monitoring").content) == [
            ("类别代码", "户号"), ("B", "130630000001")]
        problem(api.get("/api/exchange/measures"), 422, "EXCHANGE_KIND_NOT_MAPPED", field="kind")
        mapping.write_text('[monitoring]\n[[monitoring.columns]]\nheader = "户号"\nfield = "户编号"\n',
                           encoding="utf-8")
        problem(api.get("/api/exchange/monitoring"), 422, "EXCHANGE_MAPPING_INVALID",
                field="monitoring.columns[1].field")


def test_a_list_export_too_puts_every_household_it_sends_in_the_access_log(county: Api) -> None:
    response = county.get("/api/exports/households", "other_township")
    assert response.status_code == 200, response.text
    log = county.get("/api/access-log", "auditor", user=USERS["other_township"].name).json()
    assert [(r["household_code"], r["route"]) for r in log] == [
        ("130630000003", "/api/exports/households")]
