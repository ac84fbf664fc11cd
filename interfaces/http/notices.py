"""Public notices over HTTP (domain.md §13): a village's deliberation notice (``identification``)
or elimination notice (``elimination``) for a notice period — as JSON to preview, as the printed
page, as a workbook — and publishing it, which records on each case it lists the period and the
SHA-256 of the printed page (`interfaces.notices`).

The village may ask for its own village, a township for its villages, the county centre for
any; each read of a notice is in the access log under every household it lists.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

import msgspec
from litestar import Request, Response, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from application.app import CaseFiles
from domain.errors import RuleViolation
from domain.notices import Notice
from domain.values import Actor
from interfaces.http.problems import PROBLEMS
from interfaces.notices import (
    file_name,
    notice_for,
    notice_kind,
    notice_workbook,
    page_digest,
    print_page,
)
from interfaces.xlsx import XLSX_TYPE

Kind = Annotated[str, PathParameter(max_length=20, description="identification（村级评议公示）或 "
                                    "elimination（风险消除公示）")]
Place = Annotated[str | None, QueryParameter(required=False, max_length=100)]
Day = Annotated[date | None, QueryParameter(required=False)]


class NoticeCaseOut(msgspec.Struct):
    household_code: str
    case_number: int
    #: The SHA-256 recorded on the case when a notice listing it was published (None: not yet).
    published_digest: str | None


class NoticeOut(msgspec.Struct):
    """A notice as posted (``columns``/``rows`` and the texts) and which cases it lists."""

    kind: str
    title: str
    county: str
    township: str
    village: str
    notice_from: date
    notice_to: date
    days: int
    preamble: str
    objection: str
    issuer: str
    columns: list[str]
    rows: list[list[str]]
    cases: list[NoticeCaseOut]
    #: Every case it lists was published on it.
    published: bool
    #: SHA-256 of the printed page (`print_url`): what publishing records on each case.
    digest: str
    print_url: str
    xlsx_url: str


class PublishIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Publish the notice printed from ``print_url``: name its village and period, and the
    digest of the page posted (the preview's ``digest``, or the SHA-256 of the page)."""

    township: str | None = None
    village: str | None = None
    notice_from: date
    notice_to: date
    digest: Annotated[str, msgspec.Meta(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$")]


class PublishedOut(msgspec.Struct):
    digest: str
    notice_from: date
    notice_to: date
    cases: list[NoticeCaseOut]
    position: int | None
    repeated: bool


def _notice(request: Request, kind: str, township: str | None, village: str | None,
            notice_from: date | None, notice_to: date | None, route: str) -> Notice:
    state = request.app.state
    notice = notice_for(state.case_files, state.read_models, state.notice_terms, request.user,
                        notice_kind(kind), township, village, notice_from, notice_to)
    for case in notice.cases:  # the names of these households are read
        state.access_log.record(request.user, case.household_code, route)
    return notice


def _cases(notice: Notice) -> list[NoticeCaseOut]:
    return [NoticeCaseOut(c.household_code, c.case_number,
                          c.published.digest if c.published else None) for c in notice.cases]


def notice_out(notice: Notice, base: str) -> NoticeOut:
    content = notice.content
    query = urlencode({"township": content.township, "village": content.village,
                       "notice_from": content.notice_from.isoformat(),
                       "notice_to": content.notice_to.isoformat()})
    return NoticeOut(
        kind=content.kind.value, title=content.title, county=content.county,
        township=content.township, village=content.village, notice_from=content.notice_from,
        notice_to=content.notice_to, days=content.days, preamble=content.preamble,
        objection=content.objection, issuer=content.issuer, columns=list(content.columns),
        rows=content.table(), cases=_cases(notice), published=notice.published,
        digest=page_digest(print_page(content)), print_url=f"{base}/print?{query}",
        xlsx_url=f"{base}/xlsx?{query}")


def _read(path: str, summary: str) -> object:
    return get(path, opt={"read": "households"}, summary=summary, sync_to_thread=True,
               responses=PROBLEMS, tags=["查询"])


@_read("/api/notices/{kind:str}", "公示预览：某村某公示期的村级评议公示或风险消除公示（JSON）")
def preview(request: Request, kind: Kind, township: Place = None, village: Place = None,
            notice_from: Day = None, notice_to: Day = None) -> NoticeOut:
    notice = _notice(request, kind, township, village, notice_from, notice_to, "notice")
    return notice_out(notice, f"/api/notices/{notice.content.kind.value}")


@_read("/api/notices/{kind:str}/print", "公示打印页（A4，HTML）：发布时记录的摘要即此页字节的 SHA-256")
def print_view(request: Request, kind: Kind, township: Place = None, village: Place = None,
               notice_from: Day = None, notice_to: Day = None) -> Response[bytes]:
    notice = _notice(request, kind, township, village, notice_from, notice_to, "notice-print")
    page = print_page(notice.content)
    return Response(page, media_type="text/html; charset=utf-8",
                    headers={"X-Content-SHA256": page_digest(page)})


@_read("/api/notices/{kind:str}/xlsx", "公示名单（xlsx）")
def workbook(request: Request, kind: Kind, township: Place = None, village: Place = None,
             notice_from: Day = None, notice_to: Day = None) -> Response[bytes]:
    notice = _notice(request, kind, township, village, notice_from, notice_to, "notice-xlsx")
    name = file_name(notice.content, "xlsx")
    return Response(notice_workbook(notice.content), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@post("/api/notices/{kind:str}/publish", opt={"command": "publish_notice"}, status_code=201,
      summary="发布公示：在所列每个案件上记录公示期和所张贴页面的 SHA-256（重复发布不重复记录）",
      sync_to_thread=True, responses=PROBLEMS, tags=["命令"])
def publish(request: Request, kind: Kind, data: JSONBody[PublishIn]) -> PublishedOut:
    return publish_for(request.app.state.case_files, request.user.actor, notice_of_request(
        request, kind, data), data.digest)


def notice_of_request(request: Request, kind: str, data: PublishIn) -> Notice:
    return _notice(request, kind, data.township, data.village, data.notice_from, data.notice_to,
                   "notice-publish")


def publish_for(case_files: CaseFiles, by: Actor, notice: Notice, sent: str) -> PublishedOut:
    """Publish ``notice`` as ``by``, the page posted having the digest ``sent``: refused when
    the notice has no case, or its page is no longer the one posted (a case moved on or came
    in since it was printed)."""
    content = notice.content
    if not notice.cases:
        raise RuleViolation("NOTICE_EMPTY", f"{content.village}没有待{content.kind.step_name}的案件",
                            "village")
    digest = page_digest(print_page(content))
    if sent != digest:
        raise RuleViolation(
            "NOTICE_CHANGED", "公示内容已与所张贴的不同（有案件已进入下一环节、已终止或新增）："
            "请重新预览、打印并张贴后再发布", "digest")
    result = case_files.publish_notice(notice, digest, by=by)
    published = [msgspec.structs.replace(c, published_digest=digest) for c in _cases(notice)]
    return PublishedOut(digest=digest, notice_from=content.notice_from,
                        notice_to=content.notice_to, cases=published,
                        position=result.position if result else None, repeated=result is None)


HANDLERS = [preview, print_view, workbook, publish]
