"""The county's terms for the public notices it produces (domain.md §13): its header and where
to object, read from a TOML file (`application/notices.toml`, or ``FANGPIN_NOTICES``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from domain.errors import InvalidValue
from domain.notices import NoticeTerms

DEFAULT_NOTICE_TERMS = Path(__file__).with_name("notices.toml")


def load_notice_terms(path: Path | None = None) -> NoticeTerms:
    """The terms in ``path`` (default: the shipped file); each must be a non-empty text."""
    path = path or DEFAULT_NOTICE_TERMS
    try:
        table = tomllib.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InvalidValue("NOTICE_TERMS_INVALID", f"公示设置无法读取（{path}）：{error}",
                           "notices") from None
    values = {}
    for name, label in (("county", "县名"), ("objection", "异议反映方式")):
        value = table.get(name)
        if not isinstance(value, str) or not value.strip():
            raise InvalidValue("NOTICE_TERMS_INVALID", f"公示设置（{path}）须写明{label}（{name}）",
                               "notices")
        values[name] = value.strip()
    return NoticeTerms(**values)
