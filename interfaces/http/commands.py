"""Command endpoints: one per command of the case file, each a thin call into `CaseFiles`.

Every command answers with the household, its new version and the log position reached. The
caller's token says who recorded it; the household must lie in the caller's area (checked on
the live household, under its lock, before anything is recorded). An ``Idempotency-Key`` header
makes a repeat answer as the first time and record nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any
from uuid import uuid4

import msgspec
from litestar import Request, Response, patch, post, put
from litestar.params import HeaderParameter, JSONBody, PathParameter

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.unit_of_work import CommandResult, retrying
from domain.codes import Channel, Role
from domain.errors import InvalidValue, RuleViolation
from domain.household import AlertOutcome, Household
from domain.values import IncomeAssessment, MemberDetails
from interfaces.http import schemas as s
from interfaces.http.limits import check_values
from interfaces.http.problems import PROBLEMS
from interfaces.http.views import alert_out, assessment_out

#: How often the server retries a command that lost a race on the same household.

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, max_length=200,
                    description="同一键重发的命令只记录一次，并返回首次的答复"),
]
HouseholdCode = Annotated[str, PathParameter(min_length=1, max_length=40, description="户编号")]
MemberIdNumber = Annotated[str, PathParameter(min_length=1, max_length=32, description="成员身份证号码")]
MeasureId = Annotated[str, PathParameter(min_length=1, max_length=100, description="措施编号")]


def _case_files(request: Request) -> CaseFiles:
    return request.app.state.case_files


def command_id(user: User, key: str | None, command: str, request: Any = None) -> str:
    """The command id recorded with the events: the caller's key, scoped to the caller and the
    command (the same key on another command is another command, never a false repeat), and,
    given the request, a digest of it after ``#`` (see `refuse_reused_key`)."""
    if key is None:
        return ""
    key = key.strip()
    if not key or not key.isprintable() or "#" in key:
        raise InvalidValue("IDEMPOTENCY_KEY", "Idempotency-Key 须为非空可见字符，且不含“#”",
                           "Idempotency-Key")
    base = f"user:{user.name}:{command}:{key}"
    if request is None:
        return base
    digest = hashlib.sha256(msgspec.json.encode(request, order="sorted")).hexdigest()[:16]
    return f"{base}#{digest}"


def refuse_reused_key(household: Household, command_id: str) -> None:
    """A key already used on this household for a *different* request of the same command is
    refused, rather than answered as a repeat of the first (which would drop the second)."""
    base, _, _ = command_id.rpartition("#")
    if base and command_id not in household.command_ids and any(
            recorded.startswith(base + "#") for recorded in household.command_ids):
        raise RuleViolation("IDEMPOTENCY_KEY_REUSED",
                            "此 Idempotency-Key 已用于内容不同的同一操作，请换一个键", "Idempotency-Key")


def new_id(prefix: str, request: Request, key: str | None) -> str:
    """An id for a new alert, measure, visit…; with an Idempotency-Key it is derived from the
    key, so a repeat names the same record."""
    if key is None:
        return f"{prefix}-{uuid4().hex[:12]}"
    seed = f"{request.user.name}:{request.url.path}:{key}".encode()
    return f"{prefix}-{hashlib.sha256(seed).hexdigest()[:12]}"


def answer(result: CommandResult, code: str) -> Response[s.CommandAnswer]:
    outcome = result.outcome
    body = s.CommandAnswer(
        household_id=result.aggregate_id, household_code=code, version=result.version,
        position=result.position,
        alert=alert_out(outcome) if isinstance(outcome, AlertOutcome) else None,
        assessment=assessment_out(outcome) if isinstance(outcome, IncomeAssessment) else None,
    )
    headers = {"Idempotent-Replayed": "true"} if result.repeated else {}
    return Response(body, status_code=201, headers=headers)


def run_command(
    request: Request, code: str, method: str, key: str | None, **command: Any
) -> Response[s.CommandAnswer]:
    """Run a household command as the caller, within their area, retrying lost races."""
    user: User = request.user
    app = _case_files(request)
    check_values(command)

    cid = command_id(user, key, method, {"household": code, **command})

    def allowed(household: Household) -> None:
        user.require_area(household.township, household.village, code)
        if cid:
            refuse_reused_key(household, cid)

    return answer(retrying(lambda: getattr(app, method)(
        code, by=user.actor, command_id=cid, allowed=allowed, **command)), code)


def _fields(data: msgspec.Struct, **replace: Any) -> dict[str, Any]:
    values = msgspec.structs.asdict(data)
    values.update(replace)
    return values


def _member(member: s.MemberIn) -> MemberDetails:
    return MemberDetails(**msgspec.structs.asdict(member))


def _handler(path: str, command: str, summary: str, **options: Any) -> Callable[[Any], Any]:
    return post(path, opt={"command": command}, summary=summary, sync_to_thread=True, responses=PROBLEMS,
                status_code=201, tags=["命令"], **options)


