"""Indicators, push compliance, reports and meetings for the assessment team, auditors and the
county centre (domain.md §10, §12).

A township sees its own township's figures, a department its own department's; the county
centre, auditors and the assessment team see any area. Every result names the recorded time
and log position it was computed at and the digest of its inputs; ``POST
/api/indicators/verify`` recomputes a published result from the log and says whether it
still matches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, QueryParameter

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.indicators import IndicatorResult, Indicators, Scope
from application.push_book import BOOK_TITLE, BookLine, book_rows, push_book
from application.reports import Report, annual_report, monthly_report, quarterly_report
from application.results import result_json
from domain.cadences import ExpectedPush
from domain.codes import Department, Role, Tier
from domain.errors import InvalidValue
from domain.governance import PushReceipt
from domain.indicators import INDICATOR_BY_CODE, INDICATOR_BY_NAME, Area
from interfaces.exports import as_attachment
from interfaces.http.limits import MONTH_PATTERN, PERIOD_PATTERN, QUARTER_PATTERN
from interfaces.http.problems import PROBLEMS
from interfaces.http.queries import After, AsOf, caught_up, county_today, recorded_time
from interfaces.http.schemas import indicators as s
from interfaces.xlsx import XLSX_TYPE, report_workbook

PeriodText = Annotated[str, QueryParameter(
    min_length=1, max_length=20, schema_extra={"pattern": PERIOD_PATTERN},
    description="统计期：年度 2025、季度 2025-Q1 或月份 2025-03")]
Township = Annotated[str | None, QueryParameter(required=False, max_length=100,
                                              description="乡镇（乡镇用户只能看本乡镇）")]
DepartmentParam = Annotated[Department | None, QueryParameter(
    required=False, description="部门（部门用户只能看本部门）")]
Position = Annotated[int | None, QueryParameter(
    required=False, ge=0, le=2**62, description="日志位置（与 as_of 一起复算已发布的结果）")]
Format = Annotated[str, QueryParameter(pattern="^(json|xlsx)$", description="json 或 xlsx")]
#: What ``indicator`` may name: an indicator's code or its name.
INDICATOR_NAMES = sorted([*INDICATOR_BY_CODE, *INDICATOR_BY_NAME])


def _read(path: str, summary: str, read: str = "indicators", **opt: Any) -> Any:
    return get(path, opt={"read": read, **opt}, summary=summary, sync_to_thread=True, responses=PROBLEMS,
               tags=["考核"])


def scope_for(user: User, township: str | None, department: Department | None) -> Scope:
    """The area a caller asks for, confined to the caller's own (403 outside it)."""
    if township and department:
        raise InvalidValue("SCOPE_AMBIGUOUS", "乡镇与部门只能指定一个", "department")
    if user.role is Role.TOWNSHIP_WORKSTATION:
        if department or (township and township != user.township):
            raise AccessDenied("OUTSIDE_AREA", f"只能查看本乡镇（{user.township}）的指标", "township")
        return Scope("township", user.township or "")
    if user.role is Role.DEPARTMENT:
        if township or (department and department != user.department):
            raise AccessDenied("OTHER_DEPARTMENT", f"只能查看本部门（{user.department}）的指标",
                               "department")
        return Scope("department", str(user.department.value if user.department else ""))
    if township:
        return Scope("township", township.strip())
    if department:
        return Scope("department", department.value)
    return Scope()


def _require_scope(user: User, scope: Scope) -> None:
    """Refuse a township or department user a result for any area but its own."""
    if user.role is Role.TOWNSHIP_WORKSTATION and scope != Scope("township", user.township or ""):
        raise AccessDenied("OUTSIDE_AREA", f"只能核验本乡镇（{user.township}）的指标结果", "scope")
    if user.role is Role.DEPARTMENT and scope != Scope(
            "department", user.department.value if user.department else ""):
        raise AccessDenied("OTHER_DEPARTMENT", f"只能核验本部门（{user.department}）的指标结果", "scope")


def _indicators(request: Request) -> Indicators:
    return request.app.state.indicators


def _moment(as_of: str | None) -> datetime | None:
    return recorded_time(as_of)


