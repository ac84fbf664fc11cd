"""Data going out (数据共享, domain.md §15): exchange exports whose columns and codes a mapping
file gives (`interfaces.exchange`), and the change feed (`application.feed`). Both read
personal data, so both write the households they show to the access log."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Request, Response, get
from litestar.params import PathParameter, QueryParameter

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from application.feed import read_feed
from domain.errors import InvalidValue
from domain.rules import local_date
from interfaces.exchange import Exchange, export, file_name
from interfaces.exchange_mapping import KINDS, load_mapping
from interfaces.http.auth import area_of
from interfaces.http.problems import PROBLEMS
from interfaces.http.schemas.views import FeedEventOut, FeedPageOut
from interfaces.http.views import Masker, history_entry
from interfaces.timeline import Timeline
from interfaces.xlsx import XLSX_TYPE

#: Most events a page of the feed holds.
MAX_FEED_PAGE = 500


@get("/api/exchange/{kind:str}", opt={"read": "households", "also_answers": ["text/csv"]},
     media_type=XLSX_TYPE,
     summary="数据共享导出（monitoring / households / measures）：列、列名和代码按映射文件，"
             "xlsx 或 CSV，只含本人辖区", sync_to_thread=True, responses=PROBLEMS, tags=["数据共享"])
def exchange_export(
    request: Request,
    kind: Annotated[str, PathParameter(pattern=f"^({'|'.join(KINDS)})$",
                                       description="monitoring 监测对象 / households 农户及家庭成员 / "
                                                   "measures 帮扶措施")],
    format: Annotated[str, QueryParameter(
        pattern="^(xlsx|csv)$", required=False, description="xlsx（默认）或 csv（UTF-8，带 BOM）")] = "xlsx",
) -> Response[bytes]:
    state = request.app.state
    mapping = load_mapping(state.settings.exchange_mapping_path)
    mapping.sheet(kind)  # refused before anything is read when the mapping lacks the kind
    state.read_side.wait_for(state.case_files.max_position(), timeout=5)
    user: User = request.user
    exchange = Exchange(state.read_models, state.reader, user, area_of(user), state.access_log,
                        request.url.path)
    content = export(exchange, mapping, kind, format, local_date(state.case_files.clock()))
    # (litestar adds "; charset=utf-8" to a text type itself)
    return Response(content, media_type="text/csv" if format == "csv" else XLSX_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{file_name(kind, format)}"'})


@get("/api/feed", opt={"read": "feed"}, summary="变更订阅：本人可见的农户事件，按日志顺序，自 after 之后",
     sync_to_thread=True, responses=PROBLEMS, tags=["数据共享"])
def feed(
    request: Request,
    after: Annotated[int, QueryParameter(ge=0, le=2**62, description="上一页的 next_after（从头读：0）")] = 0,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_FEED_PAGE,
                                         description=f"每页最多事件数（1–{MAX_FEED_PAGE}）")] = 100,
) -> FeedPageOut:
    state = request.app.state
    return feed_answer(state.case_files, state.access_log, request.user, after, limit,
                       request.url.path)


def feed_answer(app: CaseFiles, log: AccessLog, user: User, after: int, limit: int,
                route: str) -> FeedPageOut:
    """A page of the feed as ``user`` may see it, its details masked as the history masks
    them; the households on it are written to the access log under ``route``."""
    if after > app.max_position():
        raise InvalidValue("POSITION_UNKNOWN", f"日志中还没有位置 {after}", "after")
    page = read_feed(app, user, after, limit)
    log.record_many(user, (e.household_code for e in page.events), route)
    mask = Masker(user)
    timelines: dict[str, Timeline] = {}

    def timeline(code: str) -> Timeline:
        """A household's sentences name its people: told them once per page."""
        if code not in timelines:
            household = app.household(code)
            timelines[code] = Timeline(mask).knowing(
                ((m.id_number, m.name) for m in household.members.values()),
                ((m.measure_id, m.measure_type.value) for m in household.measures.values()))
        return timelines[code]

    return FeedPageOut(
        events=[FeedEventOut(position=e.position, household_code=e.household_code,
                             **msgspec.structs.asdict(history_entry(e.entry, mask,
                                                                    timeline(e.household_code))))
                for e in page.events],
        next_after=page.next_after, end=page.end, at_end=page.next_after >= page.end)


HANDLERS = [exchange_export, feed]