# ---------------------------------------------------------------------- households and members


@_handler("/api/households", "register_household", "农户登记")
def register_household(request: Request, data: JSONBody[s.RegisterHousehold],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    user: User = request.user
    user.require_area(data.township, data.village, data.code)
    check_values(_fields(data))
    result = _case_files(request).register_household(
        **_fields(data, members=[_member(m) for m in data.members]),
        by=user.actor, command_id=command_id(user, idempotency_key, "register_household"),
    )
    return answer(result, data.code)


@_handler("/api/households/{code:str}/members", "join_member", "家庭成员增加")
def join_member(request: Request, code: HouseholdCode, data: JSONBody[s.JoinMember],
                idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "join_member", idempotency_key, details=_member(data.member),
                       reason=data.reason, occurred_on=data.occurred_on)


@_handler("/api/households/{code:str}/members/{id_number:str}/leave", "leave_member", "家庭成员减少")
def leave_member(request: Request, code: HouseholdCode, id_number: MemberIdNumber,
                 data: JSONBody[s.LeaveMember],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "leave_member", idempotency_key, id_number=id_number,
                       **_fields(data))


@patch("/api/households/{code:str}/members/{id_number:str}", opt={"command": "update_member"},
       summary="成员情况变更", sync_to_thread=True, responses=PROBLEMS, status_code=201, tags=["命令"])
def update_member(request: Request, code: HouseholdCode, id_number: MemberIdNumber,
                  data: JSONBody[s.UpdateMember],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    changes = {k: v for k, v in msgspec.structs.asdict(data.changes).items() if v is not None}
    return run_command(request, code, "update_member", idempotency_key, id_number=id_number,
                       changes=changes, occurred_on=data.occurred_on)


# ---------------------------------------------------------------------- alerts and identification


@_handler("/api/households/{code:str}/alerts", "raise_alert", "录入预警信息（三种监测方式）")
def raise_alert(request: Request, code: HouseholdCode, data: JSONBody[s.RaiseAlert],
                idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    user: User = request.user
    if data.channel is Channel.DEPARTMENT_ALERT and user.role is not Role.COUNTY_CENTRE:
        raise AccessDenied("CHANNEL_FORBIDDEN",
                           "部门筛查预警须由部门推送（/api/pushes）或县防贫中心代录", "channel")
    if data.alert_id is not None and ":" in data.alert_id:
        raise InvalidValue("ALERT_ID_FORMAT", "预警编号不能含“:”（为部门推送保留）", "alert_id")
    return run_command(request, code, "raise_alert", idempotency_key,
                       **_fields(data, alert_id=data.alert_id or new_id("A", request, idempotency_key)))


@_handler("/api/households/{code:str}/identification/home-visit", "verify_at_home",
          "认定第一步：入户核查核实")
def verify_at_home(request: Request, code: HouseholdCode, data: JSONBody[s.VerifyAtHome],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "verify_at_home", idempotency_key, **_fields(data))


@_handler("/api/households/{code:str}/identification/village-notice",
          "conclude_village_deliberation", "认定第二步：村级评议公示")
def village_notice(request: Request, code: HouseholdCode, data: JSONBody[s.VillageDeliberation],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "conclude_village_deliberation", idempotency_key,
                       **_fields(data))


@_handler("/api/households/{code:str}/identification/township-review",
          "complete_township_review", "认定第三步：乡镇核查初审")
def township_review(request: Request, code: HouseholdCode, data: JSONBody[s.TownshipReview],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "complete_township_review", idempotency_key,
                       **_fields(data))


@_handler("/api/households/{code:str}/identification/county-decision", "decide_at_county",
          "认定第四步：县级比对审定")
def county_decision(request: Request, code: HouseholdCode, data: JSONBody[s.CountyDecision],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "decide_at_county", idempotency_key, **_fields(data))


@_handler("/api/households/{code:str}/green-channel", "open_green_channel", "开通绿色通道")
def green_channel(request: Request, code: HouseholdCode, data: JSONBody[s.OpenGreenChannel],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "open_green_channel", idempotency_key, **_fields(data))


# ---------------------------------------------------------------------- help


@_handler("/api/households/{code:str}/risk-analyses", "analyse_risk", "风险研判")
def analyse_risk(request: Request, code: HouseholdCode, data: JSONBody[s.AnalyseRisk],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "analyse_risk", idempotency_key, **_fields(data))


@_handler("/api/households/{code:str}/measures", "assign_measure", "安排帮扶措施")
def assign_measure(request: Request, code: HouseholdCode, data: JSONBody[s.AssignMeasure],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "assign_measure", idempotency_key,
                       **_fields(data, measure_id=data.measure_id or new_id("M", request, idempotency_key)))


@_handler("/api/households/{code:str}/measures/{measure_id:str}/in-place", "put_measure_in_place",
          "帮扶措施落实")
def measure_in_place(request: Request, code: HouseholdCode, measure_id: MeasureId,
                     data: JSONBody[s.PutMeasureInPlace],
                     idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "put_measure_in_place", idempotency_key,
                       measure_id=measure_id, occurred_on=data.occurred_on)


@_handler("/api/households/{code:str}/measures/{measure_id:str}/end", "end_measure",
          "帮扶措施结束")
def end_measure(request: Request, code: HouseholdCode, measure_id: MeasureId, data: JSONBody[s.EndMeasure],
                idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "end_measure", idempotency_key, measure_id=measure_id,
                       **_fields(data))


@_handler("/api/households/{code:str}/medical-subsidies", "subsidise_medical_insurance",
          "医保参保资助")
def medical_subsidy(request: Request, code: HouseholdCode, data: JSONBody[s.SubsidiseMedicalInsurance],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "subsidise_medical_insurance", idempotency_key,
                       **_fields(data))


@_handler("/api/households/{code:str}/relief-payouts", "pay_relief_insurance", "防贫保赔付")
def relief_payout(request: Request, code: HouseholdCode, data: JSONBody[s.PayReliefInsurance],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "pay_relief_insurance", idempotency_key,
                       **_fields(data, payout_id=data.payout_id or new_id("P", request, idempotency_key)))


@_handler("/api/households/{code:str}/visits", "record_visit", "入户走访（六项核实）")
def record_visit(request: Request, code: HouseholdCode, data: JSONBody[s.RecordVisit],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "record_visit", idempotency_key,
                       **_fields(data, visit_id=data.visit_id or new_id("V", request, idempotency_key)))


@_handler("/api/households/{code:str}/income-assessments", "assess_income", "收入核算")
def assess_income(request: Request, code: HouseholdCode, data: JSONBody[s.AssessIncome],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "assess_income", idempotency_key,
                       **_fields(data, assessment_id=data.assessment_id
                                 or new_id("I", request, idempotency_key)))


# ---------------------------------------------------------------------- risk elimination


@_handler("/api/households/{code:str}/elimination/home-visit", "verify_elimination_at_home",
          "风险消除第一步：入户核实")
def elimination_home_visit(request: Request, code: HouseholdCode, data: JSONBody[s.VerifyElimination],
                           idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "verify_elimination_at_home", idempotency_key,
                       **_fields(data))


@_handler("/api/households/{code:str}/elimination/village-notice", "conclude_elimination_notice",
          "风险消除第二步：村级评议公示")
def elimination_notice(request: Request, code: HouseholdCode, data: JSONBody[s.EliminationNotice],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "conclude_elimination_notice", idempotency_key,
                       **_fields(data))


@_handler("/api/households/{code:str}/elimination/township-review", "complete_elimination_review",
          "风险消除第三步：乡镇审核")
def elimination_review(request: Request, code: HouseholdCode, data: JSONBody[s.EliminationDecision],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "complete_elimination_review", idempotency_key,
                       **_fields(data))


@_handler("/api/households/{code:str}/elimination/county-decision", "decide_elimination_at_county",
          "风险消除第四步：县级审定")
def elimination_decision(request: Request, code: HouseholdCode, data: JSONBody[s.EliminationDecision],
                         idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "decide_elimination_at_county", idempotency_key,
                       **_fields(data))


# ---------------------------------------------------------------------- corrections and policy


@_handler("/api/households/{code:str}/corrections", "correct", "更正已记录的事实")
def correct(request: Request, code: HouseholdCode, data: JSONBody[s.Correct],
            idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return run_command(request, code, "correct", idempotency_key, **_fields(data))


@put("/api/income-lines/{year:int}", opt={"command": "set_income_line"}, summary="设定收入监测标准",
     sync_to_thread=True, responses=PROBLEMS, status_code=201, tags=["命令"])
def set_income_line(request: Request, year: Annotated[int, PathParameter(ge=2000, le=2100)],
                    data: JSONBody[s.SetIncomeLine],
                    idempotency_key: IdempotencyKey = None) -> Response[s.IncomeLineAnswer]:
    user: User = request.user
    app = _case_files(request)
    check_values(_fields(data))
    result = retrying(lambda: app.set_income_line(
        year=year, **_fields(data), by=user.actor,
        command_id=command_id(user, idempotency_key, "set_income_line"),
    ))
    recorded = app.income_line_set_at(result.version)  # a repeat answers what was recorded
    body = s.IncomeLineAnswer(year=recorded.year, yuan_per_capita=recorded.yuan_per_capita,
                              version=result.version, position=result.position)
    headers = {"Idempotent-Replayed": "true"} if result.repeated else {}
    return Response(body, status_code=201, headers=headers)


COMMAND_HANDLERS = [
    register_household, join_member, leave_member, update_member, raise_alert, verify_at_home,
    village_notice, township_review, county_decision, green_channel, analyse_risk,
    assign_measure, measure_in_place, end_measure, medical_subsidy, relief_payout, record_visit,
    assess_income, elimination_home_visit, elimination_notice, elimination_review,
    elimination_decision, correct, set_income_line,
]
