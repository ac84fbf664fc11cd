"""My work on the workbench (我的待办): the first page of every role leads with what the
signed-in person owes — counted by urgency, by deadline, each linked to the page that does
it — and their notifications, marked read here (`application.tasks`, as ``/api/me/…``)."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Request, post
from litestar.response import Redirect

from application.accounts.access import User
from application.tasks import MyWork, Urgency, counts
from domain.deadlines import days_until
from domain.errors import InvalidValue
from interfaces.http.auth import area_of
from interfaces.web.session import signed_in

#: Tasks shown on the first page (the rest are counted).
SHOWN = 50
URGENCY_NAMES = {Urgency.OVERDUE: "已超期", Urgency.SOON: "3天内到期", Urgency.LATER: "以后到期"}


def my_work(request: Request, user: User, urgency: str = "") -> dict[str, Any]:
    """What the first page shows of the user's desk; ``urgency`` keeps one of the counts."""
    if urgency and urgency not in {u.value for u in Urgency}:
        raise InvalidValue("CODE_UNKNOWN", f"“{urgency}”不是期限分类；可选：overdue、soon、later",
                           "urgency")
    work: MyWork = request.app.state.my_work
    area, today = area_of(user), work.today()
    found = work.tasks(user, area)
    chosen = [t for t in found if not urgency or t.urgency(today) == urgency]
    rows = []
    for task in chosen[:SHOWN]:
        days = days_until(task.deadline, today) if task.deadline else None
        rows.append({"task": task, "urgency": task.urgency(today).value,
                     "countdown": "无期限" if days is None else f"超期 {-days} 天" if days < 0
                     else "今天到期" if days == 0 else f"剩 {days} 天"})
    notes = work.notifications(user, area)
    return {"total": len(found), "counts": [(u.value, URGENCY_NAMES[u], n)
                                            for u, n in counts(found, today).items()],
            "rows": rows, "more": len(chosen) - len(rows), "urgency": urgency,
            "grid_worker": work.grid_worker(user), "notes": notes[:SHOWN],
            "unread": sum(1 for n in notes if n.unread)}


@post("/web/notifications/read")
async def mark_read(request: Request) -> Redirect:
    """Mark one notification (``key``) or all of them (``all``) read, then back to the list."""
    user = await anyio.to_thread.run_sync(signed_in, request)
    form = await request.form()
    key = str(form.get("key", "")).strip()
    keys = None if form.get("all") else [key]
    work: MyWork = request.app.state.my_work
    await anyio.to_thread.run_sync(lambda: work.mark_read(user, area_of(user), keys))
    return Redirect("/web/#notifications")


HANDLERS = [mark_read]
