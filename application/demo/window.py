"""The demo's year: the twelve months that end on its last day (``until``, by default the county's
today), and the latest time anything of it may be recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from domain.rules import CHINA_TIME, add_months

#: The last day of the demo when none is given to the library (tests and benchmarks): the demo
#: county then lives through 2025, as it did before it followed the clock. `fangpin demo` gives
#: the county's today instead.
DEMO_UNTIL = date(2025, 12, 31)


@dataclass(frozen=True)
class DemoWindow:
    """The demo's year: from ``start`` (the day after the same day a year before ``until``) to
    ``until``; households are registered in the month before ``start``. ``recorded_by`` caps
    recording times: the end of ``until`` in the county, or an earlier moment (now, when
    ``until`` is today) so that nothing is recorded in the future of the clock."""

    until: date
    recorded_by: datetime

    @classmethod
    def ending(cls, until: date, now: datetime | None = None) -> DemoWindow:
        end_of_day = datetime.combine(until, time(23, 59), tzinfo=CHINA_TIME).astimezone(UTC)
        if now is not None:
            if until > now.astimezone(CHINA_TIME).date():
                raise ValueError(f"演示数据的截止日期 {until} 晚于今天")
            end_of_day = min(end_of_day, now.astimezone(UTC))
        return cls(until=until, recorded_by=end_of_day)

    @property
    def start(self) -> date:
        return add_months(self.until, -12) + timedelta(days=1)

    @property
    def tag(self) -> str:
        """What names this demo's commands (with the seed and the household code)."""
        return "2025" if self.until == DEMO_UNTIL else self.until.isoformat()

    def months(self) -> Iterator[date]:
        """The first day of every calendar month the window touches, in order."""
        month = self.start.replace(day=1)
        while month <= self.until:
            yield month
            month = add_months(month, 1)
