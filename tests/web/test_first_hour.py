"""The first hour of a county official (issue 20), on the county `make run` serves: the demo of
the twelve months up to the clock's today, loaded by `fangpin demo` and served as `fangpin
serve` serves it. (The other browser tests share `workbench`: a demo of 2025 under a July
clock, so their "today" is not the demo's last day.) As the official reads it, on a desk and
on a 360 px phone, nothing scrolling sideways: this month's cards all counting something,
every chart drawn with data, the identification trend saying each month's numerator and
denominator (a month of few cases a hollow point, a month of none a gap), 我的待办 with work,
and the push ledger naming the departments' 漏报 and 迟报.

One county is loaded and served for the module; one signed-in tab per screen."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from application.demo import demo_users
from application.indicators import Scope
from application.matrix import FEW
from application.settings import Settings
from domain.codes import Role
from domain.rules import CHINA_TIME, add_months
from interfaces.http import create_app
from interfaces.web.session import SESSION_COOKIE
from tests.conftest import MAKE_RUN_DAY, TEST_CIPHER_KEY, FakeClock, copy_of_county
from tests.web.conftest import DESKTOP, PHONE, screenshot, serving

#: The evening the official signs in: the demo's last day is this day.
TODAY = MAKE_RUN_DAY.astimezone(CHINA_TIME)
COUNTY = next(user for user in demo_users() if user.role is Role.COUNTY_CENTRE)
SCREENS = {"desk": DESKTOP, "phone": PHONE}


@pytest.fixture(scope="module")
def county(make_run_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`make run` on TODAY: `fangpin demo --households 300`, then the app served on its file."""
    path = copy_of_county(make_run_file, tmp_path_factory.mktemp("first-hour"))
    clock = FakeClock(TODAY.astimezone(UTC))
    app = create_app(Settings(sqlite_path=path, cipher_key=TEST_CIPHER_KEY), clock=clock)
    with serving(app) as served:
        yield served


