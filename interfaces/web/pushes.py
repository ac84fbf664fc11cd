"""Department pushes on the workbench: the ledger, a push uploaded as a file (the API's own
import, with the rows it refused) and the templates to fill in."""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from application.accounts.access import User
from application.push_book import BATCH_LIST_TITLE, BOOK_TITLE
from application.pushes import with_receipts
from domain.codes import Department, Tier
from domain.errors import DomainError, NotFound
from interfaces.http.auth import area_of
from interfaces.http.indicators import push_book_of, reads_push_book
from interfaces.http.intake import AlertUpload, record_push_file, template_response
from interfaces.http.problems import in_chinese
from interfaces.http.queries import caught_up
from interfaces.web.forms import FormError
from interfaces.web.session import county_today, render, signed_in


@get("/web/pushes", sync_to_thread=True)
def pushes(request: Request, department: FromQuery[str] = "", period: FromQuery[str] = "") -> Template:
    user = signed_in(request)
    user.require_read("pushes")
    rows = with_receipts(request.app.state.case_files, request.app.state.read_models.push_ledger(
        area_of(user), department=department or None))
    return render(request, "pushes.html", user, rows=rows, department=department,
                  departments=[d.value for d in Department], answer=None, error=None,
                  tiers=[t.value for t in Tier], **_book(request, user, period, department))


def _book(request: Request, user: User, period: str, department: str) -> dict[str, Any]:
    """推送台账 of a period (default this month) for those who read it (`reads_push_book`)."""
    period = period or f"{county_today(request):%Y-%m}"
    titles = {"book_title": BOOK_TITLE, "batch_title": BATCH_LIST_TITLE}
    if not reads_push_book(user):
        return {"book": None, "book_period": period, "book_error": "", **titles}
    try:
        chosen = Department(department) if department else None
        label, lines = push_book_of(user, request.app.state.indicators, period, chosen)
    except (DomainError, ValueError) as refused:
        return {"book": None, "book_period": period, **titles,
                "book_error": getattr(refused, "message", f"没有名为 {department} 的部门")}
    return {"book": lines, "book_period": label, "book_error": "", **titles}


@post("/web/pushes/import", request_max_body_size=64 * 1024 * 1024)
async def import_push(request: Request) -> Template:
    """Upload a department push (.xlsx/.csv): the API's own import, with its summary, the rows it
    refused and their workbook to fix and upload again."""
    user = await anyio.to_thread.run_sync(signed_in, request)
    form = await request.form()
    error, answer = None, None
    try:
        user.require("push_alerts")
        upload = form.get("file")
        if upload is None or not getattr(upload, "filename", ""):
            raise FormError("file", "请选择要上传的 .xlsx 或 .csv 文件")
        try:
            data = msgspec.convert({
                "tier": form.get("tier"), "period": str(form.get("period", "")).strip(),
                "department": form.get("department") or None,
                "batch_id": str(form.get("batch_id", "")).strip() or None,
                "urgent": form.get("urgent") == "true"}, _UploadFields, strict=False)
        except msgspec.ValidationError as invalid:
            raise FormError(None, in_chinese(str(invalid))) from None
        answer = await anyio.to_thread.run_sync(lambda: record_push_file(
            request.app.state, user, AlertUpload(file=upload, **msgspec.structs.asdict(data))))
    except FormError as refused:
        error = {"field": refused.field, "message": refused.message, "code": "INVALID_VALUE"}
    except DomainError as refused:
        error = {"field": refused.field, "message": refused.message, "code": refused.code}

    def ledger() -> list[dict[str, Any]]:
        if answer is not None:  # the batch just uploaded is on the ledger shown with it
            caught_up(request, answer.position)
        return with_receipts(request.app.state.case_files,
                             request.app.state.read_models.push_ledger(area_of(user)))

    rows = await anyio.to_thread.run_sync(ledger)
    book = await anyio.to_thread.run_sync(_book, request, user, "", "")
    return render(request, "pushes.html", user, rows=rows, department="",
                  departments=[d.value for d in Department], answer=answer, error=error,
                  tiers=[t.value for t in Tier], **book)


class _UploadFields(msgspec.Struct):
    tier: Tier
    period: str
    department: Department | None = None
    batch_id: str | None = None
    urgent: bool = False


@get("/web/templates/{kind:str}", sync_to_thread=True)
def import_template(request: Request, kind: FromPath[str]) -> Response[Any]:
    signed_in(request)
    if kind not in ("alerts", "households", "staff"):
        raise NotFound("TEMPLATE_UNKNOWN", f"没有名为 {kind} 的模板", "kind")
    return template_response(kind)
