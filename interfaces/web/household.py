"""One household on the workbench: its case file (now or as it stood on a day), its history,
and a form for each command on it — the same command the API runs, with the same rules, area
check and access log."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from application.accounts.access import User
from application.commands import (
    HOUSEHOLD_COMMANDS,
    HouseholdCommand,
    RegisterHousehold,
    command_from,
    request_body,
)
from application.indicators import end_of_day
from application.unit_of_work import CommandResult
from domain.errors import DomainError, NotFound
from domain.household import STEP_NAMES, AlertOutcome, Household
from domain.household.next_steps import ELIMINATION_STEPS, IDENTIFICATION_STEPS, steps_for
from domain.text import check_texts
from interfaces.http.commands import COMMAND_HANDLERS
from interfaces.http.household_commands import household_command
from interfaces.http.queries import readable_household
from interfaces.http.views import Masker, case_file, history_entries
from interfaces.web import corrections, evidence
from interfaces.web.forms import (
    Field,
    FormError,
    form_fields,
    read_form,
    refusal,
    show_again,
    to_body,
)
from interfaces.web.found_before import FOUND_BEFORE
from interfaces.web.session import county_today, render, signed_in


@get("/web/households/{code:str}", sync_to_thread=True)
def household(request: Request, code: FromPath[str], as_of: FromQuery[str] = "",
              done: FromQuery[str] = "", alert: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    app = request.app.state.case_files
    current = _readable(request, user, app.household(code))
    shown, moment, as_of_error = current, None, ""
    if as_of:
        day = _day(as_of)
        if day is None:
            as_of_error = "日期格式应为 YYYY-MM-DD"
        elif not date(1990, 1, 1) <= day <= county_today(request):
            as_of_error = f"日期须在 1990-01-01 至今天（{county_today(request)}）之间"
        else:
            try:
                moment = end_of_day(day)
                shown = app.household_as_of(code, moment)
            except DomainError:
                as_of_error = f"{as_of} 时该户尚未登记"
                shown, moment = current, None
    mask = Masker(user)
    files = app.attachments().describe(d for e in shown.evidence for d in e.attachments)
    file = msgspec.to_builtins(case_file(shown, user, as_of=moment, files=files))
    entries = [msgspec.to_builtins(e) for e in history_entries(
        [e for e in app.history(code) if moment is None or e.recorded_at <= moment], mask)]
    for entry in entries:
        entry["raw"] = json.dumps(entry.get("details") or {}, ensure_ascii=False, indent=1,
                                  default=str)
    steps = steps_for(current, county_today(request))
    actions = [(name, COMMAND_FORMS[name].title) for name in steps.next
               if name in COMMAND_FORMS and user.may(name)]
    groups = [(title, [(name, form.title) for name, form in COMMAND_FORMS.items()
                       if _chapter(form) == chapter and name in steps.possible
                       and name not in steps.next and user.may(name)])
              for chapter, title in CHAPTERS.items()]
    return render(request, "household.html", user, file=file, entries=entries, code=code,
                  as_of=as_of, as_of_error=as_of_error, actions=actions,
                  groups=[(title, forms) for title, forms in groups if forms],
                  done=_done_notice(current, done, alert), today=county_today(request),
                  thumbnailed={digest for digest, kept in files.items() if kept.has_thumbnail})


def _done_notice(household: Any, command: str, alert_id: str) -> str:
    """What a recorded form did, said from the command's name and the household's own alert:
    the link carries codes, never the text, so a crafted link can show only what is on file."""
    if command == RegisterHousehold.name:
        return "已登记农户"
    form = COMMAND_FORMS.get(command)
    if form is None:
        return ""
    notice = f"已记录：{form.title}"
    alert = household.alerts.get(alert_id) if alert_id else None
    if alert is not None:
        number = alert.case_number
        opened = number is not None and household.cases[number - 1].alert_ids[0] == alert_id
        notice += (f"；生成预警 {alert.alert_id}" +
                   (f"（新案件 {number}）" if opened else
                    f"（并入案件 {number}）" if number else "（重复预警）"))
    return notice


def _day(text: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------- forms


@dataclass(frozen=True)
class CommandForm:
    """A command on one household, as a form of the workbench: the command's body, and the
    fields the API's route names in its path asked first."""

    command: type[HouseholdCommand]
    title: str

    @property
    def body(self) -> type[msgspec.Struct]:
        return request_body(self.command)

    @property
    def extra(self) -> tuple[str, ...]:
        return self.command.path_fields


