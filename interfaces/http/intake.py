"""Uploads of department pushes and the registry (multipart), the templates, and the list of
unmatched alerts that townships resolve by attaching each to a household."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, PathParameter, QueryParameter

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.imports import ImportSummary, import_alerts, import_households, template
from application.intake import FileRefused
from application.staff_import import import_staff
from domain.codes import Category, Department, Tier
from domain.deadlines import days_until
from domain.errors import InvalidValue
from domain.household import Household
from domain.identity import mask_id_number
from domain.rules import local_date
from domain.unmatched import HeldAlert
from interfaces.exports import export_area, exporter, logged, pages, workbook
from interfaces.http.auth import area_of
from interfaces.http.problems import PROBLEMS
from interfaces.http.pushes import push_department
from interfaces.http.schemas import intake as s
from interfaces.http.views import outcome_name
from interfaces.overdue import in_area
from interfaces.xlsx import XLSX_TYPE
from projections.queries import ReadModels

#: Largest upload: a 200,000-row push workbook is about 4 MB; CSV files are bigger.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


@dataclass
class AlertUpload:
    """A department push as a file: 预警信息 rows, with the batch's period and tier."""

    file: UploadFile
    tier: Tier
    period: str
    department: Department | None = None
    batch_id: str | None = None
    urgent: bool = False


@dataclass
class RegistryUpload:
    """The household registry as a file: one row per member."""

    file: UploadFile


def _read(upload: UploadFile) -> tuple[Path, bytes]:
    name = Path(upload.filename or "upload.xlsx").name
    return Path(name), upload.file.read()


@post("/api/imports/alerts", opt={"command": "push_alerts"}, summary="上传部门推送（.xlsx 或 .csv）",
      sync_to_thread=True, responses=PROBLEMS, status_code=200, tags=["部门推送"],
      request_max_body_size=MAX_UPLOAD_BYTES)
