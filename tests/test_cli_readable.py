"""The command line as a county official and a script read it: a household's history in the
sentences the workbench's timeline says (raw fields on request, for auditors), and progress
bars only on a terminal — never in what a script or a pipe reads."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest

from application.accounts.access import User
from application.app import CaseFiles
from application.demo import generate_county
from domain.codes import Role
from interfaces.cli import main
from interfaces.http.views import Masker, history_entries

UNTIL = "2025-12-31"


@pytest.fixture
def demo(cli_env, capsys) -> str:
    """A small demo county; the code of its first household."""
    assert main(["demo", "--households", "30", "--until", UNTIL]) == 0
    capsys.readouterr()
    from datetime import date

    return next(generate_county(1, until=date.fromisoformat(UNTIL))).code


class TestHistoryInSentences:
    def test_the_history_says_each_fact_as_the_web_timeline_does(self, demo, capsys, settings):
        # Given a household of the demo county
        # When its history is printed
        assert main(["household", "history", demo]) == 0
        lines = capsys.readouterr().out.splitlines()
        # Then each fact is the sentence the workbench shows, numbered, with when it was recorded
        with CaseFiles(settings) as app:
            said = history_entries(app.history(demo), Masker(User("cli", Role.COUNTY_CENTRE)))
        assert len(lines) == len(said) + 1 and lines[-1].startswith("（记录时间为北京时间")
        for line, entry in zip(lines, said, strict=False):
            assert line.split()[0] == str(entry.version)
            assert entry.sentence in line and "（记录于 " in line
        assert not any(name in "\n".join(lines) for name in ("Registered", "AlertRaised", "{"))

    def test_raw_and_json_keep_the_recorded_fields_for_auditors(self, demo, capsys):
        assert main(["household", "history", demo, "--raw"]) == 0
        raw = capsys.readouterr().out.splitlines()
        assert raw[0].split()[0] == "1" and "Registered" in raw[0] and "code=" in raw[0]

        assert main(["audit", "history", demo, "--format", "json"]) == 0
        entries = json.loads(capsys.readouterr().out)
        assert len(entries) == len(raw)
        first = entries[0]
        assert first["event"] == "Registered" and first["details"]["code"] == demo
        assert "登记农户" in first["sentence"] and first["recorded_by"]["role"]

    def test_audit_history_as_of_a_time_says_only_what_was_recorded_by_then(self, demo, capsys):
        assert main(["audit", "history", demo, "--as-of", "2024-11-30"]) == 0
        assert capsys.readouterr().out == ""
        assert main(["audit", "history", demo, "--as-of", "2025-01-31"]) == 0
        early = capsys.readouterr().out.splitlines()
        assert main(["audit", "history", demo]) == 0
        whole = capsys.readouterr().out.splitlines()
        assert 1 < len(early) <= len(whole) and early[:-1] == whole[:len(early) - 1]


class TestNoProgressNoiseOffATerminal:
    def test_the_long_commands_print_no_bar_when_not_on_a_terminal(self, cli_env, capsys,
                                                                    tmp_path):
        # Given output going to a file or a pipe (not a terminal), When the long commands run
        runs = {
            "demo": ["demo", "--households", "20", "--until", UNTIL],
            "rebuild": ["projections", "rebuild"],
            "verify": ["audit", "verify"],
            "export": ["export", "monitoring", "--output", str(tmp_path / "m.xlsx")],
            "log export": ["log", "export", str(tmp_path / "log.gz")],
        }
        for name, argv in runs.items():
            assert main(argv) == 0, name
            out, err = capsys.readouterr()
            # Then neither stream holds a bar: no carriage returns, no terminal escapes
            for text in (out, err):
                assert "\r" not in text and "\x1b" not in text and "━" not in text, name
        assert main(["projections", "rebuild"]) == 0
        assert capsys.readouterr().out.splitlines()[0].startswith("重建读模型：全部")

    def test_a_terminal_sees_the_bar_on_standard_error_and_quiet_hides_it(
            self, cli_env, capsys, monkeypatch):
        assert main(["demo", "--households", "20", "--until", UNTIL]) == 0
        capsys.readouterr()
        assert main(["projections", "rebuild"]) == 0
        plain = capsys.readouterr()
        # Given standard error is a terminal
        monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
        assert main(["projections", "rebuild"]) == 0
        shown = capsys.readouterr()
        # Then the bar is drawn there, and standard output reads as it did without it
        assert "重建读模型" in shown.err and shown.out == plain.out
        # And with --quiet nothing is drawn at all
        assert main(["projections", "rebuild", "--quiet"]) == 0
        quiet = capsys.readouterr()
        assert quiet.err == "" and quiet.out == plain.out


class TestPushLists:
    """The two lists of pushes, each under its own title: 各批次预警去向 (each batch's alerts in
    the households) and 推送台账 (per department and period, due and arrived)."""

    def test_each_batch_names_its_tier_period_and_rows_refused(self, demo, capsys):
        assert main(["list", "ledger", "--format", "csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert rows and all(r["层级"] in ("县级筛查", "省级推送") and r["期次"] and r["拒收"].isdigit()
                            for r in rows)
        assert main(["list", "ledger"]) == 0
        assert capsys.readouterr().out.startswith("各批次预警去向：")

    def test_the_push_book_of_a_period_as_table_csv_and_json(self, demo, capsys):
        assert main(["pushes", "book", "--period", "2025-11"]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0].startswith("推送台账（2025-11）") and out[1].split()[:5] == [
            "部门", "期次", "推送要求", "应推送截止", "情况"]
        assert main(["pushes", "book", "--period", "2025-11", "--format", "csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert len(rows) == len(out) - 2
        assert {"按时"} <= {r["情况"] for r in rows}
        assert main(["pushes", "book", "--period", "2025-11", "--format", "json"]) == 0
        lines = json.loads(capsys.readouterr().out)
        assert [line["department"] for line in lines] == [r["部门"] for r in rows]


class TestEveryListHasHeadersAndScriptFormats:
    """Every command that prints rows prints them under Chinese headers, and as CSV (and JSON)
    for a script — the same helper as `fangpin list`."""

    @pytest.mark.parametrize(("command", "headers"), [
        (["indicators", "2025"], ["地区或部门", "指标", "分子/分母或数量", "比率"]),
        (["rectifications", "list"], ["编号", "责任单位", "状态"]),
        (["users", "list"], ["用户名", "角色", "辖区或部门", "状态"]),
        (["unmatched", "list", "--all"], ["预警编号", "身份证号"]),
        (["audit", "access-log"], ["时间", "角色", "用户", "户编号"]),
        (["tasks", "--as", "county-centre-01"], ["期限", "剩余天数", "类别", "待办"]),
    ])
    def test_headers_in_the_table_and_in_csv(self, demo, capsys, command, headers):
        assert main(["household", "show", demo]) == 0  # a read, for the access log
        capsys.readouterr()
        assert main([*command, "--format", "csv"]) == 0
        found = list(csv.reader(io.StringIO(capsys.readouterr().out)))
        assert found[0][:len(headers)] == headers
        if len(found) > 1:  # a table with rows shows the same headers
            assert main(command) == 0
            table = capsys.readouterr().out.splitlines()
            assert any(line.split()[:len(headers)] == headers for line in table), table[:3]
        if command[0] != "tasks":
            assert main([*command, "--format", "json"]) == 0
            assert isinstance(json.loads(capsys.readouterr().out), list | dict)

    def test_the_indicators_as_csv_carry_the_numbers_apart(self, demo, capsys):
        assert main(["indicators", "2025", "--format", "csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        visits = next(r for r in rows if r["指标"] == "走访覆盖率" and r["地区或部门"] == "全县")
        assert visits["分子/分母或数量"] == f"{visits['分子']}/{visits['分母']}"
        assert visits["比率"].endswith("%")