def _command_forms() -> dict[str, CommandForm]:
    """A form for each command on one household, by its name, titled as its API route."""
    titles = {handler.opt["command"]: handler.summary or "" for handler in COMMAND_HANDLERS}
    return {command.name: CommandForm(command, titles[command.name]) for command in HOUSEHOLD_COMMANDS}


COMMAND_FORMS = _command_forms()
#: The household's other commands, grouped by the chapter of the case file they belong to
#: (the module of `application.commands` each is defined in).
CHAPTERS = {"alerts": "预警", "identification": "识别认定", "help": "帮扶", "visits": "走访与收入",
            "elimination": "风险消除", "households": "家庭成员", "staff": "网格员与帮扶责任人",
            "corrections": "更正", "evidence": "证据附件"}


def _chapter(form: CommandForm) -> str:
    return form.command.__module__.rsplit(".", 1)[-1]


def _form_for(user: User, command: str) -> CommandForm:
    form = COMMAND_FORMS.get(command)
    if form is None:
        raise NotFound("FORM_UNKNOWN", f"没有名为 {command} 的表单", "command")
    user.require(form.command.name)
    return form


@get("/web/households/{code:str}/do/{command:str}", sync_to_thread=True)
def command_page(request: Request, code: FromPath[str], command: FromPath[str],
                 fact: FromQuery[str] = "") -> Template:
    """A command's form (``fact``: for a correction, the recorded fact picked)."""
    user = signed_in(request)
    form = _form_for(user, command)
    household = _readable(request, user, request.app.state.case_files.household(code))
    fields = _fields(request, user, form, household, fact)
    _defaults(fields, household, request)
    return render(request, "command.html", user, code=code, command=command, title=form.title,
                  fields=fields, error=None, form_id=secrets.token_hex(8), household=household,
                  earlier=_earlier_steps(household, command))


def _fields(request: Request, user: User, form: CommandForm, household: Household,
            pick: str) -> list[Field]:
    """The inputs of a command's form; a correction's, for the fact picked."""
    fields = evidence.file_picker(form_fields(form.body, form.extra), household)
    if form.command.name == corrections.COMMAND:
        fields = corrections.correction_fields(fields, household, _facts(request, user, household),
                                               pick)
    return fields


def _facts(request: Request, user: User, household: Household) -> list[corrections.Fact]:
    """The facts a correction may name, each said as the history says it to this reader."""
    entries = history_entries(request.app.state.case_files.history(household.code), Masker(user))
    return corrections.correctable_facts(household, {e.version: e.sentence for e in entries})


def _earlier_steps(household: Any, command: str) -> list[tuple[str, str]]:
    """What the steps before this one found, for the one deciding now (the township's review
    shows the village's visit and notice; 入户核查 the alerts, 风险研判 the risk and the visit,
    帮扶措施 the needs analysed): (step, what it recorded)."""
    case = household.active_case
    if case is None:
        return []
    if command in FOUND_BEFORE:
        return FOUND_BEFORE[command](household, case)
    if command in IDENTIFICATION_STEPS.values():
        procedure, names = case.identification, IDENTIFICATION_STEPS
    elif command in ELIMINATION_STEPS.values():
        procedure, names = case.elimination, ELIMINATION_STEPS
    else:
        return []
    found = []
    for step, name in names.items():
        taken = getattr(procedure, step, None) if procedure is not None else None
        if name == command:
            break
        if taken is not None:
            said = f"{taken.occurred_on}，{taken.decision}" + (f"：{taken.reason}" if taken.reason else "")
            found.append((STEP_NAMES[step], said))
    objections = (case.objections if procedure is case.identification
                  else case.elimination_objections)
    if objections:
        found.append(("公示期间的异议", "；".join(
            f"{o.content}（{o.outcome or '未载明处理结果'}{'：' + o.reason if o.reason else ''}）"
            for o in objections)))
    return found


