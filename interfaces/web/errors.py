"""How the workbench answers a refusal or a fault: a page in Chinese, or the login page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect

from application.accounts.access import AccessDenied, User
from application.errors import Busy
from domain.errors import DomainError, NotFound
from interfaces.http.problems import BUSY_RETRY_AFTER, in_chinese, on_http_error
from interfaces.web.session import LoginNeeded, render


def on_login_needed(request: Request, _: LoginNeeded) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/web/login?{urlencode({'next': target})}")


def on_no_such_address(request: Request, error: NotFoundException) -> Response[Any]:
    """An address no route answers: under /web/ the workbench's own page in Chinese (it was the
    API's JSON problem), elsewhere the API's problem."""
    if request.url.path.startswith("/web/"):
        return on_web_error(request, error)
    return on_http_error(request, error)


def on_web_error(request: Request, error: Exception) -> Response[Any]:
    """A refusal on a page: a page in Chinese that says which rule, never a bare error."""
    if isinstance(error, DomainError):
        status = 403 if isinstance(error, AccessDenied) else 404 if isinstance(error, NotFound) \
            or error.code.endswith("NOT_FOUND") else 503 if isinstance(error, Busy) else 422
        message, code = error.message, error.code
    elif isinstance(error, HTTPException):
        status, code = error.status_code, f"HTTP_{error.status_code}"
        message = in_chinese(str(error.detail))
        if "CSRF" in str(error.detail):
            message, code = "表单已过期或来源不明（CSRF 校验未通过）：请刷新页面后重新提交", "CSRF_FAILED"
        elif status == 400:
            extra = error.extra if isinstance(getattr(error, "extra", None), list) else []
            details = "；".join(in_chinese(str(item.get("message", ""))) for item in extra
                               if isinstance(item, dict))
            message, code = f"请求参数不对：{details or message}", "INVALID_REQUEST"
    else:
        import logging

        logging.getLogger(__name__).exception("web page failed: %s", request.url.path)
        status, message, code = 500, "服务器内部错误，已记录，请联系县防贫中心", "INTERNAL_ERROR"
    user = request.scope.get("user")
    page = render(request, "error.html", user if isinstance(user, User) else None,
                  status=status, message=message, code=code)
    page.status_code = status
    if status == 503:
        page.headers["Retry-After"] = BUSY_RETRY_AFTER
    return page
