"""网格员 and 帮扶责任人 of many households at once on the workbench: a workbook uploaded through
the API's own import (`interfaces.http.intake.record_staff_file`), answered with the rows it
refused and why, and their workbook to fix."""

from __future__ import annotations

import anyio
from litestar import Request, get, post
from litestar.response import Template

from domain.errors import DomainError
from interfaces.http.intake import RegistryUpload, record_staff_file
from interfaces.web.forms import FormError
from interfaces.web.session import render, signed_in


@get("/web/staff", sync_to_thread=True)
def staff(request: Request) -> Template:
    user = signed_in(request)
    user.require("import_staff")
    return render(request, "staff.html", user, answer=None, error=None)


@post("/web/staff/import", request_max_body_size=64 * 1024 * 1024)
async def import_staff_file(request: Request) -> Template:
    user = await anyio.to_thread.run_sync(signed_in, request)
    form = await request.form()
    error, answer = None, None
    try:
        user.require("import_staff")
        upload = form.get("file")
        if upload is None or not getattr(upload, "filename", ""):
            raise FormError("file", "请选择要上传的 .xlsx 或 .csv 文件")
        answer = await anyio.to_thread.run_sync(
            lambda: record_staff_file(request.app.state, user, RegistryUpload(file=upload)))
    except FormError as refused:
        error = {"field": refused.field, "message": refused.message, "code": "INVALID_VALUE"}
    except DomainError as refused:
        error = {"field": refused.field, "message": refused.message, "code": refused.code}
    return render(request, "staff.html", user, answer=answer, error=error)
