"""Pages a county official reads at a glance (issue 20): the case timeline in sentences with the
raw fields a click away, and the indicators as a matrix of units × indicators."""

from __future__ import annotations

import re
from typing import Any

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from tests.web.conftest import login, screenshot
from tests.web.test_workbench import _signed_in_client

USERS = {user.role: user for user in demo_users()}
COUNTY, VILLAGE = USERS[Role.COUNTY_CENTRE], USERS[Role.VILLAGE_LIAISON]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def _monitored_code(workbench: dict[str, Any]) -> str:
    return workbench["app"].state.read_models.monitoring_list(limit=1).rows[0]["code"]


def test_the_timeline_reads_as_sentences_with_the_raw_fields_a_click_away(
        new_page: Any, workbench: dict[str, Any]) -> None:
    page = new_page(**PHONE)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto(f"/web/households/{_monitored_code(workbench)}")
    said = page.locator("#timeline td.sentence .said").all_text_contents()
    assert said and re.match(r"\d{4}-\d{2}-\d{2} \S+登记农户：", said[0]), said[:1]
    assert any("审定：纳入监测，" in s for s in said), said
    assert not any(c in s for s in said for c in "{}[]"), said
    raw = page.locator("#timeline details.raw").first
    assert not raw.locator("pre").is_visible()
    raw.locator("summary").click()
    assert raw.locator("pre").is_visible()
    assert '"members"' in raw.locator("pre").text_content()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"the household page is {width} px wide on a 360 px screen"
    screenshot(page, "20-timeline-sentences-phone")


def test_a_village_worker_reads_no_full_id_number_in_the_timeline(workbench: dict[str, Any]) -> None:
    from projections.queries import Area

    area = Area("village", township=VILLAGE.township, village=VILLAGE.village)
    code = workbench["app"].state.read_models.directory(area, limit=1).rows[0]["code"]
    client = _signed_in_client(workbench, VILLAGE.name, DEMO_TOKENS[Role.VILLAGE_LIAISON])
    try:
        page = client.get(f"/web/households/{code}")
    finally:
        client.close()
    assert page.status_code == 200
    timeline = page.text.split('id="timeline"')[1]
    assert "登记农户：" in timeline and "原始字段" in timeline
    assert not FULL_ID.search(timeline), FULL_ID.search(timeline)


def _cells(page: Any, selector: str) -> list[dict[str, str]]:
    return page.eval_on_selector_all(selector, """cells => cells.map(c => ({
        text: c.textContent.trim(), title: c.title, band: c.className,
        indicator: c.dataset.indicator || '', area: c.closest('tr').dataset.area || ''}))""")


def test_the_indicators_are_a_matrix_of_townships_ranked_and_coloured(
        new_page: Any, workbench: dict[str, Any]) -> None:
    from application.indicators import Scope
    from application.matrix import band_of

    page = new_page(viewport={"width": 1280, "height": 900})
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/indicators?period=2025")
    townships = page.locator("#matrix-township tbody tr:not(.total)")
    assert townships.count() >= 5
    assert page.locator("#matrix-township tbody tr").first.get_attribute("data-area") == "全县"
    ranks = [int(t) for t in page.locator("#matrix-township tbody tr:not(.total) td.rank")
             .all_text_contents() if t.strip().isdigit()]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) >= 5
    scores = [float(t.rstrip("%")) for t in page.locator("#matrix-township tbody tr:not(.total) td.score")
              .all_text_contents() if t.strip()]
    assert scores == sorted(scores, reverse=True)
    assert "分母之和" in page.text_content(".matrix-card:has(#matrix-township) p.method")
    assert page.locator("#matrix-department tbody tr:not(.total)").count() >= 3

    # each cell: its rate, its numerator/denominator on hover, its band's colour
    result = workbench["app"].state.indicators.compute("2025", scope=Scope())
    shown = {(c["area"], c["indicator"]): c for c in _cells(page, "#matrix-township td[data-indicator]")}
    checked = 0
    for f in result.figures:
        cell = shown.get((f.area.name, f.indicator.name))
        if cell is None or f.area.level != "township" or f.rate is None:
            continue
        assert cell["text"] == f"{f.rate * 100:.1f}%", (cell, f)
        assert cell["title"].endswith(f"{f.numerator} / {f.indicator.denominator_label} {f.denominator}")
        assert band_of(f.rate).css in cell["band"], (cell, f.rate)
        checked += 1
    assert checked >= 20
    bands = {c["band"] for c in shown.values()}
    assert len(bands & {"band-good", "band-fair", "band-poor"}) >= 2, bands  # the demo has gaps

    # the trend: a column per month begun, each the month's own figure
    today = workbench["app"].state.case_files.today()
    months = page.locator("#trend thead th").all_text_contents()[1:]
    assert months[0] == "2025-01" and months[-1] == f"{min(today, today.replace(year=2025, month=12)):%Y-%m}"
    march = workbench["app"].state.indicators.compute("2025-03", scope=Scope())
    visits = march.figure("visit_coverage")
    row = page.locator("#trend tr[data-indicator='走访覆盖率'] td")
    assert row.nth(months.index("2025-03")).text_content() == f"{visits.rate * 100:.1f}%"
    screenshot(page, "21-indicator-matrix")

    # the drill-down is a click away
    page.click("#matrix-township tbody tr:not(.total) td[data-indicator='走访覆盖率'] a >> nth=0")
    page.wait_for_selector("#drill-down")
    assert page.locator("#drill-down tbody a").count() > 0


def test_the_matrix_scrolls_in_its_box_on_a_phone(new_page: Any) -> None:
    page = new_page(**PHONE)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/indicators?period=2025")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 362, f"the indicators page is {width} px wide on a 360 px screen"
    box = page.evaluate("""() => { const b = document.querySelector('#matrix-township').parentElement;
                                   return [b.scrollWidth, b.clientWidth]; }""")
    assert box[0] > box[1] and box[1] <= 360  # the matrix scrolls inside its own box
    screenshot(page, "22-indicator-matrix-phone")
