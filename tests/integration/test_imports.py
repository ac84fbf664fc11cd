"""Importing the registry and department pushes from workbooks and CSV files, on both back
ends: row-by-row refusals with the column and a Chinese reason, an error workbook ready to fix,
files that Excel damaged, GB18030, re-imports that record nothing twice, templates."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from application.imports import import_alerts, import_households, template
from application.indicators import Cadences
from application.intake import FileRefused
from domain.codes import Department, Tier
from domain.identity import check_digit
from projections.runner import Projections
from tests.builders import COUNTY

DATA = Path(__file__).resolve().parent.parent / "data"
HEAD = "130630197001010019"           # in tests/data files
WITH_X = "13063019700101006X"
HEADERS = ["户编号", "乡镇", "行政村", "住址", "户类型", "脱贫年度", "姓名", "身份证号码", "与户主关系",
           "健康状况", "劳动能力", "在校生", "参加居民医保"]


def ident(serial: int, birth: str = "19800101") -> str:
    first = f"130630{birth}{serial:03d}"
    return first + check_digit(first)


def workbook(path: Path, headers: list[str], rows: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def member(code: str, name: str, id_number: str, relation: str, **over) -> list:
    row = {"户编号": code, "乡镇": "银坊镇", "行政村": "东村", "住址": f"东村{code[-2:]}号",
           "户类型": "一般农户", "脱贫年度": None, "姓名": name, "身份证号码": id_number,
           "与户主关系": relation, "健康状况": "健康",
           "劳动能力": "普通劳动力", "在校生": "否", "参加居民医保": "是"}
    row.update(over)
    return [row[h] for h in HEADERS]


@pytest.fixture
def county(make_app, clock):
    clock.now = datetime(2025, 3, 10, 2, tzinfo=UTC)
    return make_app()


def finder(app):
    """How a push finds a person's household (the person index), and the read models."""
    return app.household_code_on, Projections(app)


def test_the_registry_registers_whole_households_and_refuses_bad_ones_whole(county, tmp_path):
    path = workbook(tmp_path / "registry.xlsx", HEADERS, [
        member("H01", "张一", HEAD, "本人"),                                   # 2
        member("H01", "李二", ident(2), "配偶"),                              # 3
        member("H02", "王三", ident(3), "本人", 户类型="脱贫户", 脱贫年度=2016),  # 4
        member("H03", "赵四", ident(4), "本人"),                              # 5: household with a bad row
        member("H03", "赵五", ident(5)[:17], "子"),                           # 6: 17 digits
        member("H04", "钱六", ident(6), "配偶"),                              # 7: no head
        member("H05", "孙七", ident(7), "本人", 户类型="贫困户"),               # 8: not a code
        member("H01", "周八", ident(8), "子"),                                # 9: H01 again, apart
        member("H06", "吴九", ident(3), "本人"),                              # 10: same person as row 4
    ])
    summary = import_households(county, path, by=COUNTY)
    assert (summary.rows_read, summary.households_registered, summary.members_registered) == (9, 2, 3)
    assert summary.rejected == 6
    reasons = dict(summary.problems)
    assert "只有17位" in reasons[6] and "同户第 6 行有误，本户未登记" in reasons[5]
    assert "须有且只有一名户主" in reasons[7]
    assert "【户类型】“贫困户”不是码表中的值" in reasons[8]
    assert "须连续排列" in reasons[9]
    assert "与第 4 行的身份证号码相同" in reasons[10]
    assert [m.name for m in county.household("H01").current_members()] == ["张一", "李二"]
    assert county.household("H02").lifted_out_year == 2016

    errors = openpyxl.load_workbook(io.BytesIO(summary.errors)).active
    rows = list(errors.iter_rows(values_only=True))
    assert rows[0] == ("原行号", *HEADERS, "错误原因")
    assert [r[0] for r in rows[1:]] == [5, 6, 7, 8, 9, 10]
    assert rows[2][8] == ident(5)[:17] and "只有17位" in rows[2][-1]

    again = import_households(county, path, by=COUNTY)
    assert again.households_registered == 0 and again.repeated == 3, "recorded nothing twice"


def test_a_department_push_from_a_workbook_with_what_excel_does_to_it(county, tmp_path):
    registry = workbook(tmp_path / "r.xlsx", HEADERS, [member("H01", "张一", HEAD, "本人"),
                                                       member("H01", "李二", WITH_X, "配偶")])
    import_households(county, registry, by=COUNTY)
    find, projections = finder(county)
    with projections:
        summary = import_alerts(county, DATA / "alerts-edge-cases.xlsx",
                                department=Department.MEDICAL_INSURANCE, tier=Tier.COUNTY,
                                period="2025-03上旬", by=COUNTY, find_household=find)
    reasons = dict(summary.problems)
    assert (summary.rows_read, summary.recorded, summary.rejected, summary.blank_rows) == (7, 3, 4, 2)
    assert (summary.new_cases, summary.joined) == (1, 2)
    assert "存成了数字" in reasons[3]
    assert "末位的 X 很可能被 Excel 丢掉了" in reasons[4]
    assert "合并单元格 A5:A6" in reasons[6]
    assert "是否为“因病”" in reasons[8]
    household = county.household("H01")
    assert sorted(a.discovered_on for a in household.alerts.values()) == [
        date(2025, 3, 5), date(2025, 3, 5), date(2025, 3, 7)]
    ledger = county.push_ledger(Department.MEDICAL_INSURANCE)
    receipt = ledger.receipts[summary.batch_id]
    assert (receipt.period, receipt.rows, receipt.rejected) == ("2025-03上旬", 7, 4)