@pytest.fixture(scope="module")
def tabs(browser: Any, county: dict[str, Any]) -> Iterator[Any]:
    """The county official's tab on each screen, signed in (as the login form does)."""
    opened: dict[str, Any] = {}

    def tab(screen: str) -> Any:
        if screen not in opened:
            context = browser.new_context(base_url=county["url"], locale="zh-CN", **SCREENS[screen])
            session = county["app"].state.logins.open_session(COUNTY)
            context.add_cookies([{"name": SESSION_COOKIE, "value": session, "domain": "127.0.0.1",
                                  "path": "/web", "httpOnly": True}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            opened[screen] = page
        return opened[screen]

    yield tab
    for page in opened.values():
        page.context.close()


#: Each chart as drawn: its canvas's size and the numbers its series carry.
CHARTS = """() => [...document.querySelectorAll('[data-chart]')].map(el => {
  const chart = echarts.getInstanceByDom(el);
  const canvas = el.querySelector('canvas');
  const values = chart ? chart.getOption().series.flatMap(s => s.data).map(
    d => d !== null && typeof d === 'object' ? d.value : d) : [];
  return {key: el.dataset.chart, rendered: el.dataset.rendered === 'true',
          width: canvas ? canvas.width : 0, values: values};
})"""


@pytest.mark.parametrize("screen", SCREENS)
def test_the_dashboard_of_this_month_counts_something_in_every_card_and_chart(
        tabs: Any, fits: Any, county: dict[str, Any], screen: str) -> None:
    page = tabs(screen)
    page.goto("/web/")
    assert page.text_content("h1 small") == str(TODAY.date())
    cards = [t.strip() for t in page.locator("#overview .tile span").all_text_contents()]
    figures = [int(t) for t in page.locator("#overview .tile b").all_text_contents()]
    assert len(figures) == 4 and all(figures), dict(zip(cards, figures, strict=True))
    page.wait_for_function("document.querySelectorAll('[data-chart][data-rendered=true]').length"
                           " === document.querySelectorAll('[data-chart]').length")
    charts = page.evaluate(CHARTS)
    assert {c["key"] for c in charts} == {"category", "township", "channel", "department", "trend"}
    for chart in charts:
        assert chart["rendered"] and chart["width"] > 0, chart
        assert any(isinstance(v, int | float) and v > 0 for v in chart["values"]), chart
    # 我的待办: the county centre's decisions, appeals and self-reports are waiting
    assert page.locator("#task-list li.task").count() > 0
    assert page.locator("#notification-list li.unread").count() > 0
    fits(page, f"first-hour-dashboard-{screen}")
    screenshot(page, f"25-first-hour-dashboard-{screen}")


def test_the_identification_trend_says_each_month_n_of_d_hollow_when_few_and_none_is_a_gap(
        tabs: Any, county: dict[str, Any]) -> None:
    page = tabs("desk")
    page.goto("/web/")
    page.wait_for_selector("#chart-trend[data-rendered=true]")
    drawn = page.evaluate("""() => {
      const chart = echarts.getInstanceByDom(document.querySelector('#chart-trend'));
      const option = chart.getOption();
      return {months: option.xAxis[0].data, points: option.series[0].data};
    }""")
    indicators = county["app"].state.indicators
    today = TODAY.date()
    months = [f"{add_months(today.replace(day=1), -back):%Y-%m}" for back in range(5, -1, -1)]
    assert drawn["months"] == months
    kinds = set()
    for month, point in zip(months, drawn["points"], strict=True):
        figure = indicators.compute(month, scope=Scope()).figure("timely_identification")
        if not figure.denominator:  # no case decided: a gap, not 0%
            assert point["value"] is None and "没有纳入的案件" in point["tip"], point
            kinds.add("gap")
            continue
        assert point["value"] == round(figure.numerator / figure.denominator * 100, 1), point
        assert f"15日内纳入的案件 {figure.numerator} / 纳入的案件 {figure.denominator}" in point["tip"]
        few = figure.denominator < FEW
        assert point["symbol"] == ("emptyCircle" if few else "circle"), point
        kinds.add("few" if few else "enough")
    assert "enough" in kinds, drawn  # most months have several cases
    # the tooltip a hover shows is the point's own words
    index = next(i for i, p in enumerate(drawn["points"]) if p["value"] is not None)
    page.evaluate(f"""() => echarts.getInstanceByDom(document.querySelector('#chart-trend'))
                          .dispatchAction({{type: 'showTip', seriesIndex: 0, dataIndex: {index}}})""")
    tip = page.locator("#chart-trend div", has_text="纳入的案件").last
    tip.wait_for()
    assert re.search(r"\d{4}-\d{2}：\d+\.\d%（15日内纳入的案件 \d+ / 纳入的案件 \d+）", tip.text_content())

    # 考核指标's month-by-month trend shows the rates of few items pale, saying so
    page.goto(f"/web/indicators?period={TODAY.year}")
    cells = page.eval_on_selector_all("#trend td[title]", """cells => cells.map(c => ({
        few: c.classList.contains('few'), title: c.title}))""")
    denominators = [(c["few"], int(m.group(1))) for c in cells
                    if (m := re.search(r" / \S+ (\d+)$", c["title"]))]
    assert any(few for few, _ in denominators) and any(not few for few, _ in denominators)
    assert all(few == (0 < d < FEW) for few, d in denominators), denominators
    assert f"分母不足{FEW}" in page.text_content("#few-legend")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_push_ledger_names_the_departments_missed_and_late_pushes(
        tabs: Any, fits: Any, county: dict[str, Any], screen: str) -> None:
    """This year so far: each department's pushes due, judged as 部门推送及时率 judges them —
    some never arrived (漏报), some came late (迟报)."""
    page = tabs(screen)
    page.goto(f"/web/pushes?period={TODAY.year}")
    lines = page.eval_on_selector_all("#push-book tbody tr[data-department]", """rows => rows.map(r => ({
        department: r.dataset.department, period: r.dataset.period,
        status: r.querySelector('td.status').textContent.trim()}))""")
    result = county["app"].state.indicators.compute(str(TODAY.year), scope=Scope())
    due = {(p.duty.department.value, p.period, p.status) for p in result.pushes}
    shown = {(line["department"], line["period"], line["status"]) for line in lines}
    assert due <= shown, due - shown
    missed = {line["department"] for line in lines if line["status"] == "漏报"}
    late = {line["department"] for line in lines if line["status"].startswith("迟报")}
    assert missed and late, {line["status"] for line in lines}
    assert page.locator("#push-book tbody tr.late").count() >= len(missed)
    fits(page, f"first-hour-pushes-{screen}")
