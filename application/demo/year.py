"""One demo household's year — the twelve months up to the demo's last day — as an agenda of
dated actions, and how each action is recorded."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

from application.commands import HouseholdCommand, Recording
from application.demo.county import COUNTY_ACTORS, IdNumbers, Village, income_line_on, relief_bands_on
from application.demo.families import Weddings
from application.demo.tables import (
    INCLUDE,
    NO_RISK,
    REJECT_COUNTY,
    REJECT_TOWNSHIP,
    REJECT_VILLAGE,
    Plan,
    Script,
)
from application.demo.window import DemoWindow
from domain.household import Household
from domain.rules import CHINA_TIME
from domain.values import Actor, Member


class YearAgenda:
    """One household's year, run as an agenda of dated actions in date order.

    The year is the demo's window: the twelve months that end on its last day (``window.until``);
    nothing happens after that day. Each action looks at the case file as it stands, decides what
    a worker would do, and runs that command (`application.commands`) on the aggregate.
    Recording times follow the dates with a delay of 0–3 days, never go backwards, and are not
    later than ``window.recorded_by`` (what is done on the last day is recorded that day).
    """

    def __init__(self, *, rng: Random, seed: int, window: DemoWindow, plan: Plan,
                 village: Village, serial: int, ids: IdNumbers, weddings: Weddings) -> None:
        self.rng = rng
        self.seed = seed
        self.window = window
        self.start = window.start
        self.plan = plan
        self.village = village
        self.ids = ids
        self.weddings = weddings
        self.code = f"{village.prefix}{serial:04d}"
        self.end = window.until
        self.agenda: list[tuple[int, int, int, Callable[..., None], tuple[Any, ...]]] = []
        self.sequence = 0
        self.commands = 0
        self.counters: Counter[str] = Counter()
        self.last_at: datetime | None = None
        self.scripts: dict[int, Script] = {}
        self.visiting = False
        self.house_number = serial
        self.h: Household

    def register(self) -> None:
        """Register the household and plan its year: the first action of `run`."""
        raise NotImplementedError

    # ---------------------------------------------------------------- agenda and recording

    def schedule(self, day: date, priority: int, action: Callable[..., None], *args: Any) -> None:
        if day <= self.end:
            self.sequence += 1
            heapq.heappush(self.agenda, (day.toordinal(), priority, self.sequence, action, args))

    def run(self) -> Household:
        self.register()
        while self.agenda:
            ordinal, _, _, action, args = heapq.heappop(self.agenda)
            action(date.fromordinal(ordinal), *args)
        return self.h

    def at(self, day: date) -> datetime:
        """Recording time: the day (county calendar) plus a small delay, never going back."""
        roll = self.rng.random()
        delay = 0 if roll < 0.7 else 1 if roll < 0.88 else 2 if roll < 0.96 else 3
        minutes = self.rng.randint(8 * 60 + 30, 17 * 60 + 30)
        local = datetime(day.year, day.month, day.day, tzinfo=CHINA_TIME)
        moment = (local + timedelta(days=delay, minutes=minutes)).astimezone(UTC)
        cap = self.window.recorded_by
        moment = max(min(moment, cap), local.astimezone(UTC))
        if self.last_at is not None and moment <= self.last_at:
            step = timedelta(minutes=self.rng.randint(1, 5))
            moment = self.last_at + (step if self.last_at + step <= cap else timedelta(seconds=1))
        self.last_at = moment
        return moment

    def command_id(self) -> str:
        self.commands += 1
        return f"demo-{self.window.tag}-{self.seed}-{self.code}-{self.commands:03d}"

    def next_id(self, kind: str) -> str:
        self.counters[kind] += 1
        return f"{self.code}-{kind}{self.counters[kind]:02d}"

    def do(self, by: Actor, command: HouseholdCommand, command_id: str = "") -> Any:
        """Record ``command`` as ``by``: recorded a little after its day, under the next id
        (or ``command_id``: a push row's, `application.pushes.PushBatch.command_id`)."""
        day = command.occurred_on
        line = income_line_on(day) if command.weighs_income else None
        bands = relief_bands_on(day) if command.weighs_relief else None
        return command.run(self.h, Recording(by=by, at=self.at(day),
                                             command_id=command_id or self.command_id(),
                                             line_in_force=line, relief_bands=bands))

    def county_actor(self) -> Actor:
        return self.rng.choice(COUNTY_ACTORS)

    def days(self, day: date, low: int, high: int) -> date:
        return day + timedelta(days=self.rng.randint(low, high))

    def next_on(self, month: int, day: int) -> date:
        """The first ``month``-``day`` on or after the window's first day."""
        candidate = date(self.start.year, month, day)
        return candidate if candidate >= self.start else date(self.start.year + 1, month, day)

    def random_script(self) -> Script:
        roll = self.rng.random()
        fate = (NO_RISK if roll < 0.12 else REJECT_VILLAGE if roll < 0.17
                else REJECT_TOWNSHIP if roll < 0.23 else REJECT_COUNTY if roll < 0.3 else INCLUDE)
        return Script(fate=fate, late=self.rng.random() < 0.08)


    def current(self, day: date) -> list[Member]:
        return self.h.members_on(day)
