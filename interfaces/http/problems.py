"""Every error as ``application/problem+json`` (RFC 9457): a stable ``code``, a Chinese title
and detail, and the offending field where one is to blame.

400: the request is not the shape the schema says (or cannot be read: not UTF-8, nested
beyond reason); 422: a value breaks a rule of the domain (check digit, date order, a control
character in a text…); 404: unknown household, member, case or route; 403: outside the
caller's role or area; 409: the case's state does not allow the command (a retry would not
help), or a concurrent change survived the server's own retries; 401: no valid token.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec

from application.accounts.access import AccessDenied
from application.errors import ConcurrentChange
from domain.errors import DomainError, InvalidValue, NotFound
from interfaces.http.schemas.common import ProblemDetails

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "请求格式有误",
    401: "未登录或令牌无效",
    403: "无权访问",
    404: "未找到",
    405: "不支持此请求方法",
    409: "与档案现状冲突",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "内容不符合规则",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "暂时无法提供服务",
}

HTTP_CODES = {
    400: "INVALID_REQUEST", 401: "NOT_AUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 429: "TOO_MANY_REQUESTS", 500: "INTERNAL_ERROR",
    503: "UNAVAILABLE",
}

HTTP_DETAILS = {
    401: "请在 Authorization 头中提供有效的 Bearer 令牌",
    404: "没有这个地址",
    405: "此地址不支持该请求方法",
    413: "请求内容超过大小限制",
}


def problem(
    status: int, code: str, detail: str, *, field: str | None = None,
    request: Request | None = None, errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[ProblemDetails]:
    body = ProblemDetails(
        type=f"/problems/{code}", title=TITLES.get(status, "请求未能完成"), status=status,
        detail=detail, code=code, field=field,
        instance=str(request.url.path) if request is not None else None, errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class Unavailable(DomainError):
    """The server cannot answer now, but may in a moment (503 with Retry-After)."""


class MalformedRequest(DomainError):
    """The request cannot be read at all (a body not UTF-8, or nested beyond reason): 400."""


def domain_status(error: DomainError) -> int:
    if isinstance(error, MalformedRequest):
        return 400
    if isinstance(error, Unavailable):
        return 503
    if isinstance(error, AccessDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidValue):
        return 422
    return 409


def on_domain_error(request: Request, error: DomainError) -> Response[ProblemDetails]:
    retry = isinstance(error, ConcurrentChange | Unavailable)
    headers = {"Retry-After": "1"} if retry else None
    return problem(domain_status(error), error.code, error.message, field=error.field,
                   request=request, headers=headers)


_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")
_PATH_IN_MESSAGE = re.compile(r" - at `\$\.?([^`]*)`")


def on_validation_error(request: Request, error: ValidationException) -> Response[ProblemDetails]:
    errors = []
    for item in error.extra if isinstance(error.extra, list) else []:
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        key = item.get("key") if isinstance(item, dict) else None
        named = _FIELD_IN_MESSAGE.search(message)
        if named and key in (None, "data", "body"):
            key = named.group(1)
        elif named:  # a field unknown or missing in a nested object: members[0].nickname
            key = f"{key}.{named.group(1)}"
        source = item.get("source") if isinstance(item, dict) else None
        errors.append({"field": key, "source": source, "message": in_chinese(message)})
    if not errors:
        errors.append({"field": None, "source": "body", "message": in_chinese(str(error.detail))})
    first = errors[0]
    where = f"“{first['field']}”" if first["field"] else "请求"
    return problem(400, "INVALID_REQUEST", f"{where}不符合要求：{first['message']}",
                   field=first["field"], request=request, errors=errors)


def on_http_error(request: Request, error: HTTPException) -> Response[ProblemDetails]:
    status = error.status_code
    if status >= 500:
        logger.error("HTTP %s on %s: %s", status, request.url.path, error.detail)
    detail = HTTP_DETAILS.get(status) or in_chinese(str(error.detail)) or TITLES.get(status, "")
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 405 and error.headers:
        headers = dict(error.headers)
    return problem(status, HTTP_CODES.get(status, f"HTTP_{status}"), detail, request=request,
                   headers=headers)


def on_unexpected(request: Request, error: Exception) -> Response[ProblemDetails]:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "INTERNAL_ERROR", "服务器内部错误，已记录，请联系县防贫中心", request=request)


_TRANSLATIONS = (
    (re.compile(r"Object missing required field `([^`]+)`"), r"缺少必填字段 \1"),
    (re.compile(r"Object contains unknown field `([^`]+)`"), r"不认识的字段 \1"),
    (re.compile(r"Invalid enum value '([^']*)'"), r"“\1”不是码表中的值"),
    (re.compile(r"Expected `([^`]+)`, got `([^`]+)`"), r"应为 \1，实为 \2"),
    (re.compile(r"Invalid (RFC3339 encoded )?date"), "日期无效，应为 YYYY-MM-DD"),
    (re.compile(r"Invalid RFC3339 encoded datetime"), "时间无效，应为 ISO 8601 格式"),
    (re.compile(r"Invalid decimal string"), "金额无效，应为十进制数字文本"),
    (re.compile(r"Expected `array` of length <= (\d+)"), r"最多 \1 项"),
    (re.compile(r"Expected `array` of length >= (\d+)"), r"至少 \1 项"),
    (re.compile(r"Expected `str` of length <= (\d+)"), r"最多 \1 个字符"),
    (re.compile(r"Expected `str` of length >= (\d+)"), r"至少 \1 个字符"),
    (re.compile(r"Expected `int` >= (-?\d+)"), r"须不小于 \1"),
    (re.compile(r"Expected `int` <= (-?\d+)"), r"须不大于 \1"),
    (re.compile(r"Expected `str` matching regex '([^']*)'"), r"格式不符（\1）"),
    (re.compile(r"JSON is malformed.*"), "JSON 格式错误"),
    (re.compile(r"Input data was truncated"), "JSON 不完整"),
)


def in_chinese(message: str) -> str:
    """msgspec's and litestar's English messages in Chinese where the wording is known."""
    message = _PATH_IN_MESSAGE.sub(lambda m: f"（位置：{m.group(1) or '整体'}）", message)
    for pattern, replacement in _TRANSLATIONS:
        message = pattern.sub(replacement, message)
    return message


#: The error answers every API route documents (problem+json), so clients and schema checkers
#: know every status a route may give.
PROBLEMS: dict[int, ResponseSpec] = {
    status: ResponseSpec(data_container=ProblemDetails, description=TITLES[status],
                         media_type=PROBLEM_JSON, generate_examples=False)
    for status in (400, 401, 403, 404, 409, 413, 422, 503)
}


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
