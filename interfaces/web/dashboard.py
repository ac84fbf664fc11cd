"""The workbench's first page: the signed-in person's work and notifications first
(`interfaces.web.my_work`), then the area's monitoring objects, new alerts, the cases nearest their
deadline and the identification trend, as charts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from application.accounts.access import User
from application.errors import Busy
from application.matrix import FEW, hover, is_few
from domain.codes import Category, Channel, Role
from domain.deadlines import days_until
from domain.household import STEP_NAMES
from domain.indicators import Area as IndicatorArea
from domain.indicators import Figure
from domain.periods import parse_period
from interfaces.http.auth import area_of
from interfaces.http.indicators import scope_for
from interfaces.web.my_work import my_work
from interfaces.web.session import county_today, kept_for_this_county, render, signed_in


@get("/web/", sync_to_thread=True)
def dashboard(request: Request, urgency: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    work = my_work(request, user, urgency)
    state = request.app.state
    read_models = state.read_models
    area = area_of(user)
    today = county_today(request)
    month_start = today.replace(day=1)
    alerts_by_channel = read_models.counts("rm_alerts", "channel", area,
                                           since=("discovered_on", month_start))
    alerts_by_department = read_models.counts("rm_alerts", "department", area,
                                              since=("discovered_on", month_start))
    alerts_by_department.pop("", None)
    charts: dict[str, Any] = {}
    by_category: dict[str, int] = {}
    near: list[dict[str, Any]] = []
    visits = open_cases = 0
    households = user.may_read("households")  # a department sees its pushes, not households
    if households:
        by_category = read_models.counts("rm_monitoring", "category", area)
        by_township = read_models.counts("rm_monitoring", "township", area)
        queue = read_models.case_queue(area, today=today, sort="deadline_on", limit=10)
        near, open_cases = [countdown(row, today) for row in queue.rows], queue.total
        visits = read_models.visits_due(area, month=today, limit=1).total
        charts["category"] = _pie("监测对象（按类别）",
                                  {c.value: by_category.get(c.value, 0) for c in Category})
        charts["township"] = _bar("监测对象（按乡镇）", by_township)
    charts["channel"] = _bar(f"{month_start:%Y年%m月}新增预警（按监测方式）",
                             {c.value: alerts_by_channel.get(c.value, 0) for c in Channel})
    charts["department"] = _bar(f"{month_start:%Y年%m月}新增预警（按部门）", alerts_by_department)
    trend_busy = None
    try:
        trend = _identification_trend(request, user, today)
    except Busy as busy:  # the first page still opens; only its trend waits for a quieter moment
        trend, trend_busy = {}, busy.message
    if trend:
        charts["trend"] = _rate_line("识别认定时限达标率（按月）", trend)
    return render(request, "dashboard.html", user, work=work, charts=charts, near=near, visits_due=visits,
                  trend_busy=trend_busy,
                  monitored=sum(by_category.values()), open_cases=open_cases, households=households,
                  overdue=sum(1 for row in near if row["days_until"] < 0), today=today,
                  new_alerts=sum(alerts_by_channel.values()))


def _identification_trend(request: Request, user: User, today: date) -> dict[str, Figure | None]:
    """识别认定时限达标率 for each of the last six months, where the user reads indicators."""
    if not user.may_read("indicators") or user.role is Role.VILLAGE_LIAISON:
        return {}
    scope = scope_for(user, None, None)
    key = (scope, today, request.app.state.read_side.position())
    trends = kept_for_this_county(request, "web_dashboard_trends")
    cached = trends.get(key)
    if cached is not None:
        return cached
    indicators = request.app.state.indicators
    month = today.replace(day=1)
    months = []
    for _ in range(6):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    # One pass over the households' facts: the latest month computed, the five before it
    # tallied from the same facts (six passes made the page take seconds under load).
    latest = indicators.compute(f"{months[0]:%Y-%m}", scope=scope,
                                months=[parse_period(f"{first:%Y-%m}") for first in months[1:]])
    area = IndicatorArea(scope.level, scope.name)
    trend: dict[str, Figure | None] = {}
    for first in reversed(months):
        label = f"{first:%Y-%m}"
        figures = latest.figures if first == months[0] else latest.trend[label]
        trend[label] = next((f for f in figures if f.indicator.code == "timely_identification"
                             and f.area == area), None)
    if len(trends) > 64:
        trends.clear()
    trends[key] = trend  # until the read models move on
    return trend


def _pie(title: str, values: dict[str, int]) -> dict[str, Any]:
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {"trigger": "item"},
            "series": [{"type": "pie", "radius": "60%",
                        "data": [{"name": k, "value": v} for k, v in values.items()]}]}


def _bar(title: str, values: dict[str, int]) -> dict[str, Any]:
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
            "tooltip": {}, "grid": {"containLabel": True, "left": 8, "right": 8},
            "xAxis": {"type": "category", "data": list(values), "axisLabel": {"rotate": 30}},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"type": "bar", "data": list(values.values())}]}


def _rate_line(title: str, figures: dict[str, Figure | None]) -> dict[str, Any]:
    """A rate month by month, as people should read it: each point's tip gives its numerator
    and denominator; a month of few items (`application.matrix.FEW`) is a hollow point, to be
    read with care; a month with none is a gap, not 0%. (``tip`` on a point: the workbench's
    script makes it the tooltip.)"""
    points: list[dict[str, Any]] = []
    label = ""
    for month, figure in figures.items():
        rate = figure.rate if figure is not None else None
        if figure is not None:
            label = figure.indicator.denominator_label
        if rate is None:
            points.append({"value": None, "tip": f"{month}：当月没有{label or '可计入的事项'}"})
            continue
        few = is_few(figure)
        points.append({"value": round(rate * 100, 1), "symbol": "emptyCircle" if few else "circle",
                       "symbolSize": 11 if few else 7, "few": few,
                       "tip": f"{month}：{rate * 100:.1f}%（{hover(figure)}）"
                              + ("，件数少，仅供参考" if few else "")})
    return {"title": {"text": title, "left": "center", "textStyle": {"fontSize": 14},
                      "subtext": f"空心点：当月{label}不足{FEW}件；断开：当月没有",
                      "subtextStyle": {"fontSize": 11}},
            "tooltip": {"trigger": "axis", "tip": True}, "grid": {"containLabel": True, "top": 64},
            "xAxis": {"type": "category", "data": list(figures)},
            "yAxis": {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "series": [{"type": "line", "data": points, "connectNulls": False,
                        "showAllSymbol": True}]}


def countdown(row: dict[str, Any], today: date) -> dict[str, Any]:
    deadline = row.get("deadline_on")
    days = days_until(deadline, today) if deadline else 0  # signed: below 0 when overdue
    return {**row, "days_until": days,
            "countdown": f"超期 {-days} 天" if days < 0 else f"剩 {days} 天",
            "step_names": "、".join(STEP_NAMES.get(s, s) for s in row.get("pending_steps") or [])}