@_read("/api/indicators", "考核指标（当前，或按某一记录时点复算）")
def indicators(
    request: Request, period: PeriodText, township: Township = None,
    department: DepartmentParam = None, as_of: AsOf = None, position: Position = None,
    indicator: Annotated[str | None, QueryParameter(
        required=False, max_length=40, schema_extra={"enum": INDICATOR_NAMES},
        description="列出该指标背后的案件（指标名或代码）")] = None,
    after: After = None,
) -> s.IndicatorResultOut:
    scope = scope_for(request.user, township, department)
    caught_up(request, after)
    moment = _moment(as_of)
    if position is not None and moment is None:
        raise InvalidValue("AS_OF_REQUIRED", "按日志位置复算时须同时给出 as_of", "as_of")
    detail = (indicator, Area(scope.level, scope.name)) if indicator else None
    result = _indicators(request).compute(period, scope=scope, as_of=moment, position=position,
                                          detail=detail)
    return _result_out(result)


@post("/api/indicators/verify", opt={"read": "indicators"}, summary="核验已发布的指标结果",
      sync_to_thread=True, responses=PROBLEMS, status_code=200, tags=["考核"])
def verify(request: Request, data: JSONBody[s.PublishedResult]) -> s.VerificationOut:
    published = {
        "period": data.period, "scope": {"level": data.scope.level, "name": data.scope.name},
        "as_of": data.as_of, "position": data.position, "digest": data.digest,
        "version": data.version, "cadences_digest": data.cadences_digest,
        "evaluated_on": data.evaluated_on,
        "figures": [{"indicator": f.indicator, "level": f.level, "area": f.area,
                     "numerator": f.numerator, "denominator": f.denominator, "rate": f.rate}
                    for f in data.figures],
    }
    if data.detail is not None:
        published["detail"] = msgspec.to_builtins(data.detail)
    _require_scope(request.user, Scope(data.scope.level, data.scope.name))
    check = _indicators(request).verify(published)
    return s.VerificationOut(matches=check.matches, digest=check.digest,
                             recomputed_digest=check.recomputed_digest, differences=check.differences)


@_read("/api/push-compliance", "部门推送情况：按时、迟报、漏报，紧急推送另列")
def push_compliance(
    request: Request, period: PeriodText, department: DepartmentParam = None, as_of: AsOf = None,
    after: After = None,
) -> s.PushComplianceOut:
    caught_up(request, after)
    user: User = request.user
    if user.role is Role.TOWNSHIP_WORKSTATION:
        raise AccessDenied("ROLE_FORBIDDEN", "部门推送情况由县防贫中心和部门查看", None)
    scope = scope_for(user, None, department)
    result = _indicators(request).compute(period, scope=scope, as_of=_moment(as_of))
    return s.PushComplianceOut(
        period=result.period.label, as_of=result.as_of, position=result.position,
        digest=result.digest,
        pushes=[expected_push_out(p) for p in sorted(
            result.pushes, key=lambda p: (p.duty.department.value, p.due_on, p.period))],
        urgent=[s.UrgentPushOut(department=r.department, batch_id=r.batch_id, period=r.period,
                                received_on=r.received_on, rows=r.rows) for r in result.urgent],
        batches=[batch_out(r) for r in result.batches],
    )


def reads_push_book(user: User) -> bool:
    """Who reads 推送台账, the departments' duty: the county centre, auditors, the assessment
    team, and a department its own (not a township: the duty is not its)."""
    return user.may_read("indicators") and user.role is not Role.TOWNSHIP_WORKSTATION


def push_book_of(user: User, indicators: Indicators, period: str,
                 department: Department | None) -> tuple[str, list[BookLine]]:
    """推送台账 of ``period`` in the user's scope (a department user: its own): the period's
    label and its lines."""
    if not reads_push_book(user):
        raise AccessDenied("ROLE_FORBIDDEN", "推送台账由县防贫中心、审计、考核组和部门查看", None)
    chosen = department if user.role is not Role.DEPARTMENT else None
    result = indicators.compute(period, scope=scope_for(user, None, chosen))
    return result.period.label, push_book(result)


