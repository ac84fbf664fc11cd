"""A department's roster as every interface reads it (HTTP, workbench, command line): the
read model's people, cut to the fields the duty needs (`domain.rosters.RosterDuty.row`), each
page's households put in the access log before the page is shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from domain.rosters import RosterDuty
from projections.queries import Page, ReadModels

#: Rows read per page when a whole roster is exported.
EXPORT_PAGE = 500


def roster_page(views: ReadModels, log: AccessLog, user: User, duty: RosterDuty, *, route: str,
                today: date, township: str | None = None, village: str | None = None,
                after: str | None = None, limit: int = 50) -> tuple[Page, list[dict[str, Any]]]:
    """One page of the roster as ``user`` may see it; its households go to the access log
    under ``route``."""
    page = views.roster(duty, township=township, village=village, today=today, after=after,
                        limit=limit)
    log.record_many(user, [row["code"] for row in page.rows], route)
    return page, [duty.row(row, today) for row in page.rows]


def roster_rows(views: ReadModels, log: AccessLog, user: User, duty: RosterDuty, *, route: str,
                today: date, township: str | None = None, village: str | None = None,
                ) -> Iterator[dict[str, Any]]:
    """Every person of the roster (an export), a page at a time, each page access-logged."""
    after = None
    while True:
        page, rows = roster_page(views, log, user, duty, route=route, today=today,
                                 township=township, village=village, after=after,
                                 limit=EXPORT_PAGE)
        yield from rows
        if not page.after:
            return
        after = page.after
