"""``fangpin tasks --as USER`` and ``fangpin users link`` on a demo county, on both back ends."""

from __future__ import annotations

import json

from interfaces.cli import main


def test_a_persons_work_on_the_command_line(cli_env, capsys):
    assert main(["demo", "--households", "40", "--until", "2025-12-31"]) == 0
    capsys.readouterr()
    assert main(["list", "visits-due", "--format", "json"]) == 0
    due = json.loads(capsys.readouterr().out)
    township, village = due[0]["township"], due[0]["village"]
    assert main(["users", "add", "wang", "--role", "township", "--township", township]) == 0
    assert main(["users", "add", "li", "--role", "village", "--township", township,
                 "--village", village]) == 0
    capsys.readouterr()

    assert main(["tasks", "--as", "wang", "--format", "json"]) == 0
    desk = json.loads(capsys.readouterr().out)
    deadlines = [t["deadline"] for t in desk["tasks"] if t["deadline"]]
    assert deadlines == sorted(deadlines)
    assert sum(desk["counts"].values()) == len(desk["tasks"])
    assert main(["list", "cases", "--township", township, "--format", "json"]) == 0
    cases = json.loads(capsys.readouterr().out)
    assert sorted(t["subject"] for t in desk["tasks"] if t["kind"] == "认定步骤") == sorted(
        c["code"] for c in cases)

    assert main(["tasks", "--as", "wang"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("wang 的待办（") and f"共 {len(desk['tasks'])} 件" in shown

    # a village user not linked answers for the village's visits; linked, for their own
    assert main(["tasks", "--as", "li", "--kind", "走访", "--format", "json"]) == 0
    theirs = json.loads(capsys.readouterr().out)
    assert theirs["grid_worker"] is None
    assert sorted(t["subject"] for t in theirs["tasks"]) == sorted(
        row["code"] for row in due if (row["township"], row["village"]) == (township, village))
    assert main(["users", "link", "li", "--grid-worker-name", "无此人"]) == 0
    capsys.readouterr()
    assert main(["tasks", "--as", "li", "--kind", "走访", "--format", "json"]) == 0
    linked = json.loads(capsys.readouterr().out)
    assert linked["grid_worker"] == "无此人" and linked["tasks"] == []

    assert main(["users", "link", "wang", "--grid-worker-name", "李网格"]) == 1
    assert "LINK_NOT_VILLAGE" in capsys.readouterr().err
    assert main(["tasks", "--as", "nobody"]) == 1
    assert "USER_NOT_FOUND" in capsys.readouterr().err