@_read("/api/pushes/book", f"{BOOK_TITLE}：按部门、期次的应推送与到达（县级、省级分列）",
       read="pushes")
def push_book_route(
    request: Request, period: Annotated[str | None, QueryParameter(
        required=False, min_length=1, max_length=20, schema_extra={"pattern": PERIOD_PATTERN},
        description="统计期：年度、季度或月份（默认本月）")] = None,
    department: DepartmentParam = None, after: After = None,
) -> s.PushBookOut:
    caught_up(request, after)
    label, lines = push_book_of(request.user, _indicators(request),
                                period or f"{county_today(request):%Y-%m}", department)
    return s.PushBookOut(period=label, rows=book_rows(lines))


def expected_push_out(p: ExpectedPush) -> s.ExpectedPushOut:
    """A push a department owed and what it did (push compliance, a department's calendar)."""
    return s.ExpectedPushOut(
        department=p.duty.department, duty=p.duty.number, what=p.duty.what, period=p.period,
        due_on=p.due_on, received_on=p.received_on, received_at=p.received_at,
        tier=Tier(p.tier) if p.tier else None, batch_id=p.batch_id, status=p.status,
        days_late=p.days_late, on_time=p.on_time, reading=p.duty.reading,
    )


def batch_out(r: PushReceipt) -> s.BatchOut:
    return s.BatchOut(department=r.department, batch_id=r.batch_id, tier=r.tier, period=r.period,
                      urgent=r.urgent, received_at=r.received_at, rows=r.rows,
                      new_cases=r.new_cases, joined=r.joined, duplicates=r.duplicates,
                      rejected=r.rejected)


@_read("/api/reports/monthly", "月分析会商报告（JSON 或 xlsx）", also_answers=[XLSX_TYPE])
def monthly(
    request: Request, month: Annotated[str, QueryParameter(
        min_length=1, max_length=20, schema_extra={"pattern": MONTH_PATTERN}, description="月份 2025-03")],
    township: Township = None, as_of: AsOf = None, format: Format = "json",
) -> Response[Any]:
    report = monthly_report_for(request.user, _indicators(request), month, township, as_of)
    return report_response(report, f"monthly-{month}", format)


def monthly_report_for(user: User, indicators: Indicators, month: str, township: str | None = None,
                       as_of: str | None = None) -> Report:
    """The monthly consultation report for the user's area (a township's own, or the county's
    or one township's for the county); a department has none. The API's report and the
    workbench's download both come here."""
    scope = scope_for(user, township, None)
    if scope.level == "department":
        raise AccessDenied("ROLE_FORBIDDEN", "月分析会商报告由县、乡镇查看", None)
    return monthly_report(indicators, month, township=scope.name if scope.level == "township" else None,
                          as_of=_moment(as_of))


@_read("/api/reports/quarterly", "季督导调度报告：乡镇、部门排名（JSON 或 xlsx）", read="rankings",
       also_answers=[XLSX_TYPE])
def quarterly(
    request: Request, quarter: Annotated[str, QueryParameter(
        min_length=1, max_length=20, schema_extra={"pattern": QUARTER_PATTERN}, description="季度 2025-Q1")],
    as_of: AsOf = None, format: Format = "json",
) -> Response[Any]:
    report = quarterly_report(_indicators(request), quarter, as_of=_moment(as_of))
    return report_response(report, f"quarterly-{quarter}", format)


@_read("/api/reports/annual", "年考核评估：乡镇、部门全年指标得分与排名，附可复核的指标结果（JSON 或 xlsx）",
       read="rankings", also_answers=[XLSX_TYPE])
def annual(
    request: Request, year: Annotated[str, QueryParameter(
        min_length=4, max_length=4, schema_extra={"pattern": r"^(20\d\d|2100)$"}, description="年度 2025")],
    as_of: AsOf = None, format: Format = "json",
) -> Response[Any]:
    report = annual_report(_indicators(request), year, as_of=_moment(as_of))
    return report_response(report, f"annual-{year}", format)


