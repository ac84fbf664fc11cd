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
