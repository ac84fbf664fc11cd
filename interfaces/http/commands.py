"""Command endpoints: one per command of the case file, each a thin call into `CaseFiles`
(a household's commands, `application.commands`, through `household_commands.household_command`).

Every command answers with the household, its new version and the log position reached. The
caller's token says who recorded it; the household must lie in the caller's area (checked on
the live household, under its lock, before anything is recorded). An ``Idempotency-Key`` header
makes a repeat answer as the first time and record nothing. A ``Household-Version`` header
(the case-file version the command was written against, e.g. offline on a phone) refuses it
with ``HOUSEHOLD_CHANGED`` (409) if anything was recorded on the household since.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, patch, post, put
from litestar.params import HeaderParameter, JSONBody, PathParameter

from application import commands as c
from application.accounts.access import User
from application.app import CaseFiles
from application.commands import HouseholdCommand, RegisterHousehold, command_from
from application.unit_of_work import CommandResult, retrying
from domain.errors import InvalidValue
from domain.household import AlertOutcome
from domain.income import IncomeAssessment
from domain.policy import Line
from domain.relief import ReliefBand
from interfaces.http import household_commands
from interfaces.http.household_commands import (
    HOUSEHOLD_VERSION,
    body_fields,
    command_id,
    household_command,
)
from interfaces.http.limits import check_values
from interfaces.http.problems import PROBLEMS
from interfaces.http.schemas import commands as s
from interfaces.http.views import alert_out, assessment_out, relief_bands_out

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, max_length=200,
                    description="同一键重发的命令只记录一次，并返回首次的答复"),
]
HouseholdCode = Annotated[str, PathParameter(min_length=1, max_length=40, description="户编号")]
MemberIdNumber = Annotated[str, PathParameter(min_length=1, max_length=32, description="成员身份证号码")]
MeasureId = Annotated[str, PathParameter(min_length=1, max_length=100, description="措施编号")]
AppealId = Annotated[str, PathParameter(min_length=1, max_length=100, description="申诉编号")]


def _case_files(request: Request) -> CaseFiles:
    return request.app.state.case_files


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


def _run(request: Request, code: str, data: msgspec.Struct, key: str | None,
         **path: str) -> Response[s.CommandAnswer]:
    """The route's command (its ``opt["type"]``) from the body and the path's other parameters,
    run as the caller and answered with what it recorded."""
    command = command_from(request.route_handler.opt["type"], data, **path)
    result = household_command(request.user, _case_files(request), code, command, key=key,
                               path=request.url.path, based_on=based_on(request))
    return answer(result, code)


def based_on(request: Request) -> int | None:
    """The case-file version a household's command was written against (the optional
    ``Household-Version`` header), or None."""
    sent = request.headers.get(HOUSEHOLD_VERSION)
    if sent is None:
        return None
    if not sent.strip().isdigit() or not 1 <= int(sent) <= 2**31:
        raise InvalidValue("HOUSEHOLD_VERSION", f"{HOUSEHOLD_VERSION} 须为档案版本号（正整数）",
                           HOUSEHOLD_VERSION)
    return int(sent)


def _handler(path: str, command: type[HouseholdCommand] | type[RegisterHousehold], summary: str,
             route: Callable[..., Any] = post) -> Callable[[Any], Any]:
    """A command's route: ``opt["command"]`` names it for the role guard (`interfaces.http.auth`),
    ``opt["type"]`` is the command the body becomes."""
    return route(path, opt={"command": command.name, "type": command}, summary=summary,
                 sync_to_thread=True, responses=PROBLEMS, status_code=201, tags=["命令"])


# ---------------------------------------------------------------------- households and members


@_handler("/api/households", c.RegisterHousehold, "农户登记")
def register_household(request: Request, data: JSONBody[s.RegisterHousehold],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    result = household_commands.register_household(request.user, _case_files(request), data,
                                                   key=idempotency_key)
    return answer(result, data.code)


@_handler("/api/households/{code:str}/members", c.JoinMember, "家庭成员增加")
def join_member(request: Request, code: HouseholdCode, data: JSONBody[s.JoinMember],
                idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/members/{id_number:str}/leave", c.LeaveMember, "家庭成员减少")
def leave_member(request: Request, code: HouseholdCode, id_number: MemberIdNumber,
                 data: JSONBody[s.LeaveMember],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key, id_number=id_number)


@_handler("/api/households/{code:str}/members/{id_number:str}", c.UpdateMember, "成员情况变更", route=patch)
def update_member(request: Request, code: HouseholdCode, id_number: MemberIdNumber,
                  data: JSONBody[s.UpdateMember],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key, id_number=id_number)


# ---------------------------------------------------------------------- alerts and identification


@_handler("/api/households/{code:str}/alerts", c.RaiseAlert, "录入预警信息（三种监测方式）")
def raise_alert(request: Request, code: HouseholdCode, data: JSONBody[s.RaiseAlert],
                idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/identification/home-visit", c.VerifyAtHome,
          "认定第一步：入户核查核实")
def verify_at_home(request: Request, code: HouseholdCode, data: JSONBody[s.VerifyAtHome],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/identification/village-notice",
          c.VillageDeliberation, "认定第二步：村级评议公示")
def village_notice(request: Request, code: HouseholdCode, data: JSONBody[s.VillageDeliberation],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/identification/township-review",
          c.TownshipReview, "认定第三步：乡镇核查初审")
def township_review(request: Request, code: HouseholdCode, data: JSONBody[s.TownshipReview],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/identification/county-decision", c.CountyDecision,
          "认定第四步：县级比对审定")
def county_decision(request: Request, code: HouseholdCode, data: JSONBody[s.CountyDecision],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/green-channel", c.OpenGreenChannel, "开通绿色通道")
def green_channel(request: Request, code: HouseholdCode, data: JSONBody[s.OpenGreenChannel],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


# ---------------------------------------------------------------------- help


@_handler("/api/households/{code:str}/risk-analyses", c.AnalyseRisk, "风险研判")
def analyse_risk(request: Request, code: HouseholdCode, data: JSONBody[s.AnalyseRisk],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/measures", c.AssignMeasure, "安排帮扶措施")
def assign_measure(request: Request, code: HouseholdCode, data: JSONBody[s.AssignMeasure],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/measures/{measure_id:str}/in-place", c.PutMeasureInPlace,
          "帮扶措施落实")
def measure_in_place(request: Request, code: HouseholdCode, measure_id: MeasureId,
                     data: JSONBody[s.PutMeasureInPlace],
                     idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key, measure_id=measure_id)


@_handler("/api/households/{code:str}/measures/{measure_id:str}/end", c.EndMeasure,
          "帮扶措施结束")
def end_measure(request: Request, code: HouseholdCode, measure_id: MeasureId, data: JSONBody[s.EndMeasure],
                idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key, measure_id=measure_id)


@_handler("/api/households/{code:str}/medical-subsidies", c.SubsidiseMedicalInsurance,
          "医保参保资助")
def medical_subsidy(request: Request, code: HouseholdCode, data: JSONBody[s.SubsidiseMedicalInsurance],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/relief-payouts", c.PayReliefInsurance, "防贫保赔付")
def relief_payout(request: Request, code: HouseholdCode, data: JSONBody[s.PayReliefInsurance],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/visits", c.RecordVisit, "入户走访（六项核实）")
def record_visit(request: Request, code: HouseholdCode, data: JSONBody[s.RecordVisit],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/income-assessments", c.AssessIncome, "收入核算")
def assess_income(request: Request, code: HouseholdCode, data: JSONBody[s.AssessIncome],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


# ---------------------------------------------------------------------- risk elimination


@_handler("/api/households/{code:str}/elimination/home-visit", c.VerifyElimination,
          "风险消除第一步：入户核实")
def elimination_home_visit(request: Request, code: HouseholdCode, data: JSONBody[s.VerifyElimination],
                           idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/elimination/village-notice", c.EliminationNotice,
          "风险消除第二步：村级评议公示")
def elimination_notice(request: Request, code: HouseholdCode, data: JSONBody[s.EliminationNotice],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/elimination/township-review", c.EliminationTownshipReview,
          "风险消除第三步：乡镇审核")
def elimination_review(request: Request, code: HouseholdCode, data: JSONBody[s.EliminationDecision],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/elimination/county-decision", c.EliminationCountyDecision,
          "风险消除第四步：县级审定")
def elimination_decision(request: Request, code: HouseholdCode, data: JSONBody[s.EliminationDecision],
                         idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


# ---------------------------------------------------------------------- people on the household (§七)


@_handler("/api/households/{code:str}/grid-worker", c.AssignGridWorker, "指定网格员")
def assign_grid_worker(request: Request, code: HouseholdCode, data: JSONBody[s.AssignGridWorker],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/grid-worker/change", c.ChangeGridWorker, "更换网格员")
def change_grid_worker(request: Request, code: HouseholdCode, data: JSONBody[s.ChangeGridWorker],
                       idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/grid-worker/end", c.EndGridWorker, "结束网格员负责")
def end_grid_worker(request: Request, code: HouseholdCode, data: JSONBody[s.EndGridWorker],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/helper", c.AssignHelper, "指定帮扶责任人")
def assign_helper(request: Request, code: HouseholdCode, data: JSONBody[s.AssignHelper],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/helper/change", c.ChangeHelper, "更换帮扶责任人")
def change_helper(request: Request, code: HouseholdCode, data: JSONBody[s.ChangeHelper],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/helper/confirm", c.ConfirmHelper,
          "确认帮扶责任人（纳入监测时沿用原帮扶责任人）")
def confirm_helper(request: Request, code: HouseholdCode, data: JSONBody[s.ConfirmHelper],
                   idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/helper/end", c.EndHelper, "结束帮扶责任人负责")
def end_helper(request: Request, code: HouseholdCode, data: JSONBody[s.EndHelper],
               idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


# ---------------------------------------------------------------------- corrections and policy


@_handler("/api/households/{code:str}/corrections", c.Correct, "更正已记录的事实")
def correct(request: Request, code: HouseholdCode, data: JSONBody[s.Correct],
            idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


# ---------------------------------------------------------------------- appeals


@_handler("/api/households/{code:str}/appeals", c.LodgeAppeal, "提出申诉（不予认定、监测对象类别、风险消除）")
def lodge_appeal(request: Request, code: HouseholdCode, data: JSONBody[s.LodgeAppeal],
                 idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@_handler("/api/households/{code:str}/appeals/{appeal_id:str}/answer", c.AnswerAppeal,
          "答复申诉（作出决定的单位，在申诉答复时限内）")
def answer_appeal(request: Request, code: HouseholdCode, appeal_id: AppealId, data: JSONBody[s.AnswerAppeal],
                  idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key, appeal_id=appeal_id)


@_handler("/api/households/{code:str}/evidence", c.AttachEvidence,
          "附上证据（已上传文件的 SHA-256，附于走访、预警、认定或消除环节、措施、赔付、申诉）")
def attach_evidence(request: Request, code: HouseholdCode, data: JSONBody[s.AttachEvidence],
                    idempotency_key: IdempotencyKey = None) -> Response[s.CommandAnswer]:
    return _run(request, code, data, idempotency_key)


@put("/api/income-lines/{year:int}", opt={"command": "set_income_line"}, summary="设定收入监测标准",
     sync_to_thread=True, responses=PROBLEMS, status_code=201, tags=["命令"])
def set_income_line(request: Request, year: Annotated[int, PathParameter(ge=2000, le=2100)],
                    data: JSONBody[s.SetIncomeLine],
                    idempotency_key: IdempotencyKey = None) -> Response[s.IncomeLineAnswer]:
    return _set_line(request, year, data, idempotency_key, Line.MONITORING, "set_income_line")


@put("/api/poverty-lines/{year:int}", opt={"command": "set_poverty_line"},
     summary="设定扶贫标准（判定返贫致贫，每天都须低于当天施行的收入监测标准）", sync_to_thread=True,
     responses=PROBLEMS, status_code=201, tags=["命令"])
def set_poverty_line(request: Request, year: Annotated[int, PathParameter(ge=2000, le=2100)],
                     data: JSONBody[s.SetIncomeLine],
                     idempotency_key: IdempotencyKey = None) -> Response[s.IncomeLineAnswer]:
    return _set_line(request, year, data, idempotency_key, Line.POVERTY, "set_poverty_line")


def _set_line(request: Request, year: int, data: s.SetIncomeLine, idempotency_key: str | None,
              line: Line, command: str) -> Response[s.IncomeLineAnswer]:
    user: User = request.user
    app = _case_files(request)
    check_values(body_fields(data))
    result = retrying(lambda: app.set_income_line(
        year=year, **body_fields(data), by=user.actor, line=line,
        command_id=command_id(user, idempotency_key, command),
    ))
    recorded = app.income_line_set_at(result.version)  # a repeat answers what was recorded
    body = s.IncomeLineAnswer(year=recorded.year, yuan_per_capita=recorded.yuan_per_capita,
                              version=result.version, position=result.position)
    headers = {"Idempotent-Replayed": "true"} if result.repeated else {}
    return Response(body, status_code=201, headers=headers)


@put("/api/relief-bands/{effective_from:date}", opt={"command": "set_relief_bands"},
     summary="设定防贫保赔付标准（按原因和自付费用分档，及每户年度上限）", sync_to_thread=True,
     responses=PROBLEMS, status_code=201, tags=["命令"])
def set_relief_bands(request: Request, effective_from: Annotated[date, PathParameter(
                         description="生效日期：此日起赔付按本标准审核")],
                     data: JSONBody[s.SetReliefBands],
                     idempotency_key: IdempotencyKey = None) -> Response[s.ReliefBandsAnswer]:
    user: User = request.user
    app = _case_files(request)
    check_values(body_fields(data))
    bands = [ReliefBand(b.cause, b.cost_from, b.cost_to, b.rate) for b in data.bands]
    result = retrying(lambda: app.set_relief_bands(
        effective_from=effective_from, bands=bands, yearly_cap=data.yearly_cap,
        reason=data.reason, occurred_on=data.occurred_on, by=user.actor,
        command_id=command_id(user, idempotency_key, "set_relief_bands"),
    ))
    recorded = app.relief_bands_set_at(result.version)  # a repeat answers what was recorded
    body = s.ReliefBandsAnswer(effective_from=recorded.effective_from,
                               bands=relief_bands_out(recorded), yearly_cap=recorded.yearly_cap,
                               version=result.version, position=result.position)
    headers = {"Idempotent-Replayed": "true"} if result.repeated else {}
    return Response(body, status_code=201, headers=headers)


COMMAND_HANDLERS = [
    register_household, join_member, leave_member, update_member, raise_alert, verify_at_home,
    village_notice, township_review, county_decision, green_channel, analyse_risk,
    assign_measure, measure_in_place, end_measure, medical_subsidy, relief_payout, record_visit,
    assess_income, elimination_home_visit, elimination_notice, elimination_review,
    elimination_decision, assign_grid_worker, change_grid_worker, end_grid_worker,
    assign_helper, change_helper, confirm_helper, end_helper, correct, lodge_appeal, answer_appeal,
    attach_evidence, set_income_line, set_poverty_line, set_relief_bands,
]
