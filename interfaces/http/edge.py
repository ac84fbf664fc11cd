"""Every request's text checked once, before any handler reads it (litestar's
``before_request`` for every route of the API and the workbench).

* A JSON body (a handler that takes one): not UTF-8, or nested deeper than `MAX_DEPTH` — found
  by scanning the bytes, before any recursive decode — is refused with 400; then every text and
  field name of the decoded document is held to `domain.text` (422 naming its path, as
  ``members[0].name``), and every value whose field declares a pattern msgspec cannot check
  (an amount, a `Decimal`: ``application.commands.fields.Money``) must be a text matching it
  (400, as the schema says). Litestar keeps the decoded body for the handler.
* A form (URL-encoded or multipart): every field but the uploaded files, and the files' names.
  The cells of an uploaded file are the intake's to check, row by row. A handler whose form
  shows a refusal beside the field itself says so with ``opt={"checks_own_text": True}``.
* Every request: each query parameter, path parameter and the ``Idempotency-Key`` header.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from functools import cache
from itertools import accumulate, count
from typing import Any

import anyio
import msgspec.inspect as mi
from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import SerializationException, ValidationException

from domain.text import check_document, check_text, check_texts
from interfaces.http.problems import MalformedRequest

#: Deepest nesting of a JSON body: the deepest command is four levels; 32 leaves room.
MAX_DEPTH = 32
#: Bodies larger than this are checked in a worker thread.
BIG_BODY = 64 * 1024

_FORMS = (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)
_OPENING, _CLOSING = b"[{", b"]}"
#: `bytes.translate` arguments keeping only brackets: an opening one as 2, a closing one as 0.
_BRACKETS = bytes.maketrans(_OPENING + _CLOSING, b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPENING + _CLOSING)


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Refuse the request if any of its text breaks the rule (see the module)."""
    check_texts(request.query_params.multi_items())
    check_texts(request.path_params.items())
    if (key := request.headers.get("idempotency-key")) is not None:
        check_text(key, "Idempotency-Key")
    handler = request.route_handler
    body = handler.parsed_fn_signature.parameters.get("data")
    media = getattr(body.kwarg_definition, "media_type", None) if body is not None else None
    if body is not None and media not in _FORMS:
        await _check_json(request, body.annotation)
    elif request.content_type[0] in _FORMS and not handler.opt.get("checks_own_text"):
        for name, value in (await request.form()).multi_items():
            if isinstance(value, UploadFile):
                check_text(value.filename or "", name)
            else:
                check_text(str(value), name)


async def _check_json(request: Request[Any, Any, Any], body_type: Any) -> None:
    body = await request.body()
    await _off_the_loop(len(body), _check_readable, body)
    try:
        document = await request.json()  # kept for the handler
    except SerializationException:
        return  # not JSON: the handler's own decoding says how (400)
    await _off_the_loop(len(body), check_document, document)
    if _has_text_patterns(body_type):
        _check_text_patterns(body_type, document)


def _check_text_patterns(body_type: Any, document: Any) -> None:
    """Refuse a value whose field declares a pattern msgspec cannot check (its type is not
    ``str``) unless it is a text matching it: 400 naming the field, as ``amount``."""
    for path, declared, value in _patterned(_type_info(body_type), document, ""):
        if not (isinstance(value, str) and re.search(declared["pattern"], value)):
            what = declared.get("description") or declared["pattern"]
            raise ValidationException(extra=[{
                "key": path, "source": "body", "message": f"应为{what}，实为 {value!r}"}])


@cache
def _type_info(body_type: Any) -> mi.Type:
    return mi.type_info(body_type)


@cache
def _has_text_patterns(body_type: Any) -> bool:
    """Whether any field of the body declares such a pattern (most bodies: none to look for)."""
    try:
        info = _type_info(body_type)
    except (TypeError, ValueError):  # a type msgspec cannot describe: nothing declared
        return False
    return any(True for _ in _patterned(info, _ANY, "", set()))


#: Stands for every value: `_patterned` walks the whole type, not one document.
_ANY = object()


def _patterned(info: mi.Type, value: Any, path: str,
               seen: set[type] | None = None) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(path, its ``extra_json_schema``, value) of each value in ``value`` whose declared type is
    not ``str`` but carries a pattern (``Meta(extra_json_schema={"pattern": …})``)."""
    if value is None:
        return
    if isinstance(info, mi.Metadata):
        declared = info.extra_json_schema or {}
        if declared.get("pattern") and not isinstance(info.type, mi.StrType):
            yield path, declared, value
        else:
            yield from _patterned(info.type, value, path, seen)
    elif isinstance(info, mi.UnionType):
        for member in info.types:
            yield from _patterned(member, value, path, seen)
    elif isinstance(info, mi.StructType):
        if seen is not None:  # walking the type: each Struct once (a Struct may hold itself)
            if info.cls in seen:
                return
            seen.add(info.cls)
        for field in info.fields:
            child = value if value is _ANY else value.get(field.encode_name) \
                if isinstance(value, dict) else None
            yield from _patterned(field.type, child, f"{path}.{field.encode_name}".lstrip("."), seen)
    elif isinstance(info, mi.ListType | mi.VarTupleType | mi.SetType | mi.FrozenSetType):
        items = [_ANY] if value is _ANY else value if isinstance(value, list) else []
        for i, item in enumerate(items):
            yield from _patterned(info.item_type, item, f"{path}[{i}]", seen)
    elif isinstance(info, mi.DictType):
        entries = {"*": _ANY} if value is _ANY else value if isinstance(value, dict) else {}
        for key, item in entries.items():
            yield from _patterned(info.value_type, item, f"{path}.{key}".lstrip("."), seen)


async def _off_the_loop(size: int, check: Callable[[Any], None], value: Any) -> None:
    """A check of a big body (a push of thousands of rows) runs in a worker thread, so that the
    other requests are not kept waiting meanwhile."""
    if size > BIG_BODY:
        await anyio.to_thread.run_sync(check, value)
    else:
        check(value)


def _check_readable(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedRequest("BODY_NOT_UTF8", f"请求体不是 UTF-8 编码（第 {error.start} 字节起）",
                               None) from None
    if json_depth(body) > MAX_DEPTH:
        raise MalformedRequest("BODY_TOO_DEEP", f"JSON 嵌套超过 {MAX_DEPTH} 层", None)


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not
    count), in time linear in its length and without recursion. Exact for valid JSON; for
    malformed JSON, exact up to the first fault (where any decoder stops)."""
    # Escaped backslashes, then escaped quotes, go first: every quote left opens or closes a
    # string, so the text outside strings is every other piece between quotes.
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    brackets = outside.translate(_BRACKETS, _NOT_BRACKETS)
    # After n brackets, the depth is openings - closings = 2 * openings - n.
    return max(map(operator.sub, accumulate(brackets), count(1)), default=0)