def test_a_gb18030_csv_and_a_clean_file_imported_twice(county, tmp_path):
    import_households(county, workbook(tmp_path / "r.xlsx", HEADERS, [
        member("H01", "张一", HEAD, "本人"), member("H01", "李二", WITH_X, "配偶")]), by=COUNTY)
    find, projections = finder(county)
    with projections:
        summary = import_alerts(county, DATA / "alerts-gb18030.csv", department=Department.HEALTH,
                                tier=Tier.COUNTY, period="2025-03上半月", by=COUNTY, find_household=find)
        reasons = dict(summary.problems)
        assert (summary.rows_read, summary.recorded, summary.blank_rows) == (4, 2, 2)
        assert "科学计数法" in reasons[5] and "“2025-13-05”不是有效日期" in reasons[6]
        # the Excel serial 45721 is 2025-03-05
        assert {(a.person_id_number, a.discovered_on) for a in county.household("H01").alerts.values()
                if a.risk_types == ("因残",)} == {(WITH_X, date(2025, 3, 5))}

        clean = tmp_path / "clean.csv"
        clean.write_bytes(f"身份证号码,风险类型,发现日期\r\n{HEAD},因学,2025-03-09\r\n".encode("utf-8-sig"))
        first = import_alerts(county, clean, department=Department.HEALTH, tier=Tier.COUNTY,
                              period="2025-03上半月", by=COUNTY, find_household=find)
        assert (first.recorded, first.rejected) == (1, 0)
        position = county.max_position()
        again = import_alerts(county, clean, department=Department.HEALTH, tier=Tier.COUNTY,
                              period="2025-03上半月", by=COUNTY, find_household=find)
        assert again.already_imported_at is not None and county.max_position() == position
        assert "本次未重复记录" in again.lines()[0]


def test_files_refused_whole(county, tmp_path):
    find, projections = finder(county)
    with projections:
        def refused(path: Path, **over) -> str:
            with pytest.raises(FileRefused) as error:
                import_alerts(county, path, **{"department": Department.HEALTH, "tier": Tier.COUNTY,
                                               "period": "2025-03上半月", "by": COUNTY,
                                               "find_household": find, **over})
            return error.value.code

        unknown = workbook(tmp_path / "a.xlsx", ["身份证号码", "风险", "发现日期"], [])
        assert refused(unknown) == "HEADER_UNKNOWN"
        assert refused(workbook(tmp_path / "b.xlsx", ["身份证号码", "发现日期"], [])) == "HEADER_MISSING"
        (tmp_path / "c.txt").write_text("x")
        assert refused(tmp_path / "c.txt") == "FILE_FORMAT"
        (tmp_path / "d.xlsx").write_bytes(b"not a workbook")
        assert refused(tmp_path / "d.xlsx") == "FILE_FORMAT"
        assert refused(workbook(tmp_path / "e.xlsx", ["身份证号码", "风险类型", "发现日期"], []),
                       period="2025-03上旬", duties=Cadences.load().duties) == "PUSH_PERIOD_NOT_IN_CADENCE"
    assert county.max_position() == 0, "a refused file records nothing"


def test_templates_have_headers_lists_and_help(tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(template("households")))
    sheet = book["农户名单"]
    assert [c.value for c in sheet[1]] == HEADERS and sheet.freeze_panes == "A2"
    lists = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert set(lists) == {"E", "I", "J", "K", "L", "M"}  # type, relation, health, labour, two flags
    assert sheet["H2"].number_format == "@", "ID numbers typed as text"
    assert book["填写说明"]["A2"].value == "户编号"
    alerts = openpyxl.load_workbook(io.BytesIO(template("alerts")))["预警信息"]
    assert [c.value for c in alerts[1]][:3] == ["身份证号码", "风险类型", "发现日期"]


def test_an_unmatched_row_imported_again_once_its_household_exists_is_attached_not_doubled(county, tmp_path):
    push = tmp_path / "push.csv"
    push.write_text(f"身份证号码,风险类型,发现日期\n{HEAD},因病,2025-03-01\n{HEAD[:17]},因病,2025-03-01\n",
                    encoding="utf-8")
    find, projections = finder(county)
    with projections:
        def imported():
            return import_alerts(county, push, department=Department.HEALTH, tier=Tier.PROVINCIAL,
                                 period="2025-03", by=COUNTY, find_household=find)

        first = imported()
        assert (first.unmatched, first.rejected) == (1, 1)
        registry = workbook(tmp_path / "r.xlsx", HEADERS, [member("H01", "张一", HEAD, "本人")])
        import_households(county, registry, by=COUNTY)
        again = imported()
        assert (again.new_cases, again.unmatched) == (1, 0)
        household = county.household("H01")
        assert [a.discovered_on for a in household.alerts.values()] == [date(2025, 3, 1)]
        assert not county.unmatched_alerts().alerts[next(iter(household.alerts))].pending
        third = imported()
        assert third.repeated == 1 and len(county.household("H01").alerts) == 1


