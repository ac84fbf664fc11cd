"""Pages a county official reads at a glance (issue 20): the case timeline in sentences with the
raw fields a click away, and the indicators as a matrix of units × indicators."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from application.demo import DEMO_TOKENS, demo_users
from domain.codes import Role
from tests.web.conftest import DESKTOP, NOW, PHONE, login, screenshot
from tests.web.test_workbench import _signed_in_client

USERS = {user.role: user for user in demo_users()}
COUNTY, VILLAGE = USERS[Role.COUNTY_CENTRE], USERS[Role.VILLAGE_LIAISON]
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


def _monitored_code(workbench: dict[str, Any]) -> str:
    return workbench["app"].state.read_models.monitoring_list(limit=1).rows[0]["code"]


def test_the_timeline_reads_as_sentences_with_the_raw_fields_a_click_away(
        new_page: Any, workbench: dict[str, Any], fits: Any) -> None:
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
    fits(page, "timeline-phone")  # the raw fields open, too
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
        new_page: Any, workbench: dict[str, Any], fits: Any) -> None:
    from application.indicators import Scope
    from application.matrix import band_of

    page = new_page(**DESKTOP)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/indicators?period=2025")
    fits(page, "matrix-desk")
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


def test_the_matrix_scrolls_in_its_box_on_a_phone(new_page: Any, fits: Any) -> None:
    page = new_page(**PHONE)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/indicators?period=2025")
    fits(page, "matrix-phone")
    box = page.evaluate("""() => { const b = document.querySelector('#matrix-township').parentElement;
                                   return [b.scrollWidth, b.clientWidth]; }""")
    assert box[0] > box[1] and box[1] <= 360  # the matrix scrolls inside its own box
    screenshot(page, "22-indicator-matrix-phone")


def test_one_push_ledger_says_per_department_and_period_what_was_due_and_what_arrived(
        new_page: Any, workbench: dict[str, Any], fits: Any) -> None:
    from application.indicators import Scope

    page = new_page(**DESKTOP)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/pushes?period=2025-Q2")
    fits(page, "push-book-desk")
    lines = page.eval_on_selector_all("#push-book tbody tr[data-department]", """rows => rows.map(r => ({
        department: r.dataset.department, period: r.dataset.period,
        status: r.querySelector('td.status').textContent.trim(),
        county: r.querySelector('td.county').textContent.trim(),
        province: r.querySelector('td.province').textContent.trim()}))""")
    result = workbench["app"].state.indicators.compute("2025-Q2", scope=Scope())
    due = {(p.duty.department.value, p.period, p.status) for p in result.pushes}
    shown = {(line["department"], line["period"], line["status"]) for line in lines}
    assert due <= shown, due - shown  # every push due, judged as 部门推送及时率 counts it
    # the fixture records its whole demo at its clock's instant (2025-07-20): the county began
    # recording then, so nothing due in the quarter before is owed, and the book says none is
    assert result.began_on == NOW.date() and not due
    assert {line["status"] for line in lines} == {"不在推送频次内"}
    arrived = [line for line in lines if line["county"] != "—"]
    assert arrived and all(re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} 接收 · \d+条", line["county"])
                           for line in arrived)
    provincial = {r.batch_id for r in result.batches if r.tier and r.tier.value == "省级推送"}
    for batch in provincial:  # the province's pushes apart from the county's own
        assert any(batch in line["province"] for line in lines) and not any(
            batch in line["county"] for line in lines), batch
    screenshot(page, "23-push-book")


def test_a_department_reads_its_own_lines_with_the_provinces_push_apart(
        workbench: dict[str, Any]) -> None:
    """The department uploads the province's push for the month: the ledger lists it under 省级
    推送 of its own line, not as its county-tier duty; it sees no other department's lines.
    (In January after the demo's year: the fixture's clock is in July, its demo runs to December.)"""
    department = USERS[Role.DEPARTMENT]
    state = workbench["app"].state
    code = state.read_models.directory(limit=500).rows[-1]["code"]  # one other tests do not use
    person = state.case_files.household(code).head.id_number
    clock = state.case_files.clock
    before = clock.now
    clock.now = datetime(2026, 1, 12, 2, 0, tzinfo=UTC)
    client = _signed_in_client(workbench, department.name, DEMO_TOKENS[Role.DEPARTMENT])
    try:
        form = client.get("/web/pushes").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form).group(1)
        csv_text = f"身份证号码,风险类型,发现日期\n{person},因病,2026-01-08\n"
        answer = client.post("/web/pushes/import", data={
            "_csrf_token": token, "tier": "省级推送", "period": "2026-01", "batch_id": "SJ-BOOK-1"},
            files={"file": ("push.csv", csv_text.encode(), "text/csv")})
        assert answer.status_code == 200, answer.text[:300]
        page = client.get("/web/pushes").text  # this month's
    finally:
        client.close()
        clock.now = before
    book = page.split('id="push-book"')[1].split("</table>")[0]
    found = set(re.findall(r'data-department="([^"]+)"', book))
    assert found == {str(department.department)}, found
    line = next(row for row in book.split("<tr")[1:] if "SJ-BOOK-1" in row)
    province = line.split('class="province"')[1]
    county = line.split('class="county"')[1].split('class="province"')[0]
    assert "SJ-BOOK-1" in province and "SJ-BOOK-1" not in county
    assert re.search(r"SJ-BOOK-1 · 2026-01-12 10:00 接收 · 1条：新案件\d、并入\d、重复\d、拒收0", province)


def test_the_push_ledger_is_one_card_per_line_on_a_phone(new_page: Any, fits: Any) -> None:
    page = new_page(**PHONE)
    login(page, COUNTY.name, DEMO_TOKENS[Role.COUNTY_CENTRE])
    page.goto("/web/pushes?period=2025-06")
    assert page.locator("#push-book tbody tr[data-department]").count() > 0
    fits(page, "push-book-phone")
    screenshot(page, "24-push-book-phone")