@post("/web/households/{code:str}/do/{command:str}", opt={"checks_own_text": True},
      request_max_body_size=evidence.FORM_MAX_BYTES)
async def run(request: Request, code: FromPath[str], command: FromPath[str]) -> Response[Any]:
    """Record what the form says, or show it again: refused beside the field named, or redrawn
    (another row asked for, a correction's fact picked) with nothing recorded."""
    user = await anyio.to_thread.run_sync(signed_in, request)
    form = _form_for(user, command)
    submitted = await request.form()
    correcting = form.command.name == corrections.COMMAND
    household = await anyio.to_thread.run_sync(_loaded, request, user, code, correcting)
    facts = await anyio.to_thread.run_sync(_facts, request, user, household) if correcting else []
    fields = evidence.file_picker(form_fields(form.body, form.extra), household)
    if correcting:
        fields = corrections.correction_fields(fields, household, facts,
                                               str(submitted.get("corrects_version", "")))
    more = str(submitted.get("_more", ""))
    error = None
    try:
        check_texts(submitted.multi_items())  # refused beside the field, not on a page of its own
        values = read_form(fields, submitted)
        await evidence.keep_picked(request, user, submitted, fields, values)
        if more or "_redraw" in submitted:
            raise _Redraw
        if correcting:
            values = corrections.as_command_values(values, facts)
        extra = {name: values.pop(name, "") for name in form.extra}
        body = to_body(form.body, values)
        result = await _call(request, user, form, code, body, extra,
                             str(submitted.get("form_id", "")))
    except _Redraw:
        pass
    except (FormError, DomainError) as refused:
        error = refusal(refused)
        if error["code"] == "IDEMPOTENCY_KEY_REUSED":  # the same form sent again with new content
            error = {"field": None, "code": "FORM_ALREADY_SENT",
                     "message": "这张表单已经提交过（例如用浏览器“后退”回来再改）；"
                                "已换成新表单，请核对后再提交一次"}
    else:
        done = {"done": command}
        if isinstance(result.outcome, AlertOutcome):
            done["alert"] = result.outcome.alert_id
        return Redirect(f"/web/households/{quote(code)}?{urlencode(done)}")
    show_again(fields, (error or {}).get("field"), (error or {}).get("message", ""), more)
    return render(request, "command.html", user, code=code, command=command, title=form.title,
                  fields=fields, error=error, form_id=secrets.token_hex(8), household=household,
                  earlier=_earlier_steps(household, command))


class _Redraw(Exception):
    """The form asked to be shown again, not recorded."""


def _loaded(request: Request, user: User, code: str, shown: bool) -> Household:
    """The household a form is sent for; read as shown (area checked, access logged) when its
    page shows its history: the command itself checks the user's area."""
    household = request.app.state.case_files.household(code)
    return _readable(request, user, household) if shown else household


async def _call(request: Request, user: User, form: CommandForm, code: str, body: Any,
                extra: dict[str, str], form_id: str) -> CommandResult:
    """The command as the API runs it, from the form's body and its other fields (the form's id
    makes a double submit record once)."""
    command = command_from(form.command, body, **extra)

    def call() -> CommandResult:
        return household_command(user, request.app.state.case_files, code, command,
                                 key=f"web-{form_id}" if form_id else None, path=request.url.path)

    return await anyio.to_thread.run_sync(call)


def _readable(request: Request, user: User, household: Household) -> Household:
    return readable_household(user, request.app.state.access_log, household, request.url.path)


def _defaults(fields: list[Field], household: Any, request: Request) -> None:
    """First values only where they are true, never a finding someone must state: today for
    dates, the household's active case (it has one at most), the signed-in user as the one
    visiting."""
    today = county_today(request)
    active = household.active_case
    user = request.user
    for f in fields:
        if f.kind == "date":
            f.value = today.isoformat()
        elif f.name == "case_number" and active is not None:
            f.value = active.number
        elif f.name == "visitor":
            f.value = user.display_name or user.name