def report_response(report: Report, name: str, format: str) -> Response[Any]:
    """A report as JSON, or as a workbook to download (``format="xlsx"``) named ``name``: the
    API's ``fangpin-monthly-2025-07``, or a file name in Chinese (the workbench's, which ends
    in ``.xlsx``)."""
    if format == "xlsx":
        return Response(report_workbook(report), media_type=XLSX_TYPE, headers=as_attachment(name)
                        if name.endswith(".xlsx") else {
                            "Content-Disposition": f'attachment; filename="fangpin-{name}.xlsx"'})
    return Response(report.as_json(), media_type="application/json")


@post("/api/meetings/consultations", opt={"command": "hold_consultation"},
      summary="记录月分析会商", sync_to_thread=True, responses=PROBLEMS, tags=["命令"])
def hold_consultation(request: Request, data: JSONBody[s.ConsultationIn]) -> s.MeetingAnswer:
    app: CaseFiles = request.app.state.case_files
    result = app.hold_consultation(
        meeting_id=data.meeting_id, departments_present=data.departments_present, topics=data.topics,
        decisions=data.decisions, households_discussed=data.households_discussed,
        occurred_on=data.occurred_on, by=request.user.actor,
        command_id=f"user:{request.user.name}:meeting:{data.meeting_id}")
    return s.MeetingAnswer(meeting_id=data.meeting_id, version=result.version,
                           position=result.position, repeated=result.repeated)


@post("/api/meetings/dispatches", opt={"command": "hold_dispatch_meeting"},
      summary="记录季督导调度会议", sync_to_thread=True, responses=PROBLEMS, tags=["命令"])
def hold_dispatch_meeting(request: Request, data: JSONBody[s.DispatchMeetingIn]) -> s.MeetingAnswer:
    app: CaseFiles = request.app.state.case_files
    result = app.hold_dispatch_meeting(
        meeting_id=data.meeting_id, quarter=data.quarter,
        departments_present=data.departments_present, topics=data.topics,
        decisions=data.decisions, households_discussed=data.households_discussed,
        occurred_on=data.occurred_on, by=request.user.actor,
        command_id=f"user:{request.user.name}:meeting:{data.meeting_id}")
    return s.MeetingAnswer(meeting_id=data.meeting_id, version=result.version,
                           position=result.position, repeated=result.repeated)


@_read("/api/meetings", "会商、调度会议记录（研究的户编号遍及全县：县级、审计、考核组查看）",
       read="rankings")
def meetings(request: Request, year: Annotated[int | None, QueryParameter(
        required=False, ge=2000, le=2100)] = None) -> list[s.MeetingOut]:
    app: CaseFiles = request.app.state.case_files
    governance = app.governance()
    found = sorted(governance.meetings.values(), key=lambda m: (m.held_on, m.meeting_id)) \
        if governance else []
    return [s.MeetingOut(kind="月分析会商" if m.kind == "consultation" else "季督导调度",
                         meeting_id=m.meeting_id, held_on=m.held_on, quarter=m.quarter,
                         departments_present=list(m.departments_present), topics=list(m.topics),
                         decisions=list(m.decisions), households_discussed=list(m.households_discussed))
            for m in found if year is None or m.held_on.year == year]


def _result_out(result: IndicatorResult) -> s.IndicatorResultOut:
    data = result_json(result)
    return s.IndicatorResultOut(
        period=data["period"], scope=s.ScopeOut(**data["scope"]), as_of=result.as_of,
        position=result.position, evaluated_on=result.evaluated_on, source=result.source,
        version=result.version, cadences_digest=result.cadences_digest, digest=result.digest,
        figures=[s.FigureOut(**f) for f in data["figures"]],
        formulas={f.indicator.name: f.indicator.formula for f in result.figures},
        detail=s.DetailOut(
            indicator=data["detail"]["indicator"], level=data["detail"]["level"],
            area=data["detail"]["area"],
            items=[s.ItemOut(**item) for item in data["detail"]["items"]],
        ) if "detail" in data else None,
    )


HANDLERS = [indicators, verify, push_compliance, push_book_route, monthly, quarterly, annual,
            hold_consultation, hold_dispatch_meeting, meetings]
