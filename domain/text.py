"""Text a case file may hold: what people type, never the invisible control characters that
come with a hostile request or a paste from another program.

One rule, checked once where text comes in (the HTTP API's requests, the workbench's forms,
the cells of an uploaded workbook or CSV file): a value holding a C0 control character other
than tab, line feed and carriage return, DEL, a C1 control character, or half of a surrogate
pair is refused, naming the field. Besides being nothing a person meant, a NUL cannot be stored
in PostgreSQL text at all: one accepted would stop every read model built from the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from domain.errors import InvalidValue

#: C0 controls except tab, line feed and carriage return; DEL and the C1 controls — as the body
#: of a regular-expression class, which the HTTP API's schema states too.
CONTROL_CHARACTERS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
#: Those and the halves of surrogate pairs.
_REFUSED = re.compile(rf"[{CONTROL_CHARACTERS}\ud800-\udfff]")
CODE = "TEXT_CONTROL_CHARACTER"


def refused_character(text: str) -> str | None:
    """The first character of ``text`` the rule refuses (None when there is none)."""
    found = _REFUSED.search(text)
    return found.group() if found else None


def reason(character: str) -> str:
    """Why a text holding ``character`` is refused, in the words a form or a row shows."""
    return f"含有控制字符 U+{ord(character):04X}（不可见，无法保存）：请删除后重新填写"


def refusal(field: str, character: str, *, in_name: bool = False) -> InvalidValue:
    """The refusal of a value (or, ``in_name``, of a field's name) holding ``character``."""
    return InvalidValue(CODE, f"“{field}”的{'字段名' if in_name else '内容'}{reason(character)}",
                        field)


def check_text(text: str, field: str) -> str:
    """``text`` when the rule allows it; else `InvalidValue` naming ``field``."""
    character = refused_character(text)
    if character is not None:
        raise refusal(field, character)
    return text


def check_texts(values: Iterable[tuple[str, Any]]) -> None:
    """Each text among (field, value) pairs (a form, a query string); other values pass."""
    for field, value in values:
        if isinstance(value, str):
            check_text(value, field)


def check_document(value: Any) -> None:
    """Every text and every field name of a decoded JSON document (objects, arrays, strings),
    the first refused one named by its path, as ``members[0].name``."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:  # depth first, in document order, without recursion
        path, item = stack.pop()
        if isinstance(item, str):
            check_text(item, path or "body")
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                named = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (character := refused_character(key)) is not None:
                    raise refusal(path or "body", character, in_name=True)
                children.append((named, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{path}[{i}]", child) for i, child in enumerate(item)]))
