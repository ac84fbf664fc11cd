"""The green channel (绿色通道): for a sudden risk from disaster, epidemic or accident, help may
start right after the household visit; steps 2–4 of identification are still owed."""

from __future__ import annotations

from datetime import date, datetime

from domain import rules
from domain.codes import Decision, SuddenHardship
from domain.errors import InvalidValue, RuleViolation
from domain.household.state import Event, HouseholdState
from domain.values import Actor, GreenChannel


class GreenChannelOpened(Event):
    """绿色通道: help may start before steps 2–4, which are still owed."""

    TOPIC = "fangpin:Household.GreenChannelOpened"
    case_number: int
    hardship: SuddenHardship
    studied_on: date
    approved_on: date

    def apply_to(self, household: HouseholdState) -> None:
        case = household.cases[self.case_number - 1]
        case.green_channel = GreenChannel(
            self.occurred_on, self.hardship, self.studied_on, self.approved_on
        )


class GreenChannelChapter(HouseholdState):
    """Opening the green channel on a case being identified."""

    def open_green_channel(
        self, case_number: int, hardship: SuddenHardship, *, studied_on: date, approved_on: date,
        occurred_on: date, by: Actor, at: datetime, command_id: str = "",
    ) -> None:
        """Open the green channel for a sudden risk from disaster, epidemic or accident.

        Needs the household visit to have confirmed the risk, the village committees' study
        (村两委研究) and county + township approval.
        """
        case = self._case_in_identification(case_number)
        visit = case.identification.home_visit
        if visit is None or visit.decision is not Decision.PASSED:
            raise RuleViolation(
                "GREEN_CHANNEL_BEFORE_VISIT", "绿色通道须在入户核查确认风险后开启", "case_number"
            )
        if case.green_channel is not None:
            raise RuleViolation("GREEN_CHANNEL_OPEN", "该案件已开启绿色通道", "case_number")
        if not set(case.risk_types) & rules.GREEN_CHANNEL_RISKS[hardship]:
            raise RuleViolation(
                "GREEN_CHANNEL_NOT_SUDDEN",
                f"绿色通道仅适用于因灾因疫等突发风险；本案风险类型（{'、'.join(case.risk_types)}）"
                f"不属于{hardship}",
                "hardship",
            )
        for field, day, label in (("studied_on", studied_on, "村两委研究"),
                                  ("approved_on", approved_on, "县乡审核")):
            if day < visit.occurred_on or day > occurred_on:
                raise InvalidValue(
                    "DATE_ORDER", f"{label}日期须在入户核查之后、开启绿色通道之前", field
                )
        self._record(
            GreenChannelOpened, occurred_on, by, at, command_id,
            case_number=case.number, hardship=hardship, studied_on=studied_on,
            approved_on=approved_on,
        )
