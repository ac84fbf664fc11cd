"""Assessment indicators on the workbench, the monthly consultation report to download, and the
annual assessment (年考核评估) as a page and a workbook."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from litestar import Request, Response, get
from litestar.params import FromQuery
from litestar.response import Template

from application.accounts.access import AccessDenied
from application.errors import Busy
from application.indicators import IndicatorResult, Scope
from application.matrix import (
    BAND_READING,
    BANDS,
    FEW_READING,
    RANKING_METHOD,
    band_of,
    hover,
    indicator_matrix,
    is_few,
    trend_of,
)
from application.reports import annual_report
from domain.errors import DomainError
from domain.indicators import INDICATOR_BY_CODE
from domain.indicators import Area as IndicatorArea
from domain.periods import Period, parse_period
from interfaces.exports import export_name
from interfaces.http.indicators import monthly_report_for, report_response, scope_for
from interfaces.web.session import county_today, kept_for_this_county, render, signed_in

#: A month period as the indicators page takes it (2025-03).
MONTH = re.compile(r"\d{4}-\d{2}")


@get("/web/reports/monthly", sync_to_thread=True)
def monthly_report(request: Request, month: FromQuery[str] = "") -> Response[Any]:
    """The monthly consultation report as a workbook, for the user's area."""
    user = signed_in(request)
    user.require_read("indicators")
    month = month or f"{county_today(request):%Y-%m}"
    report = monthly_report_for(user, request.app.state.indicators, month)
    return report_response(report, export_name(f"月分析会商报告{month}", user, county_today(request)),
                           "xlsx")


@get("/web/reports/annual", sync_to_thread=True)
def annual(request: Request, year: FromQuery[str] = "", format: FromQuery[str] = "") -> Response[Any]:
    """年考核评估: townships and departments scored and ranked on the year (xlsx: the workbook).
    Typed as a response so the page goes out as HTML (with ``Any`` litestar sent it as JSON)."""
    user = signed_in(request)
    user.require_read("rankings")
    year = year or f"{county_today(request):%Y}"
    try:
        report = annual_report(request.app.state.indicators, year)
    except Busy:
        raise  # a page that says so, 503 with Retry-After (`on_web_error`), not a refusal
    except DomainError as refused:
        return render(request, "report.html", user, report=None, year=year, error=refused.message)
    if format == "xlsx":
        return report_response(report, export_name(f"年考核评估{year}", user, county_today(request)),
                               "xlsx")
    return render(request, "report.html", user, report=report, year=year, error=None)


@get("/web/indicators", sync_to_thread=True)
def indicators(request: Request, period: FromQuery[str] = "", indicator: FromQuery[str] = "",
               area: FromQuery[str] = "", level: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("indicators")
    today = county_today(request)
    period = period or f"{today:%Y}"
    scope = scope_for(user, None, None)  # a township or department sees only its own figures
    detail = None
    if indicator:
        if area and area != scope.name:
            if scope.level != "county":
                raise AccessDenied("OUTSIDE_AREA", f"只能查看{scope.name}的指标明细", "area")
            # a row of the county's table is a township's or a department's
            detail = (indicator, IndicatorArea("department" if level == "department" else "township", area))
        else:
            detail = (indicator, IndicatorArea(scope.level, scope.name))
    try:
        result = _computed(request, parse_period(period), scope, detail, today)
        error = None
    except Busy:
        raise
    except DomainError as refused:
        result, error = None, refused.message
    # the monthly report of the month shown (this month while a year or quarter is shown); a
    # department has none (`monthly_report_for`)
    month = period if MONTH.fullmatch(period) else f"{today:%Y-%m}"
    matrices, months, trend, county_only = [], [], {}, []
    if result is not None:
        levels = ["township", "department"] if scope.level == "county" else [scope.level]
        matrices = [indicator_matrix(result, level) for level in levels]
        months, trend = trend_of(result, IndicatorArea(scope.level, scope.name))
        county_only = [f for f in result.figures if f.area.level == "county"
                       and f.indicator.levels == ("county",)]
    return render(request, "indicators.html", user, result=result, period=period, error=error,
                  households=household_links(request, result) if detail else {},
                  indicator=indicator, area=area or scope.name, level=level, month=month,
                  monthly=scope.level != "department", matrices=matrices, months=months,
                  trend=trend, county_only=county_only, indicators=INDICATOR_BY_CODE,
                  bands=BANDS, band_reading=BAND_READING, ranking_method=RANKING_METHOD,
                  ranked=scope.level == "county" and user.may_read("rankings"),
                  band_of=band_of, hover=hover, is_few=is_few, few_reading=FEW_READING)


def household_links(request: Request, result: IndicatorResult | None) -> dict[str, str]:
    """The household each drill-down item is about, by the item's key: a case's or an appeal's
    (``户编号#n``), a household's (its code) or an alert's (its id, looked up in the push
    ledger); a month or a push is about none."""
    if result is None:
        return {}
    links, alerts = {}, []
    for item in result.items:
        code = item.key.split("#")[0]
        if code.isdigit():
            links[item.key] = code
        else:
            alerts.append(item.key)
    return {**links, **request.app.state.read_models.alert_households(alerts)}


def _computed(request: Request, period: Period, scope: Scope, detail: Any, today: date) -> IndicatorResult:
    """The period's figures and each of its months' (one pass over the facts: a year's twelve
    months cost about as much again as the year), kept until the read models move on."""
    key = (period.label, scope, detail, today, request.app.state.read_side.position())
    results = kept_for_this_county(request, "web_indicator_results")
    result = results.get(key)
    if result is None:
        result = request.app.state.indicators.compute(period, scope=scope, detail=detail,
                                                      months=trend_months(period, today))
        if len(results) > 32:
            results.clear()
        results[key] = result
    return result


def trend_months(period: Period, today: date) -> list[Period]:
    """The months of a year's or a quarter's trend (those begun by ``today``); for a month,
    the five before it (the month itself is the result)."""
    if period.kind != "month":
        return [m for m in period.months() if m.start <= today]
    months, first = [], period.start
    for _ in range(5):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(parse_period(f"{first:%Y-%m}"))
    return months[::-1]
