"""Keyset cursors: the values of a page's last row in its sort order, as opaque text."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any
from uuid import UUID

from domain.errors import InvalidValue
from projections.store import column_type


def encode_cursor(values: list[Any]) -> str:
    """The cursor after a row whose sort values are ``values``."""
    plain = [v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, UUID) else v
             for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, ensure_ascii=False).encode()).decode()


def decode_cursor(cursor: str, columns: tuple[str, ...]) -> list[Any]:
    """The values a cursor holds, typed as ``columns``; refused if it is not one of ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if len(values) != len(columns):
            raise ValueError
        return [_typed(column, value) for column, value in zip(columns, values, strict=True)]
    except Exception:  # anything not made by encode_cursor
        raise InvalidValue("CURSOR_INVALID", "分页游标无效，请从第一页重新查询", "cursor") from None


def _typed(column: str, value: Any) -> Any:
    kind = column_type(column)
    if value is None:
        raise ValueError
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "id":
        return UUID(value)
    if kind == "int":
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise ValueError
        return number
    return str(value)
