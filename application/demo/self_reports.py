"""农户自主申报 in the demo year: people of the demo users' township who reported a hardship on
the public page. The evening before the last day one did, and the township has not answered
yet (the report is on the township's and the county's desks); a month earlier another did,
and the township, having been to the household, answered 不属实. The people are members of the
demo's households with no case in the year (`Reporters` picks them as the households are
generated), so that answering the held one 属实 raises the alert on a real household."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from random import Random

from application.app import CaseFiles
from application.demo.county import county, mobile
from application.demo.pushes import clock_at
from application.demo.window import DemoWindow
from domain.household import Household
from domain.rules import CHINA_TIME
from domain.self_reports import Answer

#: What the people reported.
STORIES = ("老伴突发脑梗住院，已花费四万多元，家里没有别的收入，请求帮助",
           "儿子在工地摔伤腰椎，不能干活，家里两个孩子上学，生活困难",
           "今年种的核桃遭冰雹基本绝收，贷款还不上，请求帮扶")
#: Days before the last day that each reported: the first answered, the last still held.
REPORTED = (33, 1)


@dataclass
class Reporters:
    """Heads of the first households of the demo users' township with no case in the year."""

    township: str = field(default_factory=lambda: county()[0].township)
    found: list[Household] = field(default_factory=list)

    def add(self, household: Household) -> None:
        if len(self.found) < len(REPORTED) and household.township == self.township \
                and not household.cases:
            self.found.append(household)


def ensure_self_reports(app: CaseFiles, window: DemoWindow, seed: int, reporters: Reporters) -> int:
    """Record the demo's self-reports unless its township holds some already; returns the
    events recorded."""
    township = reporters.township
    if len(reporters.found) < len(REPORTED) or app.self_reports(township) is not None:
        return 0
    before = app.max_position()
    rng = Random(f"{seed}-{window.tag}-self-reports")
    for n, (household, days) in enumerate(zip(reporters.found, REPORTED, strict=True), start=1):
        head = household.head
        with clock_at(app, _at(window.until - timedelta(days=days), 20, window)):
            report_id = app.report_hardship(
                township, command_id=f"demo-{window.tag}-{seed}-self-report-{n}", name=head.name,
                person_id_number=head.id_number, phone=mobile(rng), village=household.village,
                story=rng.choice(STORIES)).outcome
        if days > 1:  # visited within days and found not true
            with clock_at(app, _at(window.until - timedelta(days=days - 4), 11, window)):
                app.answer_self_report(
                    township, report_id, Answer.NOT_TRUE, by=county()[0].township_actor,
                    reason="经入户核实，该户子女在外务工收入稳定，医疗费用已由医保报销大部分，家庭基本生活无困难",
                    command_id=f"demo-{window.tag}-{seed}-self-report-{n}-answer")
    return app.max_position() - before


def _at(day: date, hour: int, window: DemoWindow) -> datetime:
    """``hour`` o'clock in the county on ``day``, or the latest the demo may record at."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TIME).astimezone(UTC)
    return min(moment, window.recorded_by)
