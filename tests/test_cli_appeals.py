"""``fangpin appeals list`` on a demo county, on both back ends: the columns of the API and the
export, open ones by default, every one with ``--all``."""

from __future__ import annotations

import csv
import io
import json

from application.app import CaseFiles
from application.commands import AnswerAppeal, LodgeAppeal
from domain.codes import AppealSubject, ObjectionOutcome
from interfaces.cli import main
from interfaces.exports import EXPORTS
from tests.builders import COUNTY


def appeal_two(settings) -> None:
    """A monitoring object appeals against its category (left open); a household whose risk
    was eliminated appeals against the elimination, answered (not upheld) the same day."""
    wanted = {AppealSubject.CATEGORY, AppealSubject.ELIMINATION}
    with CaseFiles(settings) as app:
        for household_id in app.iter_households():
            household = app.household(household_id)
            case = household.cases[-1] if household.cases else None
            if case is None or case.open_appeal is not None:
                continue
            against = AppealSubject.CATEGORY if case.monitored else (
                AppealSubject.ELIMINATION if case.eliminated_on else None)
            if against not in wanted:
                continue
            wanted.discard(against)
            day = case.included_on if against is AppealSubject.CATEGORY else case.eliminated_on
            app.execute(household.code, LodgeAppeal(
                case_number=case.number, appeal_id=f"SS-{against}", against=against,
                appellant=household.head.name, by_household=True, content="认定有误",
                occurred_on=day), by=COUNTY)
            if against is AppealSubject.ELIMINATION:
                app.execute(household.code, AnswerAppeal(
                    case_number=case.number, appeal_id=f"SS-{against}",
                    outcome=ObjectionOutcome.NOT_UPHELD, reason="消除有据", occurred_on=day),
                    by=COUNTY)
            if not wanted:
                return
    raise AssertionError(f"the demo county has no case to appeal: {wanted}")


def test_the_appeals_on_the_command_line(cli_env, settings, capsys):
    # 60 households: the first whose demo has a case eliminated in the year (and appeals of
    # its own, against refusals)
    assert main(["demo", "--households", "60", "--until", "2025-12-31"]) == 0
    capsys.readouterr()
    assert main(["appeals", "list", "--all", "--format", "json"]) == 0
    the_demos = json.loads(capsys.readouterr().out)
    appeal_two(settings)
    assert main(["appeals", "list", "--all", "--format", "json"]) == 0
    every = json.loads(capsys.readouterr().out)
    assert len(every) == len(the_demos) + 2
    assert [r["deadline_on"] for r in every] == sorted(r["deadline_on"] for r in every)
    assert main(["appeals", "list", "--format", "json"]) == 0
    still_open = json.loads(capsys.readouterr().out)
    assert [r["appeal_id"] for r in still_open] == [
        r["appeal_id"] for r in every if r["answered_on"] is None]
    assert all(r["on_time"] == (r["answered_on"] <= r["deadline_on"])
               for r in every if r["answered_on"])

    assert main(["appeals", "list", "--all", "--format", "csv"]) == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert header == [title for _, title in EXPORTS["appeals"][1]]
    assert main(["appeals", "list", "--all", "--limit", "1"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith(f"异议与申诉（全部）：共 {len(every)} 条") and every[0]["appeal_id"] in shown
    assert main(["appeals", "list", "--township", "无此乡镇", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
