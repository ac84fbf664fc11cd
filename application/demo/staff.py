"""The people on a demo household (§七): its 网格员 and its 帮扶责任人.

The 网格员 of every household is its village's liaison, who visits it; named the day it is
registered. A 帮扶责任人 answers for a household with help to give: a 脱贫户's is named with it
(四个不摘) and kept for a case when one is included — the township confirms them within days,
now and then changes them — while a monitoring object without one gets one named within days
of its inclusion (now and then weeks later: meanwhile naming one is among its next steps). An
ordinary household's 帮扶责任人 stops once its risk is eliminated; a 脱贫户 keeps theirs.
"""

from __future__ import annotations

from datetime import date

from application.commands import (
    AssignGridWorker,
    AssignHelper,
    ChangeHelper,
    ConfirmHelper,
    EndHelper,
)
from application.demo.county import HELPER_UNITS, full_name, liaison_phone, mobile
from application.demo.tables import HELPER, P_HELP
from application.demo.year import YearAgenda
from domain.codes import HouseholdType, Sex


class Staff(YearAgenda):
    """Naming, keeping and ending the household's 网格员 and 帮扶责任人."""

    def name_grid_worker(self, day: date) -> None:
        village = self.village
        self.do(village.liaison, AssignGridWorker(
            worker_name=village.liaison_name, phone=liaison_phone(village), occurred_on=day))

    def name_helper(self, day: date) -> None:
        """Name a 帮扶责任人 where the household has none and help to answer for."""
        if self.h.helper is not None or not self.h.may_have_helper:
            return
        rng = self.rng
        sex = Sex.MALE if rng.random() < 0.65 else Sex.FEMALE
        self.do(self.village.township_actor, AssignHelper(
            helper_name=full_name(rng, sex, rng.randint(1968, 1995)),
            unit=rng.choice(HELPER_UNITS).format(township=self.village.township),
            phone=mobile(rng), occurred_on=day))

    def helper_for_case(self, day: date, number: int) -> None:
        """The case was included on ``day``: name its 帮扶责任人, or keep the one it had (not by
        the last day, for a case held at `HELPER`)."""
        if getattr(self.scripts.get(number), "hold", None) == HELPER:
            return
        if self.h.helper is None:
            later = self.rng.random() < 0.1  # a next step for a few weeks
            self.schedule(self.days(day, 20, 45) if later else self.days(day, 0, 5), P_HELP,
                          self.name_helper)
        else:
            self.schedule(self.days(day, 1, 8), P_HELP, self.keep_helper)

    def keep_helper(self, day: date) -> None:
        """The township confirms the 帮扶责任人 named before the case for it — or, now and then,
        hands the household to another who can help with this risk."""
        current = self.h.helper_to_confirm
        if current is None:
            return
        township = self.village.township_actor
        if self.rng.random() < 0.85:
            self.do(township, ConfirmHelper(occurred_on=day))
            return
        rng = self.rng
        self.do(township, ChangeHelper(
            helper_name=full_name(rng, Sex.MALE, rng.randint(1970, 1992)),
            unit=rng.choice(HELPER_UNITS).format(township=self.village.township),
            phone=mobile(rng), reason="原帮扶责任人工作调动，按新纳入的风险调整帮扶力量", occurred_on=day))

    def release_helper(self, day: date) -> None:
        """An ordinary household's risk was eliminated: its 帮扶责任人's duty ends."""
        if self.h.helper is None or self.h.household_type is HouseholdType.LIFTED_OUT \
                or self.h.monitored_case is not None:
            return
        self.do(self.village.township_actor, EndHelper(reason="风险已消除，帮扶结束",
                                                        occurred_on=day))