def test_odd_files_are_refused_never_a_traceback(county, tmp_path):
    find, projections = finder(county)
    with projections:
        def run(name: str, content: bytes):
            path = tmp_path / name
            path.write_bytes(content)
            return import_alerts(county, path, department=Department.HEALTH, tier=Tier.PROVINCIAL,
                                 period="2025-03", by=COUNTY, find_household=find)

        for name, content in (("book.csv", (DATA / "alerts-edge-cases.xlsx").read_bytes()),
                              ("utf16.csv", "身份证号码,风险类型,发现日期\n".encode("utf-16")),
                              ("cut.xlsx", (DATA / "alerts-edge-cases.xlsx").read_bytes()[:2000])):
            with pytest.raises(FileRefused) as error:
                run(name, content)
            assert error.value.code == "FILE_FORMAT", name
        long_cell = "住院" * 100_000
        text = f"身份证号码,风险类型,发现日期,情况说明\n{HEAD},因病,2025-13-01,\x07{long_cell}\n"
        summary = run("long.csv", text.encode("utf-8"))
        assert summary.rejected == 1
        errors = openpyxl.load_workbook(io.BytesIO(summary.errors)).active
        assert errors.cell(row=2, column=5).value.startswith("?住院"), "a control character shown as ?"


def test_yes_no_cells_may_be_excel_booleans(county, tmp_path):
    path = workbook(tmp_path / "r.xlsx", HEADERS, [member("H01", "张一", HEAD, "本人", 在校生=False,
                                                          参加居民医保=True)])
    assert import_households(county, path, by=COUNTY).households_registered == 1


def test_the_error_workbook_gives_back_text_exactly_as_typed(county, tmp_path):
    push = tmp_path / "push.csv"
    push.write_text(f"身份证号码,风险类型,发现日期,情况说明\n{HEAD},因病,2025-13-01,=HYPERLINK(\"x\")\n",
                    encoding="utf-8")
    find, projections = finder(county)
    with projections:
        summary = import_alerts(county, push, department=Department.HEALTH, tier=Tier.PROVINCIAL,
                                period="2025-03", by=COUNTY, find_household=find)
    cell = openpyxl.load_workbook(io.BytesIO(summary.errors)).active.cell(row=2, column=5)
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("x")'), "text, never a formula"


def test_a_push_file_meets_its_cadence_criteria_row_by_row(county, tmp_path):
    """⑥ 卫健局's monthly file: a row of an uninsured person with 23,500 yuan of spending is
    recorded with its group and amount; one with 18,000 is refused, naming the column."""
    import_households(county, workbook(tmp_path / "r.xlsx", HEADERS, [
        member("H01", "张一", HEAD, "本人"), member("H01", "李二", WITH_X, "配偶")]), by=COUNTY)
    push = tmp_path / "wj.csv"
    push.write_bytes(("身份证号码,风险类型,发现日期,对象类别,金额（元）\r\n"
                      f'{HEAD},因病,2025-03-09,未参保,"23,500"\r\n'
                      f"{WITH_X},因病,2025-03-09,未参保,18000\r\n").encode("utf-8-sig"))
    find, projections = finder(county)
    with projections:
        summary = import_alerts(county, push, department=Department.HEALTH, tier=Tier.COUNTY,
                                period="2025-03", by=COUNTY, find_household=find,
                                duties=Cadences.load().duties)
    assert (summary.recorded, summary.rejected) == (1, 1)
    reason = dict(summary.problems)[3]
    assert "金额（元）" in reason and "超过20000元" in reason
    alert = next(a for a in county.household("H01").alerts.values() if a.person_id_number == HEAD)
    assert (alert.target_group, alert.amount) == ("未参保", Decimal("23500"))


@pytest.mark.parametrize("header", ["健康状况", "劳动能力", "参加居民医保"])
def test_a_registry_without_a_stated_finding_is_refused_naming_its_column(county, tmp_path, header):
    """健康状况, 劳动能力 and 参保 are findings a person states: never a default."""
    unstated = member("H01", "张一", HEAD, "本人", **{header: None})
    blank = workbook(tmp_path / "blank.xlsx", HEADERS, [unstated])
    summary = import_households(county, blank, by=COUNTY)
    assert (summary.households_registered, summary.rejected) == (0, 1)
    assert f"【{header}】必填，不能为空" in dict(summary.problems)[2]

    headers = [h for h in HEADERS if h != header]
    row = [v for h, v in zip(HEADERS, member("H01", "张一", HEAD, "本人"), strict=True) if h != header]
    with pytest.raises(FileRefused) as refused:
        import_households(county, workbook(tmp_path / "column.xlsx", headers, [row]), by=COUNTY)
    assert refused.value.code == "HEADER_MISSING" and header in refused.value.message
    assert county.max_position() == 0, "nothing recorded"
