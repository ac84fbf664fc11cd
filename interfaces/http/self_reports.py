"""Self-reports (农户自主申报, domain.md §5): a public endpoint where a person states a hardship
(no sign-in), and the township's list and answer.

The public answer is the same words for every report taken: it never tells whether the ID
number is registered (nothing looks it up before the township answers). Reports are limited per
source address and per ID number (`application.self_reports.ReportLimits`), 429 past either.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.self_reports import ReportLimits, held_reports, sent_before
from application.unit_of_work import CommandResult
from domain.errors import InvalidValue, NotFound
from domain.household import Household
from domain.identity import mask_id_number, validate_id_number
from domain.self_reports import SelfReport
from interfaces.http.auth import area_of
from interfaces.http.commands import IdempotencyKey
from interfaces.http.problems import PROBLEMS
from interfaces.http.schemas import self_reports as s
from interfaces.http.views import outcome_name
from projections.queries import COUNTY, ReadModels

#: What the public page answers to every report it takes.
RECEIVED = "已收到您的申报。乡镇工作站将尽快核实，并按您留下的电话与您联系。请记下回执编号：{}"


def townships(read_models: ReadModels) -> list[str]:
    """The county's townships: those with registered households."""
    return sorted(t for t in read_models.counts("rm_households", "township", COUNTY) if t)


def check_township(read_models: ReadModels, township: str) -> str:
    known = townships(read_models)
    township = township.strip()
    if township not in known:
        raise InvalidValue("TOWNSHIP_UNKNOWN", f"“{township}”不是本县的乡镇；可选：{'、'.join(known)}",
                           "township")
    return township


def take_self_report(state: State, source: str, stated: s.SelfReportIn, key: str | None = None) -> str:
    """Hold a self-report from ``source`` (the caller's address); its receipt number. The API's
    endpoint and the workbench's public page both take reports this way. ``key`` (an
    Idempotency-Key, or the public form's own id): the same report sent again with it is
    recorded once and answered with the same receipt, without counting against the limits."""
    app: CaseFiles = state.case_files
    township = check_township(state.read_models, stated.township)
    command_id = ""
    if key:
        if not key.isprintable() or len(key) > 200:
            raise InvalidValue("IDEMPOTENCY_KEY", "Idempotency-Key 须为不超过200个可见字符",
                               "Idempotency-Key")
        sent = hashlib.sha256(msgspec.json.encode(stated)).hexdigest()[:16]
        command_id = f"public:{key}#{sent}"  # the same key with another report is another report
        if (done := sent_before(app, township, command_id)) is not None:
            return done
    limits: ReportLimits = state.report_limits
    limits.admit_source(source)
    # checked before it is counted: a typing slip does not use up the person's reports
    person = validate_id_number(stated.person_id_number, "person_id_number")
    limits.admit_person(person)
    return app.report_hardship(
        township, command_id=command_id, name=stated.name, person_id_number=person,
        phone=stated.phone, village=stated.village, story=stated.story).outcome


@post("/api/public/self-reports", opt={"public": True},
      summary="农户自主申报（无需登录）：乡镇工作站核实后才转为预警", sync_to_thread=True,
      responses=PROBLEMS, tags=["自主申报"], status_code=201)
def report_hardship(request: Request, data: JSONBody[s.SelfReportIn],
                    idempotency_key: IdempotencyKey = None) -> s.SelfReportReceipt:
    report_id = take_self_report(request.app.state, source_of(request), data, idempotency_key)
    return s.SelfReportReceipt(report_id=report_id, message=RECEIVED.format(report_id))


def source_of(request: Request) -> str:
    return request.client.host if request.client else ""


def visible_townships(user: User, read_models: ReadModels) -> list[str]:
    area = area_of(user)
    return [area.township] if area.township else townships(read_models)


def report_out(user: User, report: SelfReport) -> s.SelfReportOut:
    return s.SelfReportOut(
        report_id=report.report_id, name=report.name,
        person_id_number=report.person_id_number if user.sees_id_numbers
        else mask_id_number(report.person_id_number),
        phone=report.phone, township=report.township, village=report.village, story=report.story,
        reported_on=report.reported_on, reported_at=report.reported_at, answer=report.answer,
        answered_on=report.answered_on, household_code=report.household_code, reason=report.reason)


@get("/api/self-reports", opt={"read": "self_reports"}, summary="农户自主申报（本乡镇；待核实或全部）",
     sync_to_thread=True, responses=PROBLEMS, tags=["自主申报"])
def self_reports(
    request: Request,
    status: Annotated[str, QueryParameter(
        pattern="^(held|all)$", description="held（待核实）或 all")] = "held",
) -> list[s.SelfReportOut]:
    user: User = request.user
    return [report_out(user, r) for r in reports_for(request.app.state, user, status)]


def reports_for(state: State, user: User, status: str) -> list[SelfReport]:
    """The self-reports ``user`` may see: those still held, or all, oldest first."""
    app: CaseFiles = state.case_files
    places = visible_townships(user, state.read_models)
    if status == "held":
        return held_reports(app, places)
    return sorted((r for t in places if (held := app.self_reports(t)) for r in held.reports.values()),
                  key=lambda r: r.reported_at)


@post("/api/self-reports/{report_id:str}/answer", opt={"command": "answer_self_report"},
      summary="答复自主申报：属实则记为该户的农户自主申报预警（发现之日为申报之日）", sync_to_thread=True,
      responses=PROBLEMS, tags=["自主申报"])
def answer_self_report(
    request: Request, report_id: Annotated[str, PathParameter(max_length=40)],
    data: JSONBody[s.SelfReportAnswerIn],
) -> Response[s.SelfReportAnswered]:
    result = answer_report(request.app.state, request.user, report_id, data)
    outcome = result.outcome
    body = s.SelfReportAnswered(
        report_id=report_id, answer=data.answer, position=result.position,
        household_code=data.household_code if outcome else None,
        case_number=outcome.case_number if outcome else None,
        outcome=outcome_name(outcome) if outcome else None, repeated=result.repeated)
    return Response(body, status_code=201)


def answer_report(state: State, user: User, report_id: str, data: s.SelfReportAnswerIn) -> CommandResult:
    """Answer a held report as ``user`` (their township's only), for the API and the workbench."""
    app: CaseFiles = state.case_files
    township = next((t for t in townships(state.read_models)
                     if (held := app.self_reports(t)) and report_id in held.reports), None)
    if township is None:
        raise NotFound("SELF_REPORT_NOT_FOUND", f"没有编号为 {report_id} 的自主申报", "report_id")
    if township not in visible_townships(user, state.read_models):
        raise AccessDenied("OUTSIDE_AREA", f"该申报属于{township}，不在您的管辖范围内", "report_id")

    def allowed(household: Household) -> None:
        user.require_area(household.township, household.village, household.code)
        if household.township != township:
            raise AccessDenied("OUTSIDE_AREA", f"农户 {household.code} 不在申报所在的{township}",
                               "household_code")

    return app.answer_self_report(
        township, report_id, data.answer, by=user.actor, household_code=data.household_code,
        reason=data.reason, risk_types=tuple(data.risk_types), disaster_kind=data.disaster_kind,
        sudden_hardship=data.sudden_hardship, allowed=allowed,
        command_id=f"user:{user.name}:answer_self_report:{report_id}")


HANDLERS = [report_hardship, self_reports, answer_self_report]
