"""``fangpin notices show|publish``: the village's notice printed to a file whose SHA-256 the
command names, and published with that digest — once — on each case it lists."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from application.commands import RaiseAlert, VerifyAtHome
from domain.codes import Channel, Finding, RiskType
from interfaces.cli import main
from tests.builders import COUNTY, HEAD_ID, registering

PLACE = ["--township", "银坊镇", "--village", "东村"]
PERIOD = ["--from", "2025-03-03", "--to", "2025-03-07"]


def test_a_notice_is_printed_then_published_once(cli_env, make_app, clock, capsys, tmp_path):
    clock.now = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)
    app = make_app()
    app.register_household(registering(), by=COUNTY)
    code = "130630101001"
    app.execute(code, RaiseAlert(alert_id="A1", channel=Channel.SELF_DECLARATION,
                                 person_id_number=HEAD_ID, risk_types=[RiskType.ILLNESS],
                                 description="电话13812345678", occurred_on=date(2025, 3, 1)), by=COUNTY)
    app.execute(code, VerifyAtHome(case_number=1, finding=Finding.RISK_CONFIRMED, risk_clear=True,
                                   occurred_on=date(2025, 3, 2)), by=COUNTY)

    page = tmp_path / "notice.html"
    assert main(["notices", "show", "identification", *PLACE, *PERIOD, "--format", "html",
                 "--output", str(page)], clock=clock) == 0
    digest = hashlib.sha256(page.read_bytes()).hexdigest()
    assert digest in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    assert "王建国" in text and HEAD_ID not in text and "13812345678" not in text

    assert main(["notices", "publish", "identification", *PLACE, *PERIOD, "--digest", "0" * 64],
                clock=clock) == 1
    assert "NOTICE_CHANGED" in capsys.readouterr().err
    assert main(["notices", "publish", "identification", *PLACE, *PERIOD, "--digest", digest],
                clock=clock) == 0
    assert "已在 1 个案件上记录" in capsys.readouterr().out
    assert main(["notices", "publish", "identification", *PLACE, *PERIOD, "--digest", digest],
                clock=clock) == 0
    assert "未重复记录" in capsys.readouterr().out
    assert main(["notices", "show", "identification", *PLACE, *PERIOD], clock=clock) == 0
    assert "（已发布）" in capsys.readouterr().out
    assert main(["household", "history", code]) == 0
    assert f"张贴内容摘要 {digest[:16]}…" in capsys.readouterr().out
    assert main(["household", "history", code, "--raw"]) == 0
    assert digest in capsys.readouterr().out
