"""The workbooks as a leader prints them and an officer reads them: every report opens on a
one-page summary (title, county, period, as of when in Beijing time, the headline figures),
and columns are as wide as their Chinese text. No database: reports built by hand."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from application.reports import Headline, Report, Table
from interfaces.exports import sheet_workbook
from interfaces.xlsx import SUMMARY, report_workbook

META = [("统计期", "2026-05"), ("区域", "全县"), ("数据截至（登记时间，北京时间）", "2026-06-01 09:00:00"),
        ("输入摘要", "sha256:" + "ab" * 32)]


def _report(*tables: Table) -> Report:
    return Report("全县防止返贫监测 2026-05 月分析会商报告", META, list(tables),
                  headline=[Headline("走访覆盖率", 0.875, "7/8"), Headline("新识别监测对象户数", 3),
                            Headline("预警核实率", "—", "本期无应统计的对象")],
                  county="涞源县")


def _open(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


class TestTheSummarySheet:
    def test_it_is_first_and_says_what_a_leader_reads(self) -> None:
        book = _open(report_workbook(_report(Table("本月纳入", ["户编号"], [["130630010010001"]]))))
        assert book.sheetnames == [SUMMARY, "本月纳入"]
        sheet = book[SUMMARY]
        assert sheet["A1"].value == "全县防止返贫监测 2026-05 月分析会商报告" and sheet["A1"].font.bold
        said = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}
        assert said["县"].value == "涞源县" and said["统计期"].value == "2026-05"
        assert said["数据截至（登记时间，北京时间）"].value == "2026-06-01 09:00:00"
        assert said["走访覆盖率"].value == 0.875 and said["走访覆盖率"].number_format == "0.0%"
        assert said["新识别监测对象户数"].value == 3 and said["预警核实率"].value == "—"
        assert "本月纳入" in said["其余各表"].value
        assert said["输入摘要"].alignment.wrap_text  # a digest wraps within its column

    def test_it_prints_on_one_portrait_a4_page(self) -> None:
        sheet = _open(report_workbook(_report()))[SUMMARY]
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 1)
        assert sheet.page_setup.orientation == "portrait" and sheet.page_setup.paperSize == 9
        assert all(d.width <= 40 for d in sheet.column_dimensions.values())


class TestColumnWidths:
    def test_a_report_column_grows_with_its_chinese_text(self) -> None:
        names = ["银坊镇东安庄村第三村民小组", "abcdefghijklm"]  # 13 characters each
        table = Table("名单", ["村", "code"], [[names[0], names[1]], ["短", "x"]])
        sheet = _open(report_workbook(_report(table)))["名单"]
        chinese, latin = (sheet.column_dimensions[c].width for c in "AB")
        assert chinese >= 2 * 13 and latin < chinese  # a Chinese character is two columns wide

    def test_an_export_fits_its_values_not_only_its_headers(self) -> None:
        rows = [["130630010010001", "涞源县银坊镇青山村一百二十三号", date(2026, 5, 1)]]
        sheet = _open(sheet_workbook("农户目录", ["户编号", "住址", "日期"], rows)).worksheets[0]
        widths = {c: sheet.column_dimensions[c].width for c in "ABC"}
        assert widths["B"] >= 2 * 15 > widths["A"] >= 15 and widths["C"] >= 10
        assert sheet["B2"].value == rows[0][1]
