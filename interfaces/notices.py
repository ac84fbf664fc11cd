"""Public notices (公示) for every interface: which village a user may ask for, the notice built
from that village's households, and its two renderings — the printed A4 page and the workbook.

**The page is what is posted, and what its digest is of.** `print_page` renders the notice's
content (`domain.notices.NoticeContent`, and nothing else: no user, no time, no token) to UTF-8
HTML bytes; the same content always gives the same bytes. `GET /api/notices/{kind}/print`
serves exactly those bytes, `fangpin notices show --format html` writes them, and publishing
records ``sha256(page)`` (`page_digest`) on every case the notice lists, so a printout — or a
photo of the village board next to it — can be matched to the record. The workbook is the same
content as a table for the village's files; its bytes (a zip with timestamps) are not digested.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from application.accounts.access import AccessDenied, User
from application.app import CaseFiles
from application.reports import Report, Table
from domain.codes import Role
from domain.errors import InvalidValue, NotFound
from domain.household import Household
from domain.notices import Notice, NoticeContent, NoticeKind, NoticeTerms, build_notice
from domain.rules import shortest_notice_end
from interfaces.xlsx import report_workbook
from projections.queries import MAX_PAGE, Area, ReadModels

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"
_PAGES = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                     undefined=StrictUndefined, keep_trailing_newline=True)
#: Who may produce and publish the notices: the village for its own village, the township for
#: its villages, the county centre for all (domain.md §2).
NOTICE_ROLES = frozenset({Role.COUNTY_CENTRE, Role.TOWNSHIP_WORKSTATION, Role.VILLAGE_LIAISON})


def notice_kind(text: str) -> NoticeKind:
    try:
        return NoticeKind(text)
    except ValueError:
        choices = "、".join(f"{k.value}（{k.step_name}）" for k in NoticeKind)
        raise NotFound("NOT_FOUND", f"没有名为 {text} 的公示；可选：{choices}", "kind") from None


def notice_place(user: User, township: str | None, village: str | None) -> tuple[str, str]:
    """The township and village whose notice ``user`` asks for: a village user's own, a
    township user's village in its township, any village for the county centre."""
    if user.role not in NOTICE_ROLES:
        raise AccessDenied("ROLE_FORBIDDEN", f"{user.role}无权制作或发布公示", None)
    township = (township or "").strip() or user.township or ""
    village = (village or "").strip() or (user.village if user.role is Role.VILLAGE_LIAISON else "")
    if not township:
        raise InvalidValue("REQUIRED", "须指定乡镇", "township")
    if not village:
        raise InvalidValue("REQUIRED", "须指定行政村", "village")
    if not user.covers(township, village):
        where = f"{user.township or ''}{user.village or ''}"
        field = "village" if user.role is Role.VILLAGE_LIAISON and township == user.township else (
            "township" if user.role is not Role.COUNTY_CENTRE else "village")
        raise AccessDenied("OUTSIDE_AREA", f"{township}{village}不在您的管辖范围（{where}）内", field)
    return township, village


def notice_dates(today: date, notice_from: date | None, notice_to: date | None) -> tuple[date, date]:
    """The notice period asked for: from today unless given, for the shortest period allowed
    unless its end is given."""
    start = notice_from or today
    return start, notice_to or shortest_notice_end(start)


def village_households(case_files: CaseFiles, read_models: ReadModels, township: str,
                       village: str) -> Iterator[Household]:
    """The village's households as their case files hold them now (the directory names them;
    each is read from the log, so the cases are as recorded, not as a read model last saw)."""
    area, after = Area("village", township=township, village=village), None
    while True:
        page = read_models.directory(area, limit=MAX_PAGE, after=after)
        for row in page.rows:
            yield case_files.household(row["code"])
        if not page.after:
            return
        after = page.after


def notice_for(case_files: CaseFiles, read_models: ReadModels, terms: NoticeTerms, user: User,
               kind: NoticeKind, township: str | None, village: str | None,
               notice_from: date | None, notice_to: date | None) -> Notice:
    """The notice ``user`` asks for, of the village it may see, for the period asked."""
    township, village = notice_place(user, township, village)
    start, end = notice_dates(case_files.today(), notice_from, notice_to)
    households = village_households(case_files, read_models, township, village)
    return build_notice(kind, terms, township, village, start, end, households)


def print_page(content: NoticeContent) -> bytes:
    """The printable A4 page (Chinese, print CSS inline, nothing fetched): UTF-8 bytes that are
    the same for the same content — the bytes published notices are digested from."""
    return _PAGES.get_template("notice_print.html").render(notice=content).encode("utf-8")


def page_digest(page: bytes) -> str:
    """The SHA-256 (hex) of a printed page's bytes: what publishing records on each case."""
    return hashlib.sha256(page).hexdigest()


def notice_workbook(content: NoticeContent) -> bytes:
    """The notice as an .xlsx: the same content as the page, the table on its own sheet."""
    meta = [("县", content.county), ("乡镇", content.township), ("行政村", content.village),
            ("公示期", content.period_text.removeprefix("公示期：")), ("说明", content.preamble),
            ("异议反映", content.objection), ("发布单位", content.issuer)]
    table = Table("公示名单", list(content.columns), [list(row) for row in content.table()])
    return report_workbook(Report(content.title, meta, [table]))


def file_name(content: NoticeContent, suffix: str) -> str:
    """As people file it: the village, the notice and its first day."""
    place = f"{content.township}{content.village}"
    return f"{place}{content.kind.step_name}-{content.notice_from:%Y%m%d}.{suffix}"
