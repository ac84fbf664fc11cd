"""``fangpin department roster|measures|calendar`` on a demo county, on both back ends."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from application.app import CaseFiles
from application.commands import AssignMeasure
from domain.codes import Department, MeasureType
from interfaces.cli import main
from tests.builders import COUNTY

YBJ_FIELDS = ["household_code", "township", "village", "household_type", "category", "name",
              "id_number", "sex", "age", "insured"]


def test_a_department_desk_on_the_command_line(cli_env, capsys, tmp_path):
    assert main(["demo", "--households", "40", "--until", "2025-12-31"]) == 0
    capsys.readouterr()

    assert main(["department", "roster", "--department", "医保局", "--format", "json"]) == 0
    people = json.loads(capsys.readouterr().out)
    assert people and all(list(p) == YBJ_FIELDS for p in people)
    assert all(len(p["id_number"]) == 18 and "*" not in p["id_number"] for p in people)
    assert {p["household_type"] for p in people if p["category"] is None} == {"脱贫户"}

    assert main(["department", "roster", "--department", "民政局", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["户编号", "乡镇", "行政村", "监测对象类别", "姓名", "身份证号码", "与户主关系",
                       "年龄", "健康状况", "劳动能力"]
    assert len(rows) > 1 and all("**********" in row[5] and row[3] for row in rows[1:])

    assert main(["audit", "access-log"]) == 0
    reads = capsys.readouterr().out
    assert "cli:department roster" in reads
    assert reads.count("cli:department roster") == len({p["household_code"] for p in people}) + len(
        {row[0] for row in rows[1:]})

    workbook = tmp_path / "roster.xlsx"
    assert main(["department", "roster", "--department", "医保局", "--output", str(workbook)]) == 0
    assert workbook.read_bytes()[:2] == b"PK"
    capsys.readouterr()

    assert main(["department", "roster", "--department", "住建局", "--format", "json"]) == 0
    heads = json.loads(capsys.readouterr().out)  # a duty on the household: one row each
    assert heads and len({h["household_code"] for h in heads}) == len(heads)

    listed = 0
    for department in Department:  # each sees the measures assigned to it, and only those
        assert main(["department", "measures", "--department", department, "--format", "json"]) == 0
        measures = json.loads(capsys.readouterr().out)
        assert {m["department"] for m in measures} <= {department.value}
        listed += len(measures)
    assert listed > 0, "the demo assigns measures"

    assert main(["department", "calendar", "--department", "医保局"]) == 0
    calendar = capsys.readouterr().out
    assert "② 脱贫人口和监测对象医疗费用负担较重：下一期" in calendar
    assert "本年至今：按时" in calendar and "漏报" in calendar


def plan_a_measure(settings) -> tuple[str, str]:
    """A 人社局 measure planned for a monitoring object of the demo whose risk analysis found
    it needs 就业帮扶 (缺什么补什么): (household code, measure id)."""
    employment = MeasureType("就业帮扶")
    with CaseFiles(settings) as app:
        for household_id in app.iter_households():
            household = app.household(household_id)
            case = household.monitored_case
            analysis = case and household.latest_analysis(case.number, date(2025, 12, 30))
            if analysis and employment in analysis.needs:
                app.execute(household.code, AssignMeasure(
                    measure_id="CLI-1", measure_type=employment,
                    department=Department("人社局"), responsible_person="刘科长",
                    occurred_on=date(2025, 12, 30)), by=COUNTY)
                return household.code, "CLI-1"
    raise AssertionError("the demo county has no monitoring object")


def test_a_department_puts_its_measure_in_place_and_ends_it_on_the_command_line(
        cli_env, settings, capsys):
    """Given a planned measure assigned to a department, another department is refused it
    (OTHER_DEPARTMENT) and nothing is recorded; the department puts it in place, then ends it."""
    assert main(["demo", "--households", "40", "--until", "2025-12-31"]) == 0
    code, measure_id = plan_a_measure(settings)
    capsys.readouterr()
    mine = "人社局"
    other = next(d for d in Department if d != mine)

    assert main(["department", "measures", "in-place", code, measure_id, "--department", other]) == 1
    assert "OTHER_DEPARTMENT" in capsys.readouterr().err
    assert main(["department", "measures", "in-place", code, "无此措施", "--department", mine]) == 1
    assert "OTHER_DEPARTMENT" in capsys.readouterr().err  # a measure not its own, whoever's
    assert main(["department", "measures", "in-place", code, measure_id, "--department", mine,
                 "--on", "2025-12-31"]) == 0
    assert f"措施 {measure_id}" in capsys.readouterr().out

    def status() -> dict:
        assert main(["department", "measures", "--department", mine, "--format", "json"]) == 0
        return next(m for m in json.loads(capsys.readouterr().out)
                    if (m["code"], m["measure_id"]) == (code, measure_id))

    assert (status()["status"], status()["in_place_on"]) == ("已落实", "2025-12-31")
    with pytest.raises(SystemExit):  # --reason is required
        main(["department", "measures", "end", code, measure_id, "--department", mine])
    capsys.readouterr()
    assert main(["department", "measures", "end", code, measure_id, "--department", mine,
                 "--reason", "已康复", "--on", "2025-12-31"]) == 0
    capsys.readouterr()
    assert status()["status"] == "已结束"
    assert main(["department", "measures"]) == 1
    assert "department" in capsys.readouterr().err
