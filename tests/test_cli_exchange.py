"""``fangpin export exchange`` and ``fangpin feed``: data going out from the command line, as
the API sends it, on both back ends."""

from __future__ import annotations

import csv
import io
import json

import openpyxl

from interfaces.cli import main


def test_an_exchange_export_and_the_feed_from_the_command_line(cli_env, capsys, tmp_path):
    assert main(["demo", "--households", "30", "--until", "2025-12-31"]) == 0
    capsys.readouterr()
    # When the county writes the households for the provincial system as CSV
    out = tmp_path / "户.csv"
    assert main(["export", "exchange", "--kind", "households", "--format", "csv",
                 "--output", str(out)]) == 0
    assert "农户及家庭成员" in capsys.readouterr().out
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows and {r["与户主关系"] for r in rows} <= {"01", "10", "20", "30", "40", "50", "60", "70", "99"}
    assert all("*" not in r["证件号码"] for r in rows), "the county centre's export has full numbers"
    # and the monitoring objects as a workbook, with a mapping of its own
    mapping = tmp_path / "map.toml"
    mapping.write_text('[monitoring]\n[[monitoring.columns]]\nheader = "户号"\nfield = "code"\n',
                       encoding="utf-8")
    book = tmp_path / "m.xlsx"
    assert main(["export", "exchange", "--mapping", str(mapping), "--output", str(book)]) == 0
    sheet = openpyxl.load_workbook(book).worksheets[0]
    assert [c.value for c in sheet[1]] == ["户号"] and sheet.max_row > 1
    capsys.readouterr()
    assert main(["audit", "access-log", "--household", rows[0]["户编号"]]) == 0
    assert "cli:export exchange households" in capsys.readouterr().out
    # A mapping with a fault is refused naming its key
    mapping.write_text('[monitoring]\n[[monitoring.columns]]\nheader = "户号"\nfield = "编号"\n',
                       encoding="utf-8")
    assert main(["export", "exchange", "--mapping", str(mapping)]) == 1
    assert "monitoring.columns[1].field" in capsys.readouterr().err

    # The feed as a township user: its township's events only, page by page
    assert main(["users", "add", "yf", "--role", "township", "--township", "银坊镇"]) == 0
    assert main(["users", "add", "sb", "--role", "county"]) == 0
    capsys.readouterr()

    def follow(user: str) -> list[dict]:
        events, after = [], 0
        while True:
            assert main(["feed", "--as", user, "--after", str(after), "--limit", "200"]) == 0
            page = json.loads(capsys.readouterr().out)
            events += page["events"]
            after = page["next_after"]
            if page["at_end"]:
                return events

    township, county = follow("yf"), follow("sb")
    assert township and {e["position"] for e in township} < {e["position"] for e in county}
    assert main(["feed", "--as", "nobody"]) == 1
    assert main(["feed", "--as", "yf", "--limit", "0"]) == 1
    assert "limit" in capsys.readouterr().err
