"""The `fangpin` command line as a new user runs it, on both back ends."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from interfaces.cli import main


def test_demo_loads_a_county_and_summarises_it_and_loading_again_adds_nothing(cli_env, capsys):
    assert main(["demo", "--households", "120"]) == 0
    first = capsys.readouterr().out
    assert "农户：120 户" in first and "监测对象：" in first and "脱贫不稳定户" in first
    events = first.split("条事件")[0].rsplit("（", 1)[1]

    assert main(["demo", "--households", "120"]) == 0
    again = capsys.readouterr().out
    assert f"（{events}条事件）" in again


def test_a_household_file_its_history_and_its_past(cli_env, capsys):
    main(["demo", "--households", "30", "--until", "2025-12-31"])
    capsys.readouterr()
    from application.demo import generate_county

    code = next(generate_county(1)).code
    assert main(["household", "show", code]) == 0
    shown = capsys.readouterr().out
    assert f"户编号 {code}" in shown and "**********" in shown  # ID numbers masked

    assert main(["household", "history", code]) == 0
    history = capsys.readouterr().out.splitlines()
    assert history[0].split()[0] == "1" and "登记农户" in history[0]  # a sentence (fuller: test_cli_history)

    assert main(["household", "show", code, "--version", "1"]) == 0
    assert "版本 1" in capsys.readouterr().out
    assert main(["audit", "history", code, "--as-of", "2024-11-30"]) == 0
    assert capsys.readouterr().out.strip() == "", "nothing recorded before the demo's registrations"
    assert main(["audit", "history", code]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(history)
    assert main(["audit", "access-log", "--household", code]) == 0
    reads = capsys.readouterr().out
    assert "档案查阅日志：5 条" in reads
    assert "cli: household history" in reads and "cli: audit history" in reads


def test_an_unknown_household_is_a_clear_error(cli_env, capsys):
    assert main(["household", "show", "000"]) == 1
    assert "HOUSEHOLD_NOT_FOUND" in capsys.readouterr().err


def test_the_income_line_is_set_and_read_back(cli_env, capsys):
    assert main(["income-line", "set", "2025", "8300", "--effective-from", "2025-01-01"]) == 0
    capsys.readouterr()
    assert main(["income-line", "show", "--on", "2025-07-01"]) == 0
    assert "8300" in capsys.readouterr().out
    assert main(["income-line", "show", "--on", "2024-07-01"]) == 1


def test_the_relief_bands_are_set_shown_and_refused_with_the_rule(cli_env, capsys):
    assert main(["relief-bands", "set", "2025-01-01", "--band", "因病:5000:20000:0.5",
                 "--band", "因病:20000::0.7", "--band", "因意外事故:5000::0.6", "--cap", "60000"]) == 0
    capsys.readouterr()
    assert main(["relief-bands", "show", "--on", "2025-07-01"]) == 0
    shown = capsys.readouterr().out
    assert "2025-01-01 起施行，每户每年最高 60000 元" in shown
    assert "因病 20000 元以上按 70% 赔付" in shown
    assert main(["relief-bands", "show", "--on", "2024-07-01"]) == 1
    assert main(["relief-bands", "set", "2025-01-01", "--band", "因病:0::0.5", "--cap", "1"]) == 1
    assert "REASON_REQUIRED" in capsys.readouterr().err
    assert main(["relief-bands", "set", "2026-01-01", "--band", "缺劳动力:0::0.5", "--cap", "1"]) == 1
    assert "RELIEF_CAUSE_NOT_SUDDEN" in capsys.readouterr().err


def test_today_comes_from_the_clock_and_the_reader_from_who_runs_the_command(
        cli_env, capsys, monkeypatch):
    from datetime import UTC, datetime

    from tests.conftest import FakeClock

    clock = FakeClock(datetime(2025, 6, 30, 17, 0, tzinfo=UTC))  # already 1 July in the county
    assert main(["income-line", "set", "2025", "8300"], clock=clock) == 0
    capsys.readouterr()
    assert main(["income-line", "show"], clock=clock) == 0
    assert capsys.readouterr().out.startswith("2025-07-01 收入监测标准：8300")

    monkeypatch.setenv("USER", "zhang-san")  # set after the CLI was imported
    assert main(["household", "show", "000"]) == 1
    assert main(["audit", "access-log", "--household", "000"]) == 0
    assert "cli:zhang-san" in capsys.readouterr().out


def test_indicators_published_then_verified_and_reports_written(cli_env, capsys, tmp_path):
    import json

    import openpyxl

    main(["demo", "--households", "40", "--until", "2025-12-31"])
    capsys.readouterr()
    assert main(["indicators", "2025"]) == 0
    table = capsys.readouterr().out
    assert "识别认定时限达标率" in table and "输入摘要 sha256:" in table

    published = tmp_path / "2025.json"
    assert main(["indicators", "2025", "--as-of", "2026-01-01", "--format", "json",
                 "--output", str(published)]) == 0
    result = json.loads(published.read_text(encoding="utf-8"))
    assert result["source"] == "log" and result["as_of"].startswith("2026-01-01T23:59:59")
    capsys.readouterr()
    assert main(["verify", str(published)]) == 0
    assert capsys.readouterr().out.startswith("一致")

    result["figures"][0]["numerator"] += 1
    published.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(published)]) == 1
    assert "不一致" in capsys.readouterr().out

    workbook = tmp_path / "monthly.xlsx"
    assert main(["report", "monthly", "2025-06", "--output", str(workbook)]) == 0
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames[:2] == ["摘要", "考核指标"] and book["考核指标"].freeze_panes == "A2"
    assert main(["report", "quarterly", "2025-Q2", "--format", "json",
                 "--output", str(tmp_path / "q.json")]) == 0
    quarterly = json.loads((tmp_path / "q.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in quarterly["tables"]][:2] == ["乡镇排名", "部门排名"]
    # the annual assessment, published as JSON, verifies against the log
    annual = tmp_path / "annual.json"
    assert main(["report", "annual", "2025", "--format", "json", "--output", str(annual)]) == 0
    assert [t["name"] for t in json.loads(annual.read_text(encoding="utf-8"))["tables"]][:2] == [
        "乡镇考核排名", "部门考核排名"]
    capsys.readouterr()
    assert main(["verify", str(annual)]) == 0, capsys.readouterr()
    result = json.loads(annual.read_text(encoding="utf-8"))["result"]
    said = capsys.readouterr().out
    assert f"按日志位置 {result['position']}、时点 {result['as_of']} 复算" in said, said

    drill = tmp_path / "indicators.xlsx"
    assert main(["indicators", "2025", "--indicator", "走访覆盖率", "--format", "xlsx",
                 "--output", str(drill)]) == 0
    sheets = openpyxl.load_workbook(drill)
    assert sheets.sheetnames == ["摘要", "考核指标", "明细", "部门推送", "口径说明"]
    assert sheets["明细"].max_row > 1

    assert main(["indicators", "2025-13"]) == 1
    assert "PERIOD_INVALID" in capsys.readouterr().err


def test_the_cadence_table_is_adopted_by_its_command_never_by_a_read(cli_env, settings, capsys,
                                                                     monkeypatch, tmp_path):
    from application.app import CaseFiles

    def log_end() -> int:
        with CaseFiles(settings) as app:
            return app.max_position()

    assert main(["indicators", "2025"]) == 0
    assert main(["indicators", "2025", "--as-of", "2025-06-30"]) == 0
    assert main(["report", "monthly", "2025-06", "--format", "json", "--output",
                 str(tmp_path / "m.json")]) == 0
    assert log_end() == 0, "a read records nothing, not even the cadence table"
    capsys.readouterr()
    assert main(["cadences", "show"]) == 1
    assert "尚未记录" in capsys.readouterr().out
    assert main(["cadences", "adopt"]) == 0
    assert capsys.readouterr().out.startswith("已记录推送频次表")
    adopted = log_end()
    assert adopted > 0
    assert main(["cadences", "adopt"]) == 0
    assert "已是现行版本" in capsys.readouterr().out and log_end() == adopted

    from application.indicators import DEFAULT_CADENCES

    changed = tmp_path / "cadences.toml"
    changed.write_text(DEFAULT_CADENCES.read_text(encoding="utf-8").replace(
        'rule = "monthly_by_day"\ndays = 5', 'rule = "monthly_by_day"\ndays = 10', 1), encoding="utf-8")
    monkeypatch.setenv("FANGPIN_CADENCES", str(changed))
    assert main(["cadences", "show"]) == 0
    assert "与现行版本不同" in capsys.readouterr().out
    assert main(["cadences", "adopt"]) == 0 and log_end() == adopted + 1
    assert main(["cadences", "show"]) == 0
    shown = capsys.readouterr().out
    assert len(shown.strip().splitlines()) == 3 and "不同" not in shown


def test_imports_exports_and_unmatched_alerts_on_the_command_line(cli_env, capsys, tmp_path):
    import openpyxl

    from tests.builders import id_number

    head, newcomer = id_number(date(1970, 5, 4), 11), id_number(date(1981, 2, 3), 21)
    registry = tmp_path / "registry.csv"
    registry.write_text("户编号,乡镇,行政村,住址,户类型,姓名,身份证号码,与户主关系,"
                        "健康状况,劳动能力,参加居民医保\n"
                        f"H1,银坊镇,东村,东村1号,一般农户,王一,{head},本人,健康,普通劳动力,是\n",
                        encoding="utf-8")
    assert main(["import", "households", str(registry)]) == 0
    assert "登记农户 1 户、成员 1 人" in capsys.readouterr().out

    push = tmp_path / "push.csv"
    push.write_bytes((f"身份证号码,风险类型,发现日期\n{head},因病,2025-03-01\n{newcomer},因残,2025-03-02\n"
                      f"{head[:17]},因病,2025-03-03\n").encode("gb18030"))
    assert main(["import", "alerts", str(push), "--department", "医保局", "--tier", "county",
                 "--period", "2025-03上旬"]) == 0
    out = capsys.readouterr().out
    assert "记录 2 行，拒收 1 行" in out and "未匹配到农户 1" in out
    errors = openpyxl.load_workbook(tmp_path / "push.errors.xlsx").active
    assert errors["A2"].value == 4 and "只有17位" in errors.cell(row=2, column=5).value

    assert main(["unmatched", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.splitlines()[1].split()[:2] == ["预警编号", "身份证号"]
    alert_id = listed.splitlines()[2].split()[0]
    # found on 2 March and still held: overdue, on the overdue list and in its workbook
    assert main(["list", "overdue"]) == 0
    overdue = capsys.readouterr().out
    assert "另有未匹配预警超过15天未认领：1 条" in overdue and alert_id in overdue
    assert main(["export", "overdue", "--output", str(tmp_path / "overdue.xlsx")]) == 0
    rows = list(openpyxl.load_workbook(tmp_path / "overdue.xlsx").active.iter_rows(values_only=True))
    assert rows[0][-2:] == ("未匹配预警编号", "预警对象身份证号码") and rows[-1][-2] == alert_id
    registry2 = tmp_path / "registry2.csv"
    registry2.write_text("户编号,乡镇,行政村,住址,户类型,姓名,身份证号码,与户主关系,"
                         "健康状况,劳动能力,参加居民医保\n"
                         f"H2,银坊镇,东村,东村2号,一般农户,李二,{newcomer},本人,健康,普通劳动力,是\n",
                         encoding="utf-8")
    assert main(["import", "households", str(registry2)]) == 0
    assert main(["unmatched", "attach", alert_id, "H2"]) == 0
    assert "新案件" in capsys.readouterr().out

    assert main(["export", "cases", "--output", str(tmp_path / "cases.xlsx")]) == 0
    cases = openpyxl.load_workbook(tmp_path / "cases.xlsx").active
    assert sorted(r[0] for r in cases.iter_rows(min_row=2, values_only=True)) == ["H1", "H2"]
    # the same list on the command line: under the workbook's headers, or as CSV for a script
    capsys.readouterr()
    assert main(["list", "cases"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:3] == ["户编号", "乡镇", "行政村"]
    assert sorted(line.split()[0] for line in lines[2:]) == ["H1", "H2"]
    assert main(["list", "cases", "--format", "csv", "--limit", "1"]) == 0  # every row, not a page
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:2] == ["户编号", "乡镇"] and sorted(r[0] for r in rows[1:]) == ["H1", "H2"]
    assert main(["template", "households", "--output", str(tmp_path / "t.xlsx")]) == 0


def test_checkpoints_verify_and_moving_the_log_from_the_command_line(
        cli_env, settings, tmp_path, monkeypatch, capsys):
    from tests.integration.test_audit import RawLog, _altered

    monkeypatch.setenv("FANGPIN_SIGNING_KEY", str(tmp_path / "signing.pem"))
    monkeypatch.setenv("FANGPIN_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    assert main(["demo", "--households", "20", "--until", "2025-12-31"]) == 0
    assert main(["audit", "checkpoint"]) == 1  # no key yet: says how to make one
    assert "fangpin audit keygen" in capsys.readouterr().err
    assert main(["audit", "keygen"]) == 0
    assert "审计公钥" in capsys.readouterr().out
    assert (tmp_path / "signing.pem").stat().st_mode & 0o077 == 0
    assert main(["audit", "checkpoint"]) == 0
    (checkpoint,) = (tmp_path / "checkpoints").iterdir()
    assert main(["audit", "verify", "--from-checkpoint", str(checkpoint)]) == 0
    assert "未发现问题" in capsys.readouterr().out

    exported = tmp_path / "county.log.gz"
    assert main(["log", "export", str(exported)]) == 0
    assert "已导出" in capsys.readouterr().out

    from application.demo import generate_county
    from domain.household import household_id

    code = next(generate_county(1)).code
    raw = RawLog(settings)
    position, _, state = raw.event(household_id(code), 1)
    raw.set_state(household_id(code), 1, _altered(state))
    assert main(["audit", "verify", "--from-checkpoint", str(checkpoint)]) == 1
    out = capsys.readouterr().out
    assert f"[被改动] 聚合 {household_id(code)} 第 1 件 位置 {position}" in out or (
        f"[被改动] 户 {code} 第 1 件 位置 {position}" in out), out
    assert "与检查点不符" in out

    # the export taken before the tampering restores the county into a new SQLite file
    monkeypatch.delenv("FANGPIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("FANGPIN_SQLITE_PATH", str(tmp_path / "restored.sqlite3"))
    assert main(["log", "import", str(exported)]) == 0
    restored = capsys.readouterr().out
    assert "核验无误" in restored and "人员索引已重建" in restored
    assert main(["audit", "verify", "--from-checkpoint", str(checkpoint)]) == 0
    assert main(["summary"]) == 0
    assert "农户：20 户" in capsys.readouterr().out
    assert main(["log", "import", str(exported)]) == 1
    assert "TARGET_NOT_EMPTY" in capsys.readouterr().err


def test_rebuilding_the_read_models_reaches_the_end_and_status_says_who_is_behind(
        cli_env, capsys, settings):
    from application.app import CaseFiles
    from projections.runner import Projections
    from projections.tables import TABLES

    assert main(["demo", "--households", "40", "--until", "2025-12-31"]) == 0
    capsys.readouterr()
    assert main(["projections", "rebuild"]) == 0
    rebuilt = capsys.readouterr()
    end = int(rebuilt.out.split("（", 1)[1].split(" 条事件")[0])
    # not a terminal: no bar in either stream, each read model at the end of the log
    assert "\r" not in rebuilt.out + rebuilt.err and rebuilt.out.count(f": {end}/{end}\n") == len(TABLES)

    with CaseFiles(settings) as app, Projections(app) as projections:
        projections.store.begin_rebuild(["cases"])  # another process is rebuilding it
        assert main(["projections", "status"]) == 0
    status = capsys.readouterr().out
    # The live read model serves on, at its position, while the rebuild fills its next tables
    others = len(TABLES) - 1  # every read model but the one being rebuilt
    assert status.count(f"/{end}\n") == others
    assert re.search(rf"cases: {end}/{end}（重建中，\d+ 秒前更新）", status)  # however slow the machine


def test_rectification_items_are_listed_with_the_overdue_ones_counted(cli_env, settings, capsys):
    from datetime import UTC, datetime

    from application.app import CaseFiles
    from domain.codes import Department, Role
    from domain.values import Actor
    from tests.conftest import FakeClock

    county = Actor("county-01", Role.COUNTY_CENTRE)
    with CaseFiles(settings) as app:
        app.hold_dispatch_meeting(meeting_id="DD-1", quarter="2025-Q3", topics=["三季度调度"],
                                  departments_present=[Department.RURAL_REVITALISATION], decisions=[],
                                  occurred_on=date(2025, 9, 28), by=county)
        app.order_rectification(item_id="ZG-1", source="DD-1", problem="走访记录不全", township="银坊镇",
                                deadline=date(2025, 10, 31), occurred_on=date(2025, 9, 30), by=county)
        app.order_rectification(item_id="SJ-1", source="审计", problem="推送迟报",
                                department=Department.MEDICAL_INSURANCE, deadline=date(2025, 12, 31),
                                occurred_on=date(2025, 9, 30), by=county)
    clock = FakeClock(datetime(2025, 12, 1, 2, 0, tzinfo=UTC))
    assert main(["rectifications", "list"], clock=clock) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("限期整改事项 2 项（2025-12-01），逾期未完成 1 项")
    lines = {line.split()[0]: line.split() for line in shown.splitlines()[1:]}
    assert lines["编号"][:5] == ["编号", "责任单位", "状态", "逾期天数", "时限"]
    assert lines["ZG-1"][:5] == ["ZG-1", "银坊镇", "逾期未完成", "31", "2025-10-31"]
    assert lines["SJ-1"][:3] == ["SJ-1", "医保局", "未到期"]
    assert "各责任单位：" in shown and lines["银坊镇"][:3] == ["银坊镇", "1", "1"]  # 共1项, 逾期未完成 1
    assert main(["rectifications", "list", "--format", "csv"], clock=clock) == 0
    rows = {r["编号"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (rows["ZG-1"]["状态"], rows["ZG-1"]["逾期天数"]) == ("逾期未完成", "31")
    assert main(["rectifications", "list", "--overdue"], clock=clock) == 0
    overdue = capsys.readouterr().out
    assert "ZG-1" in overdue and "SJ-1  " not in overdue
    assert main(["rectifications", "list", "--department", "医保局"], clock=clock) == 0
    assert "限期整改事项 1 项" in capsys.readouterr().out
