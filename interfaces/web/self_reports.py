"""农户自主申报 on the workbench: the public page where a person reports a hardship (no sign-in,
made for a phone), and the township's page that answers each report. Both take and answer
reports as the API does (`interfaces.http.self_reports`), so the rules and limits are the same."""

from __future__ import annotations

import secrets
from typing import Any

import anyio
from litestar import Request, get, post
from litestar.response import Template

from application.cells import read_code
from domain.codes import DisasterKind, RiskType, SuddenHardship
from domain.errors import DomainError
from domain.self_reports import Answer
from interfaces.http.schemas.self_reports import SelfReportAnswerIn, SelfReportIn
from interfaces.http.self_reports import (
    RECEIVED,
    answer_report,
    report_out,
    reports_for,
    source_of,
    take_self_report,
    townships,
)
from interfaces.web.session import render, signed_in

#: The public form's fields, in order, with their labels.
FIELDS = (("name", "姓名"), ("person_id_number", "身份证号码"), ("phone", "联系电话"),
          ("township", "所在乡镇"), ("village", "所在村"), ("story", "遇到了什么困难"))


@get("/web/self-report", sync_to_thread=True)
def self_report_page(request: Request) -> Template:
    return _public(request, typed={}, error=None)


@post("/web/self-report")
async def self_report(request: Request) -> Template:
    form = await request.form()
    typed = {name: str(form.get(name, "")) for name, _ in FIELDS}
    form_id = str(form.get("form_id", ""))[:64]  # the form sent twice (a double tap) is one report
    try:
        report_id = await anyio.to_thread.run_sync(
            take_self_report, request.app.state, source_of(request), SelfReportIn(**typed),
            f"web-form:{form_id}" if form_id else None)
    except DomainError as refused:
        error = _error(refused)
        return await anyio.to_thread.run_sync(
            lambda: _public(request, typed=typed, error=error, form_id=form_id))
    return render(request, "self_report.html", None, done=RECEIVED.format(report_id), report_id=report_id,
                  fields=FIELDS, townships=[], typed={}, error=None)


def _public(request: Request, *, typed: dict[str, str], error: dict[str, Any] | None,
            form_id: str = "") -> Template:
    return render(request, "self_report.html", None, fields=FIELDS, typed=typed, error=error,
                  townships=townships(request.app.state.read_models), done=None,
                  form_id=form_id or secrets.token_urlsafe(16))


@get("/web/self-reports", sync_to_thread=True)
def self_reports(request: Request) -> Template:
    user = signed_in(request)
    user.require_read("self_reports")
    return _desk(request, user)


@post("/web/self-reports/{report_id:str}/answer")
async def answer(request: Request, report_id: str) -> Template:
    user = await anyio.to_thread.run_sync(signed_in, request)
    user.require("answer_self_report")
    form = await request.form()
    typed = {name: str(form.get(name, "")) for name in (
        "answer", "household_code", "reason", "disaster_kind", "sudden_hardship")}
    typed["risk_types"] = form.getall("risk_types", [])
    try:
        if typed["answer"] not in {a.value for a in Answer}:
            raise DomainError("ANSWER_REQUIRED", "请选择核实结论", "answer")
        body = SelfReportAnswerIn(
            answer=Answer(typed["answer"]), household_code=typed["household_code"].strip() or None,
            risk_types=[RiskType(r) for r in typed["risk_types"] if r in RiskType.__members__.values()],
            disaster_kind=read_code(DisasterKind, typed["disaster_kind"], "disaster_kind")
            if typed["disaster_kind"] else None,
            sudden_hardship=read_code(SuddenHardship, typed["sudden_hardship"], "sudden_hardship")
            if typed["sudden_hardship"] else None,
            reason=typed["reason"])
        await anyio.to_thread.run_sync(answer_report, request.app.state, user, report_id, body)
    except DomainError as refused:
        error = {**_error(refused), "report_id": report_id}
        return await anyio.to_thread.run_sync(lambda: _desk(request, user, error=error, typed=typed))
    done = f"已答复申报 {report_id}：{body.answer}"
    return await anyio.to_thread.run_sync(lambda: _desk(request, user, done=done))


def _desk(request: Request, user: Any, *, error: dict[str, Any] | None = None,
          typed: dict[str, Any] | None = None, done: str = "") -> Template:
    state = request.app.state
    # as the API shows them: ID numbers masked for a role that does not see them
    held = [report_out(user, r) for r in reports_for(state, user, "held")]
    answered = [report_out(user, r) for r in reports_for(state, user, "all") if not r.held][-20:]
    return render(request, "self_reports.html", user, held=held, answered=answered,
                  answers=[a.value for a in Answer], risk_types=[r.value for r in RiskType],
                  disaster_kinds=[k.value for k in DisasterKind],
                  hardships=[h.value for h in SuddenHardship],
                  error=error, typed=typed or {}, done=done)


def _error(refused: DomainError) -> dict[str, Any]:
    return {"code": refused.code, "message": refused.message, "field": refused.field}
