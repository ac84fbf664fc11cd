"""公示: a village's deliberation or elimination notice for a notice period — previewed, printed
(the very page the API serves and publishing digests), exported, and published — for the village
(its own village), the township (its villages) and the county centre (domain.md §13)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

import anyio
from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Template

from application.accounts.access import User
from domain.codes import Role
from domain.errors import DomainError, InvalidValue
from domain.notices import Notice, NoticeKind
from interfaces.http.notices import publish_for
from interfaces.notices import (
    file_name,
    notice_for,
    notice_kind,
    notice_workbook,
    page_digest,
    print_page,
)
from interfaces.web.session import render, signed_in
from interfaces.xlsx import XLSX_TYPE


def _day(text: str, field: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue("DATE_INVALID", f"日期格式不正确：{text}（如 2026-12-07）", field) from None


def _notice(request: Request, user: User, params: dict[str, str], route: str) -> Notice:
    state = request.app.state
    notice = notice_for(state.case_files, state.read_models, state.notice_terms, user,
                        notice_kind(params.get("kind") or NoticeKind.IDENTIFICATION.value),
                        params.get("township"), params.get("village"),
                        _day(params.get("notice_from", ""), "notice_from"),
                        _day(params.get("notice_to", ""), "notice_to"))
    for case in notice.cases:
        state.access_log.record(user, case.household_code, route)
    return notice


def _query(notice: Notice) -> str:
    content = notice.content
    return urlencode({"kind": content.kind.value, "township": content.township,
                      "village": content.village, "notice_from": content.notice_from.isoformat(),
                      "notice_to": content.notice_to.isoformat()})


def _page(request: Request, user: User, params: dict[str, str], *, done: str = "",
          error: dict[str, Any] | None = None) -> Template:
    notice = None
    chosen = params.get("village") or user.role is Role.VILLAGE_LIAISON
    if error is None and chosen:  # a township or the county first chooses the village
        try:
            notice = _notice(request, user, params, "web-notice")
        except DomainError as refused:
            error = {"message": refused.message, "code": refused.code, "field": refused.field}
    return render(
        request, "notices.html", user, notice=notice, params=params, done=done, error=error,
        kinds=[(k.value, k.step_name) for k in NoticeKind],
        digest=page_digest(print_page(notice.content)) if notice else "",
        query=_query(notice) if notice else "", may_publish=user.may("publish_notice"))


@get("/web/notices", sync_to_thread=True)
def notices(request: Request, kind: FromQuery[str] = "identification", township: FromQuery[str] = "",
            village: FromQuery[str] = "", notice_from: FromQuery[str] = "",
            notice_to: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("households")
    return _page(request, user, {"kind": kind, "township": township, "village": village,
                                 "notice_from": notice_from, "notice_to": notice_to})


@get("/web/notices/print", sync_to_thread=True)
def print_notice(request: Request, kind: FromQuery[str] = "identification",
                 township: FromQuery[str] = "", village: FromQuery[str] = "",
                 notice_from: FromQuery[str] = "", notice_to: FromQuery[str] = "") -> Response[bytes]:
    """The printed page: the same bytes as ``GET /api/notices/{kind}/print``."""
    user = signed_in(request)
    user.require_read("households")
    notice = _notice(request, user, {"kind": kind, "township": township, "village": village,
                                     "notice_from": notice_from, "notice_to": notice_to},
                     "web-notice-print")
    page = print_page(notice.content)
    return Response(page, media_type="text/html; charset=utf-8",
                    headers={"X-Content-SHA256": page_digest(page)})


@get("/web/notices/xlsx", sync_to_thread=True)
def notice_xlsx(request: Request, kind: FromQuery[str] = "identification",
                township: FromQuery[str] = "", village: FromQuery[str] = "",
                notice_from: FromQuery[str] = "", notice_to: FromQuery[str] = "") -> Response[bytes]:
    user = signed_in(request)
    user.require_read("households")
    notice = _notice(request, user, {"kind": kind, "township": township, "village": village,
                                     "notice_from": notice_from, "notice_to": notice_to},
                     "web-notice-xlsx")
    name = file_name(notice.content, "xlsx")
    return Response(notice_workbook(notice.content), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@post("/web/notices/publish")
async def publish_notice(request: Request) -> Template:
    user = await anyio.to_thread.run_sync(signed_in, request)
    user.require("publish_notice")
    form = await request.form()
    params = {name: str(form.get(name, "")) for name in
              ("kind", "township", "village", "notice_from", "notice_to")}

    def publish() -> Template:
        try:
            notice = _notice(request, user, params, "web-notice-publish")
            answer = publish_for(request.app.state.case_files, user.actor, notice,
                                 str(form.get("digest", "")).strip())
        except DomainError as refused:
            return _page(request, user, params, error={
                "message": refused.message, "code": refused.code, "field": refused.field})
        done = ("此公示已发布过，未重复记录" if answer.repeated else
                f"已发布：在 {len(answer.cases)} 个案件上记录公示期和页面摘要")
        return _page(request, user, params, done=done)

    return await anyio.to_thread.run_sync(publish)