def upload_alerts(
    request: Request, data: Annotated[AlertUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> s.ImportAnswer:
    return record_push_file(request.app.state, request.user, data)


def record_push_file(state: State, user: User, upload: AlertUpload) -> s.ImportAnswer:
    """Record a department push uploaded as a file, as ``user`` (a department pushes its own;
    the county centre names the department). ``state``: the app's services. The API's upload
    and the workbench's form both come here."""
    department = push_department(user, upload.department)
    app: CaseFiles = state.case_files
    path, content = _read(upload.file)
    summary = _refused_as_invalid(lambda: import_alerts(
        app, path, department=department, tier=upload.tier, period=upload.period, by=user.actor,
        find_household=app.household_code_on, batch_id=upload.batch_id, urgent=upload.urgent,
        duties=state.indicators.cadences.duties, data=content))
    return _answer(summary, app.max_position())


@post("/api/imports/households", opt={"command": "import_households"},
      summary="上传农户名单（.xlsx 或 .csv，每名成员一行）", sync_to_thread=True, responses=PROBLEMS,
      status_code=200, tags=["命令"], request_max_body_size=MAX_UPLOAD_BYTES)
def upload_households(
    request: Request, data: Annotated[RegistryUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> s.ImportAnswer:
    app: CaseFiles = request.app.state.case_files
    path, content = _read(data.file)
    summary = _refused_as_invalid(lambda: import_households(app, path, by=request.user.actor, data=content))
    return _answer(summary, app.max_position())


@post("/api/imports/staff", opt={"command": "import_staff"},
      summary="上传网格员与帮扶责任人名单（.xlsx 或 .csv，每户一行）", sync_to_thread=True,
      responses=PROBLEMS, status_code=200, tags=["命令"], request_max_body_size=MAX_UPLOAD_BYTES)
def upload_staff(
    request: Request, data: Annotated[RegistryUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
) -> s.ImportAnswer:
    """Each row names a household's 网格员 and/or 帮扶责任人: assigned where nobody is, changed
    (with its 更换原因) where another person is; a household outside the caller's area is
    refused by its row."""
    return record_staff_file(request.app.state, request.user, data)


def record_staff_file(state: State, user: User, upload: RegistryUpload) -> s.ImportAnswer:
    """Record a workbook of households' 网格员 and 帮扶责任人 as ``user``, each household within
    the user's area. The API's upload and the workbench's form both come here."""
    user.require("import_staff")
    app: CaseFiles = state.case_files
    path, content = _read(upload.file)

    def allowed(household: Household) -> None:
        user.require_area(household.township, household.village, household.code)

    summary = _refused_as_invalid(lambda: import_staff(app, path, by=user.actor, allowed=allowed,
                                                       data=content))
    return _answer(summary, app.max_position())


def _refused_as_invalid(run: Any) -> ImportSummary:
    try:
        return run()
    except FileRefused as refused:  # the file as a whole: 422 with the reason
        raise InvalidValue(refused.code, refused.message, refused.field) from None


def _answer(summary: ImportSummary, position: int) -> s.ImportAnswer:
    return s.ImportAnswer(
        kind=summary.kind, filename=summary.filename, digest=summary.digest,
        rows_read=summary.rows_read, blank_rows=summary.blank_rows, recorded=summary.recorded,
        rejected=summary.rejected, new_cases=summary.new_cases, joined=summary.joined,
        duplicates=summary.duplicates, unmatched=summary.unmatched,
        households_registered=summary.households_registered,
        members_registered=summary.members_registered, repeated=summary.repeated,
        batch_id=summary.batch_id, already_imported_at=summary.already_imported_at,
        staff_assigned=summary.staff_assigned, staff_changed=summary.staff_changed,
        staff_unchanged=summary.staff_unchanged,
        summary=summary.lines(),
        problems=[s.ImportProblem(row=row, reason=reason) for row, reason in summary.problems],
        errors_xlsx_base64=base64.b64encode(summary.errors).decode() if summary.errors else None,
        position=position,
    )


@get("/api/templates/{kind:str}",
     summary="下载导入模板（预警信息 alerts / 农户名单 households / 网格员与帮扶责任人 staff）",
     sync_to_thread=True, responses=PROBLEMS, tags=["部门推送"], media_type=XLSX_TYPE)
def download_template(
    kind: Annotated[str, PathParameter(pattern="^(alerts|households|staff)$",
                                       description="alerts、households 或 staff")],
) -> Response[bytes]:
    return template_response(kind)


def template_response(kind: str) -> Response[bytes]:
    """The import template of ``kind`` (alerts or households) as a workbook to download."""
    return Response(template(kind), media_type=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="fangpin-template-{kind}.xlsx"'})


# ---------------------------------------------------------------------- unmatched alerts


@get("/api/unmatched-alerts", opt={"read": "households"}, summary="未匹配预警（待乡镇认领）",
     sync_to_thread=True, responses=PROBLEMS, tags=["查询"])
def unmatched_alerts(
    request: Request,
    status: Annotated[str, QueryParameter(
        pattern="^(open|all)$", description="open（待认领）或 all")] = "open",
) -> list[s.UnmatchedAlertOut]:
    user: User = request.user
    app: CaseFiles = request.app.state.case_files
    held = app.unmatched_alerts()
    today = local_date(app.clock())
    area = area_of(user)
    alerts = sorted(held.alerts.values(), key=lambda a: (a.discovered_on, a.alert_id)) if held else []
    return [unmatched_out(user, alert, today) for alert in alerts
            if (status == "all" or alert.pending) and in_area(area, alert)]


def unmatched_out(user: User, alert: HeldAlert, today: date) -> s.UnmatchedAlertOut:
    """A held alert as the API shows it to ``user`` (the person's ID number masked unless the
    role sees ID numbers)."""
    return s.UnmatchedAlertOut(
        alert_id=alert.alert_id, person_id_number=alert.person_id_number if user.sees_id_numbers
        else mask_id_number(alert.person_id_number),
        risk_types=list(alert.risk_types), description=alert.description,
        discovered_on=alert.discovered_on, deadline_on=alert.identification_deadline,
        days_left=days_until(alert.identification_deadline, today) if alert.pending else None,
        department=alert.department, tier=alert.tier, batch_id=alert.batch_id,
        township=alert.township, village=alert.village, held_at=alert.held_at,
        resolved_on=alert.resolved_on, household_code=alert.household_code,
    )


@post("/api/unmatched-alerts/{alert_id:str}/attach", opt={"command": "attach_unmatched_alert"},
      summary="认领未匹配预警：记入其所属农户（发现日期不变，15日时限照常计算）", sync_to_thread=True,
      responses=PROBLEMS, tags=["命令"])
def attach_unmatched(
    request: Request, alert_id: Annotated[str, PathParameter(max_length=200)],
    data: JSONBody[s.AttachIn],
) -> s.AttachAnswer:
    user: User = request.user
    app: CaseFiles = request.app.state.case_files
    held = app.unmatched_alerts()
    alert = held.alerts.get(alert_id) if held else None
    if alert is not None and not in_area(area_of(user), alert):
        raise AccessDenied("OUTSIDE_AREA", "该未匹配预警不属于您的乡镇", "alert_id")

    def allowed(household: Household) -> None:
        user.require_area(household.township, household.village, household.code)

    result = app.attach_unmatched_alert(alert_id, data.household_code, by=user.actor, allowed=allowed,
                                        command_id=f"user:{user.name}:attach:{alert_id}")
    outcome = result.outcome
    return s.AttachAnswer(
        alert_id=alert_id, household_code=data.household_code, position=result.position,
        case_number=outcome.case_number if outcome else None,
        outcome=outcome_name(outcome) if outcome else "已认领", repeated=result.repeated)


@get("/api/exports/{which:str}", opt={"read": "households"}, media_type=XLSX_TYPE,
     summary="导出名单为 xlsx（monitoring / cases / overdue / green-channel / visits-due / "
             "measures-missing / households / appeals），只含本人辖区", sync_to_thread=True,
     responses=PROBLEMS, tags=["查询"])
def export_list(
    request: Request,
    which: Annotated[str, PathParameter(
        pattern="^(monitoring|cases|overdue|green-channel|visits-due|measures-missing|households|appeals)$")],
    township: Annotated[str | None, QueryParameter(required=False, max_length=100)] = None,
    village: Annotated[str | None, QueryParameter(required=False, max_length=100)] = None,
    category: Annotated[Category | None, QueryParameter(required=False)] = None,
    grid_worker: Annotated[str | None, QueryParameter(
        required=False, max_length=100, description="网格员姓名（现任）：只导出其负责的农户")] = None,
) -> Response[bytes]:
    user: User = request.user
    views: ReadModels = request.app.state.read_models
    request.app.state.projections.wait_for(request.app.state.case_files.max_position(), timeout=5)
    rows = pages(views, which, area_of(user), township=township, village=village,
                 category=category.value if category else None, grid_worker=grid_worker,
                 today=local_date(request.app.state.case_files.clock()),
                 held=request.app.state.case_files.unmatched_alerts())
    rows = logged(rows, request.app.state.access_log, user, request.url.path)
    content = workbook(which, rows, f"导出范围：{export_area(user)}；导出人：{exporter(user)}")
    return Response(content, media_type=XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="fangpin-{which}.xlsx"'})


HANDLERS = [upload_alerts, upload_households, upload_staff, download_template, unmatched_alerts,
            attach_unmatched, export_list]
