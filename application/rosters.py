"""The department roster table (``rosters.toml``, domain.rosters), loaded and checked once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from domain.codes import Department
from domain.errors import InvalidValue, NotFound
from domain.rosters import RosterDuty, parse_rosters

DEFAULT_ROSTERS = Path(__file__).with_name("rosters.toml")


@dataclass(frozen=True)
class Rosters:
    """Each department's roster duty, from the file ``source``."""

    duties: dict[Department, RosterDuty]
    source: str

    @classmethod
    def load(cls, path: Path | None = None) -> Rosters:
        path = path or DEFAULT_ROSTERS
        try:
            table = tomllib.loads(path.read_bytes().decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise InvalidValue("ROSTER_INVALID", f"部门名册表 {path} 无法读取：{error}", "rosters") from None
        return cls(parse_rosters(table), str(path))

    def of(self, department: Department) -> RosterDuty:
        """The department's roster, or a refusal naming it: the table gives it none."""
        duty = self.duties.get(department)
        if duty is None:
            raise NotFound("ROSTER_NOT_DEFINED",
                           f"部门名册表未为{department}规定名册（{Path(self.source).name}）", "department")
        return duty
