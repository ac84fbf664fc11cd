"""The county's own time limits (``deadlines.toml``), loaded and checked once.

Only the appeal answer deadline is the county's to set (domain.md §14, "within the deadline
(data)"); the notice's limits stay rules in `domain.deadlines`. The value is passed to the
household's command through `Recording`, and the appeal records its answer-by day, so the
domain reads no file and a later change never moves a deadline already set.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidValue

DEFAULT_DEADLINES = Path(__file__).with_name("deadlines.toml")
#: The range a county may set an answer deadline in (days).
ANSWER_DAYS_RANGE = (1, 90)


@dataclass(frozen=True)
class Deadlines:
    """The county's time limits, from the file ``source``."""

    appeal_answer_days: int
    source: str

    @classmethod
    def load(cls, path: Path | None = None) -> Deadlines:
        path = path or DEFAULT_DEADLINES
        try:
            table = tomllib.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise InvalidValue("DEADLINES_INVALID", f"时限设置无法读取（{path}）：{error}",
                               "deadlines") from None
        days = table.get("appeal_answer_days")
        low, high = ANSWER_DAYS_RANGE
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            raise InvalidValue("DEADLINES_INVALID", f"时限设置（{path}）的申诉答复期限"
                               f"（appeal_answer_days）须为 {low} 至 {high} 之间的整数", "deadlines")
        unknown = sorted(set(table) - {"appeal_answer_days"})
        if unknown:
            raise InvalidValue("DEADLINES_INVALID", f"时限设置（{path}）有未知的项：{'、'.join(unknown)}",
                               "deadlines")
        return cls(days, str(path))
