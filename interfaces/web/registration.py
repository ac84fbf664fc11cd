"""农户登记 on the workbench: a household with its members as rows (name, ID number, relation,
health…), more rows at a click, each row's refusal beside that row's input — sent as the same
`RegisterHousehold` the API runs (`interfaces.http.household_commands.register_household`), so
the area check, the one-household-per-person rule and the ID checks are the API's."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from litestar import Request, Response, get, post
from litestar.response import Redirect, Template

from application.accounts.access import User
from application.commands import RegisterHousehold
from domain.errors import DomainError
from domain.text import check_texts
from interfaces.http.household_commands import register_household
from interfaces.web.forms import Field, FormError, form_fields, read_form, refusal, show_again, to_body
from interfaces.web.session import county_today, render, signed_in

TITLE = "农户登记"


@get("/web/register", sync_to_thread=True)
def register_page(request: Request) -> Template:
    user = signed_in(request)
    user.require(RegisterHousehold.name)
    fields = form_fields(RegisterHousehold)
    for f in fields:  # true of every household this user registers, so filled in
        if f.kind == "date":
            f.value = county_today(request).isoformat()
        elif f.name in ("township", "village"):
            f.value = getattr(user, f.name)
    return _page(request, user, fields, None)


@post("/web/register", opt={"checks_own_text": True})
async def register(request: Request) -> Response[Any]:
    """Register the household the form describes, or show the form again: refused beside the
    input named, or with the row asked for, recording nothing."""
    user = await anyio.to_thread.run_sync(signed_in, request)
    user.require(RegisterHousehold.name)
    submitted = await request.form()
    fields = form_fields(RegisterHousehold)
    more = str(submitted.get("_more", ""))
    error = None
    try:
        check_texts(submitted.multi_items())
        values = read_form(fields, submitted)
        if not more:
            body = to_body(RegisterHousehold, values)
            key = f"web-{submitted.get('form_id', '')}" if submitted.get("form_id") else None
            await anyio.to_thread.run_sync(
                lambda: register_household(user, request.app.state.case_files, body, key=key))
            return Redirect(f"/web/households/{quote(body.code)}?"
                            f"{urlencode({'done': RegisterHousehold.name})}")
    except (FormError, DomainError) as refused:
        error = refusal(refused)
    show_again(fields, (error or {}).get("field"), (error or {}).get("message", ""), more)
    return _page(request, user, fields, error)


def _page(request: Request, user: User, fields: list[Field], error: dict[str, Any] | None) -> Template:
    return render(request, "register.html", user, title=TITLE, fields=fields, error=error,
                  form_id=secrets.token_hex(8))
