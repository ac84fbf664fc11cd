"""The quarterly ranking (domain.md §10): tiny denominators are not rewarded, the method printed."""

from __future__ import annotations

from types import SimpleNamespace

from application.reports import RANKING_METHOD, _ranking
from domain.indicators import INDICATOR_BY_CODE, Area
from domain.indicators.tally import Figure


def _result(*figures: tuple[str, str, int, int]) -> SimpleNamespace:
    return SimpleNamespace(figures=[
        Figure(INDICATOR_BY_CODE[code], Area("township", area), n, d) for area, code, n, d in figures])


def test_one_late_case_of_one_does_not_sink_a_township_with_a_hundred_visits_right() -> None:
    """Given 甲镇 with 0/1 case on time but 100/100 visits, and 乙镇 with 1/1 case and 80/100
    visits: by the mean of rates 乙镇 (90%) would outrank 甲镇 (50%); weighted by denominators
    甲镇 scores 100/101 and ranks first. A township with no denominator is listed, not ranked."""
    table = _ranking(_result(
        ("甲镇", "timely_identification", 0, 1), ("甲镇", "visit_coverage", 100, 100),
        ("乙镇", "timely_identification", 1, 1), ("乙镇", "visit_coverage", 80, 100),
        ("丙镇", "fell_into_poverty", 3, 0)), "township", "乡镇排名")
    assert table.columns[-2:] == ["分母合计", "综合得分（按分母加权）"]
    assert [(row[0], row[1], row[-2], row[-1]) for row in table.rows] == [
        (1, "甲镇", 101, round(100 / 101, 4)), (2, "乙镇", 101, round(81 / 101, 4)),
        (None, "丙镇", 0, None)]
    assert "分母之和" in RANKING_METHOD


def test_a_ranking_sheet_shows_rates_as_percentages_with_their_counts_on_hover() -> None:
    """乡镇排名 / 部门排名 / 考核排名: each rate a number in the percent format, coloured by band
    as the matrix is, its numerator and denominator in the cell's comment (not text such as
    '100.0%（15/15）', which a spreadsheet can neither sort nor sum)."""
    import io

    import openpyxl

    from application.reports import Report
    from interfaces.xlsx import report_workbook

    table = _ranking(_result(
        ("甲镇", "timely_identification", 14, 15), ("甲镇", "visit_coverage", 100, 100),
        ("乙镇", "timely_identification", 1, 2)), "township", "乡镇排名")
    content = report_workbook(Report("季度考核", [("统计期", "2025-Q1")], [table], county="涞源县"))
    sheet = openpyxl.load_workbook(io.BytesIO(content))["乡镇排名"]
    header = [c.value for c in sheet[1]]
    first = {name: c for name, c in zip(header, sheet[2], strict=True)}
    timely = first["识别认定时限达标率"]
    assert timely.value == round(14 / 15, 4) and timely.number_format == "0.0%"
    assert "14" in timely.comment.text and "15" in timely.comment.text
    assert timely.fill.fgColor.rgb not in (None, "00000000")
    assert first["综合得分（按分母加权）"].number_format == "0.0%"
    assert first["分母合计"].value == 115 and first["名次"].value == 1
    assert not any(isinstance(c.value, str) and "%" in c.value for row in sheet.iter_rows() for c in row)
