"""Every error as ``application/problem+json`` (RFC 9457): a stable ``code``, a Chinese title
and detail, and the offending field where one is to blame. What each status means is
`STATUSES`, the one table the answers follow and the OpenAPI description and README show.
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Any

from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from msgspec import inspect as mi

from application.accounts.access import AccessDenied
from application.accounts.logins import SessionEnd
from application.cells import read_code
from application.errors import Busy, ConcurrentChange
from application.evidence import FileTooLarge, KindNotAccepted
from application.self_reports import TooMany
from domain.errors import DomainError, InvalidValue, NotFound
from interfaces.field_names import in_words, where
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

#: What an error answer's status means, with codes it carries: 400 the request's shape, 422 a
#: value, 409 the case's state. Shown as a table in the OpenAPI description and the README
#: (`status_table`); a test checks each code named is answered with its status.
STATUSES: dict[int, tuple[str, tuple[str, ...]]] = {
    400: ("请求格式有误：不是接口文档所说的形状（未知或缺少的字段、类型不符、不是 UTF-8、嵌套过深）",
          ("INVALID_REQUEST", "BODY_NOT_UTF8", "BODY_TOO_DEEP")),
    401: ("未登录或令牌无效；手机的设备会话另说明原因：过期（`SESSION_EXPIRED`，重新登录即可）、"
          "已退出、改了密码、用户停用或被撤销",
          ("NOT_AUTHENTICATED", *(end.value for end in SessionEnd))),
    403: ("超出角色或辖区", ("ROLE_FORBIDDEN", "OUTSIDE_AREA", "OTHER_DEPARTMENT")),
    404: ("农户、成员、案件、措施或地址不存在",
          ("HOUSEHOLD_NOT_FOUND", "MEMBER_NOT_FOUND", "CASE_NOT_FOUND", "NOT_FOUND")),
    409: ("档案现状不允许此命令（环节已完成、次序不对、案件已关闭、编号已用、此人已是另一户成员）；"
          "`CONCURRENT_CHANGE` 是并发修改，未记录任何内容，可带同一 `Idempotency-Key` 重试；"
          "`HOUSEHOLD_CHANGED` 是命令所依据的档案版本（`Household-Version`）之后该户又有记录",
          ("STEP_DONE", "STEP_OUT_OF_ORDER", "CASE_CLOSED", "ALERT_ID_TAKEN",
           "PERSON_IN_ANOTHER_HOUSEHOLD", "CONCURRENT_CHANGE", "HOUSEHOLD_CHANGED")),
    413: ("请求内容过大（证据文件超过其类型的上限，见 `application/evidence/kinds.py`）",
          ("REQUEST_TOO_LARGE", "ATTACHMENT_TOO_LARGE")),
    415: ("证据文件的内容不是 JPEG、PNG 或 PDF，或与声明的类型不符",
          ("ATTACHMENT_TYPE", "ATTACHMENT_TYPE_MISMATCH")),
    422: ("某个值违反规则（校验位、日期先后、公示天数、控制字符…）或不在码表中（附最接近的词）；"
          "文件无法完整解码；附件摘要未上传",
          ("ID_NUMBER_CHECK_DIGIT", "DATE_ORDER", "NOTICE_TOO_SHORT", "CODE_UNKNOWN",
           "TEXT_CONTROL_CHARACTER", "ATTACHMENT_UNREADABLE", "ATTACHMENT_UNKNOWN")),
    429: ("提交过于频繁（农户自主申报：每个来源地址每小时、每个身份证号码每天有上限）",
          ("TOO_MANY_REPORTS",)),
    503: ("暂时无法答复（读模型停在某事件或尚未追上 `after`；数据库无法连接，如主库故障切换中；"
          "本进程正在计算考核指标且排队已满），带 `Retry-After` 时可稍后重试",
          ("READ_MODELS_BEHIND", "DATABASE_UNAVAILABLE", "UNAVAILABLE", "FIGURES_BUSY")),
}


def status_table() -> str:
    """`STATUSES` as a Markdown table."""
    rows = [f"| {status} | {meaning} | {'、'.join(f'`{code}`' for code in codes)} |"
            for status, (meaning, codes) in STATUSES.items()]
    return "\n".join(["| 状态 | 含义 | 代码举例 |", "|---|---|---|", *rows])


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
    if isinstance(error, Unavailable | Busy):
        return 503
    if isinstance(error, TooMany):
        return 429
    if isinstance(error, FileTooLarge):
        return 413
    if isinstance(error, KindNotAccepted):
        return 415
    if isinstance(error, AccessDenied):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidValue):
        return 422
    return 409


#: Seconds to wait after a `Busy` refusal: about one computation of figures.
BUSY_RETRY_AFTER = "5"


def on_domain_error(request: Request, error: DomainError) -> Response[ProblemDetails]:
    retry = isinstance(error, ConcurrentChange | Unavailable)
    headers = ({"Retry-After": BUSY_RETRY_AFTER} if isinstance(error, Busy)
               else {"Retry-After": "1"} if retry else None)
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
        errors.append({"field": key, "source": source, "message": in_words(in_chinese(message), key)})
    if not errors:
        errors.append({"field": None, "source": "body", "message": in_chinese(str(error.detail))})
    miss = _code_table_miss(request, error)
    if miss is not None:
        return on_domain_error(request, miss)
    first = errors[0]  # named by its label, as the workbench names it; `field` keeps the identifier
    named = f"“{where(first['field']) or first['field']}”" if first["field"] else "请求"
    return problem(400, "INVALID_REQUEST", f"{named}不符合要求：{first['message']}",
                   field=first["field"], request=request, errors=errors)


_ENUM_MISS = re.compile(r"Invalid enum value '(.*)'(?: - at `\$\.?([^`]*)`)?")


def _code_table_miss(request: Request, error: ValidationException) -> InvalidValue | None:
    """A value not in a code table is a value breaking a rule (422, with the nearest terms, as
    an import's cell gets: `application.cells.read_code`), not a malformed request."""
    first = error.extra[0] if isinstance(error.extra, list) and error.extra else None
    if not isinstance(first, dict):
        return None
    found = _ENUM_MISS.search(str(first.get("message", "")))
    if found is None:
        return None
    value, path = found.group(1), found.group(2) or ""
    parameters = request.route_handler.parsed_fn_signature.parameters
    key = first.get("key")
    if first.get("source") == "body" or key in (None, "data", "body"):
        annotation = getattr(parameters.get("data"), "annotation", None)
        path = path or ("" if key in (None, "data", "body") else str(key))
    else:
        annotation, path = getattr(parameters.get(str(key)), "annotation", None), ""
    codes = _enum_at(annotation, path)
    if codes is None:
        return None
    try:
        read_code(codes, value, path or str(key))
    except InvalidValue as refused:
        return refused
    return None


def _enum_at(annotation: Any, path: str) -> type[StrEnum] | None:
    """The code table (a StrEnum) at ``path`` (``rows[0].risk_types[0]``) in ``annotation``."""
    try:
        info = _unwrapped(mi.type_info(annotation))
    except (TypeError, ValueError):
        return None
    for token in re.findall(r"[^.\[\]]+", path):
        if isinstance(info, mi.StructType):
            info = next((f.type for f in info.fields if f.encode_name == token), None)
        elif isinstance(info, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
            info = info.item_type
        elif isinstance(info, mi.DictType):
            info = info.value_type
        else:
            return None
        if info is None:
            return None
        info = _unwrapped(info)
    if isinstance(info, mi.EnumType) and issubclass(info.cls, StrEnum):
        return info.cls
    return None


def _unwrapped(info: mi.Type) -> mi.Type:
    if isinstance(info, mi.Metadata):
        return _unwrapped(info.type)
    if isinstance(info, mi.UnionType):
        types = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(types) == 1:
            return _unwrapped(types[0])
    return info


def on_http_error(request: Request, error: HTTPException) -> Response[ProblemDetails]:
    status = error.status_code
    if status >= 500:
        logger.error("HTTP %s on %s: %s", status, request.url.path, error.detail)
    detail = HTTP_DETAILS.get(status) or in_chinese(str(error.detail)) or TITLES.get(status, "")
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 405 and error.headers:
        headers = dict(error.headers)
    code = getattr(error, "code", None) or HTTP_CODES.get(status, f"HTTP_{status}")
    if code != HTTP_CODES.get(status):  # an answer of its own (a phone's session refused)
        detail = str(error.detail)
    return problem(status, code, detail, request=request, headers=headers)


def on_unexpected(request: Request, error: Exception) -> Response[ProblemDetails]:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "INTERNAL_ERROR", "服务器内部错误，已记录，请联系县防贫中心", request=request)


def on_database_unreachable(request: Request, error: Exception) -> Response[ProblemDetails]:
    """The database did not answer (down, or a failover under way): 503, to be retried; a
    command cut off here may or may not have been recorded, and its Idempotency-Key makes the
    retry safe either way."""
    logger.warning("database unreachable on %s %s: %s", request.method, request.url.path, error)
    return problem(503, "DATABASE_UNAVAILABLE", "数据库暂时无法连接（可能正在切换主库），请稍后重试",
                   request=request, headers={"Retry-After": "5"})


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
    message = _PATH_IN_MESSAGE.sub(
        lambda m: f"（位置：{where(m.group(1)) or m.group(1) or '整体'}）", message)
    for pattern, replacement in _TRANSLATIONS:
        message = pattern.sub(replacement, message)
    return message


#: The error answers every API route documents (problem+json), so clients and schema checkers
#: know every status a route may give.
PROBLEMS: dict[int, ResponseSpec] = {
    status: ResponseSpec(data_container=ProblemDetails, description=TITLES[status],
                         media_type=PROBLEM_JSON, generate_examples=False)
    for status in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)
}


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    StoreOperationalError: on_database_unreachable,
    StoreInterfaceError: on_database_unreachable,
    Exception: on_unexpected,
}
