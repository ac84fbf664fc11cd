"""How a list's typed filters match, and which columns each list may be sorted by.

A place or person filed under a name is found by part of that name: "东营" finds 东营村, "建国"
finds 王建国. A full name finds exactly that name, so choosing 石门村 from a pick-list does not
bring in 上石门村 and 下石门村. The SQL is the same on SQLite and PostgreSQL: the text is always a
parameter, and ``%``, ``_`` and ``\\`` in it are escaped, so they match themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The escape character of every LIKE pattern made here.
LIKE_ESCAPE = "\\"


def escaped(text: str) -> str:
    """``text`` with LIKE's wildcards escaped, so that it matches only itself."""
    return (text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
            .replace("_", LIKE_ESCAPE + "_"))


@dataclass(frozen=True)
class NameMatch:
    """A typed name as a filter on ``column``: ``whole`` when it is a full name in the caller's
    area (that name only), else part of one (every name containing it)."""

    column: str
    text: str
    whole: bool

    def sql(self) -> tuple[str, str]:
        """The WHERE clause (``?`` for its parameter) and its parameter."""
        if self.whole:
            return f"{self.column} = ?", self.text
        return f"{self.column} LIKE ? ESCAPE '{LIKE_ESCAPE}'", f"%{escaped(self.text)}%"

    def matches(self, name: str | None) -> bool:
        """The same rule in Python, for rows that are not in a read model (held alerts)."""
        if name is None:
            return False
        return name == self.text if self.whole else self.text in name


#: The columns each list may be sorted by (``-`` before one: descending). Only columns that are
#: never empty: a keyset page compares the last row's values, and an empty value compares with
#: nothing. Each list pages on its key after the sort column, so equal values keep their order.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "monitoring": ("code", "township", "village", "head_name", "included_on"),
    "monitoring_as_of": ("code", "township", "village", "head_name", "from_on"),
    "cases": ("deadline_on", "discovered_on", "code", "township", "village", "head_name"),
    "visits_due": ("code", "township", "village", "head_name"),
    "directory": ("code", "head_name", "township", "village"),
    "alerts": ("code", "discovered_on"),
    "appeals": ("deadline_on", "lodged_on", "code", "township", "village"),
}
