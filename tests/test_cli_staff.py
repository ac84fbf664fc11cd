"""``fangpin staff …`` and ``fangpin import staff``: a household's 网格员 and 帮扶责任人 from the
command line, and the lists filtered to one grid worker's households."""

from __future__ import annotations

import json

from interfaces.cli import main


def _codes(capsys) -> list[str]:
    return [row["code"] for row in json.loads(capsys.readouterr().out)]


def test_a_grid_worker_assigned_changed_and_imported_from_the_command_line(cli_env, capsys, tmp_path):
    main(["demo", "--households", "12"])
    capsys.readouterr()
    from application.demo import generate_county

    first, second = (h.code for h in list(generate_county(2))[:2])
    # the demo named every household's 网格员 (its village's liaison): another is a change
    assert main(["staff", "grid-worker", "assign", first, "--name", "李网格", "--phone", "13812345678"]) == 1
    assert "GRID_WORKER_ASSIGNED" in capsys.readouterr().err
    assert main(["staff", "grid-worker", "change", first, "--name", "赵网格", "--phone", "13712345678"]) == 1
    err = capsys.readouterr().err  # a change needs its reason
    assert "REQUIRED" in err and "reason" in err
    assert main(["staff", "grid-worker", "change", first, "--name", "李网格", "--phone", "13812345678",
                 "--reason", "网格调整"]) == 0
    assert "网格员现为 李网格（13812345678）" in capsys.readouterr().out
    assert main(["staff", "grid-worker", "change", second, "--name", "钱网格", "--phone", "1381234",
                 "--reason", "网格调整"]) == 1
    err = capsys.readouterr().err
    assert "PHONE_INVALID" in err and "phone" in err

    sheet = tmp_path / "人员.csv"
    sheet.write_text(f"户编号,网格员姓名,网格员电话,更换原因\n{first},李网格,13812345678,\n"
                     f"{second},李网格,13812345678,网格调整\nNOPE,李网格,13812345678,\n", encoding="utf-8")
    assert main(["import", "staff", str(sheet)]) == 0
    out = capsys.readouterr().out
    assert "更换 1 人次" in out and "1 户人员未变" in out and "第 4 行：【户编号】" in out
    assert (tmp_path / "人员.errors.xlsx").exists()

    assert main(["list", "households", "--grid-worker", "李网格", "--format", "json"]) == 0
    assert sorted(_codes(capsys)) == sorted([first, second])
    assert main(["household", "show", first]) == 0
    assert "网格员 李网格（13812345678）" in capsys.readouterr().out
    assert main(["household", "history", first]) == 0
    assert "更换为网格员李网格（13812345678），理由：网格调整" in capsys.readouterr().out
    assert main(["household", "history", first, "--raw"]) == 0
    assert "GridWorkerChanged" in capsys.readouterr().out
