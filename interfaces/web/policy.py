"""County policy on the workbench (政策标准): the income monitoring line and the 防贫保 payout
bands in force on a day, and — for the county centre — the forms that set them, running the
same application commands as the API and the CLI (one rule for each, in the domain)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import anyio
from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Template

from application.accounts.access import User
from domain.codes import RiskType
from domain.errors import DomainError, InvalidValue
from domain.policy import Line
from domain.relief import ReliefBand
from domain.rules import RELIEF_CAUSES
from interfaces.http.household_commands import command_id
from interfaces.web.session import county_today, render, signed_in

#: Rows of the bands form: enough for three causes of two or three bands each.
BAND_ROWS = 9


@dataclass
class BandRow:
    """One row of the bands form, as typed (texts), and its error."""

    cause: str = ""
    cost_from: str = ""
    cost_to: str = ""
    rate: str = ""

    @property
    def empty(self) -> bool:
        return not (self.cause or self.cost_from or self.cost_to or self.rate)


@get("/web/policy", sync_to_thread=True)
def policy(request: Request, on: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("policy")
    return _page(request, user, _day(on) or county_today(request))


@post("/web/policy/relief-bands")
async def set_relief_bands(request: Request) -> Template:
    """Set the 防贫保 payout bands from a day (county centre): the rows typed become the bands."""
    user = await anyio.to_thread.run_sync(signed_in, request)
    user.require("set_relief_bands")
    form = await request.form()
    rows = [BandRow(*(str(form.get(f"band-{n}-{name}", "")).strip()
                      for name in ("cause", "cost_from", "cost_to", "rate")))
            for n in range(BAND_ROWS)]
    error = None
    try:
        effective_from = _required_day(str(form.get("effective_from", "")), "effective_from")
        bands = [_band(row, n) for n, row in enumerate(rows) if not row.empty]
        cap = _amount(str(form.get("yearly_cap", "")), "yearly_cap")
        app = request.app.state.case_files
        key = f"web-{form.get('form_id', '')}"
        await anyio.to_thread.run_sync(lambda: app.set_relief_bands(
            effective_from=effective_from, bands=bands, yearly_cap=cap,
            reason=str(form.get("reason", "")), occurred_on=app.today(), by=user.actor,
            command_id=command_id(user, key, "set_relief_bands")))
    except DomainError as refused:
        error = {"form": "bands", "field": refused.field, "message": refused.message,
                 "code": refused.code}
    day = county_today(request) if error else effective_from
    return await anyio.to_thread.run_sync(lambda: _page(
        request, user, day, error=error, rows=rows if error else None,
        done="" if error else f"已设定 {effective_from} 起施行的防贫保赔付标准",
        typed=_typed(form) if error else {}))


@post("/web/policy/income-line")
async def set_income_line(request: Request) -> Template:
    """Set a year's income monitoring line (county centre)."""
    return await _set_line(request, Line.MONITORING)


@post("/web/policy/poverty-line")
async def set_poverty_line(request: Request) -> Template:
    """Set a year's poverty line (county centre)."""
    return await _set_line(request, Line.POVERTY)


async def _set_line(request: Request, line: Line) -> Template:
    view = LINES[line]
    user = await anyio.to_thread.run_sync(signed_in, request)
    user.require(view.command)
    form = await request.form()
    error = None
    try:
        year_text = str(form.get("year", "")).strip()
        if not year_text.isdigit():
            raise InvalidValue("YEAR_INVALID", "年度须为四位数字", "year")
        year = int(year_text)
        yuan = _amount(str(form.get("yuan_per_capita", "")), "yuan_per_capita")
        effective_text = str(form.get("effective_from", "")).strip()
        effective_from = _required_day(effective_text, "effective_from") if effective_text else None
        app = request.app.state.case_files
        key = f"web-{form.get('form_id', '')}"
        await anyio.to_thread.run_sync(lambda: app.set_income_line(
            year=year, yuan_per_capita=yuan, effective_from=effective_from,
            reason=str(form.get("reason", "")), occurred_on=app.today(), by=user.actor, line=line,
            command_id=command_id(user, key, view.command)))
    except DomainError as refused:
        error = {"form": view.prefix, "field": refused.field, "message": refused.message,
                 "code": refused.code}
    done = "" if error else f"已设定 {year} 年{line.value} {yuan} 元/人·年"
    return await anyio.to_thread.run_sync(lambda: _page(
        request, user, county_today(request), error=error, done=done,
        typed=_typed(form) if error else {}))


@dataclass(frozen=True)
class LineView:
    """How the policy page shows one yearly line."""

    slug: str  # its form's path and its section's id
    prefix: str  # its elements' ids
    command: str
    note: str


LINES = {
    Line.MONITORING: LineView("income-line", "line", "set_income_line",
                              "人均纯收入低于此标准的农户有返贫致贫风险，纳入监测范围"),
    Line.POVERTY: LineView("poverty-line", "poverty-line", "set_poverty_line",
                           "人均纯收入低于此标准的人口计入返贫致贫人数（须低于收入监测标准）"),
}


def _page(request: Request, user: User, day: date, *, error: dict[str, Any] | None = None,
          rows: list[BandRow] | None = None, done: str = "", typed: dict[str, Any] | None = None,
          ) -> Template:
    app = request.app.state.case_files
    bands = app.relief_bands_on(day)
    if rows is None:
        rows = [BandRow(b.cause.value, str(b.cost_from), "" if b.cost_to is None else str(b.cost_to),
                        str(b.rate)) for b in (bands.bands if bands else ())]
    rows = (rows + [BandRow() for _ in range(BAND_ROWS)])[:BAND_ROWS]
    lines = [{"name": line.value, "yuan": app.income_line_on(day, line=line), **vars(view)}
             for line, view in LINES.items()]
    return render(request, "policy.html", user, day=day, lines=lines, bands=bands,
                  rows=rows, causes=[c.value for c in RiskType if c in RELIEF_CAUSES],
                  error=error, done=done, typed=typed or {}, form_id=secrets.token_hex(8))


def _typed(form: Any) -> dict[str, str]:
    """What the user typed, to show again beside a refusal."""
    return {key: str(form.get(key, "")) for key in form}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _required_day(text: str, field: str) -> date:
    day = _day(text)
    if day is None:
        raise InvalidValue("DATE_INVALID", "日期格式应为 YYYY-MM-DD", field)
    return day


def _amount(text: str, field: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise InvalidValue("AMOUNT_INVALID", "须为金额，如 60000 或 8300.00", field) from None


def _band(row: BandRow, n: int) -> ReliefBand:
    field = f"bands[{n}]"
    try:
        cause = RiskType(row.cause)
    except ValueError:
        raise InvalidValue("RELIEF_CAUSE_NOT_SUDDEN", "请选择原因", f"{field}.cause") from None
    try:
        rate = Decimal(row.rate)
    except InvalidOperation:
        raise InvalidValue("BAND_RATE", "赔付比例须为 0 到 1 之间的小数，如 0.5", f"{field}.rate") from None
    return ReliefBand(cause, _amount(row.cost_from, f"{field}.cost_from"),
                      _amount(row.cost_to, f"{field}.cost_to") if row.cost_to else None, rate)
