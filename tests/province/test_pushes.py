"""A provincial department's batch, accepted once at the province: each row recorded by the
county its person is a member of, as a 省级推送 of the batch; a person in no county (or in two)
held at the province; sent again, nothing recorded twice; one bad row refuses it all."""

from __future__ import annotations

from datetime import date

import pytest

from application.commands import JoinMember
from application.province import Deployment
from application.province.people import ProvincialPeople
from application.province.pushes import (
    IN_NO_COUNTY,
    IN_TWO_COUNTIES,
    ProvincialRowRefused,
    numbered,
    receive_provincial_batch,
)
from application.pushes import PushBatch, PushedAlert, PushRecording
from domain.codes import Department, JoinReason, Relation, RiskType, Tier
from domain.household import DUPLICATE, NEW_CASE
from interfaces.cli import main
from interfaces.http.pushes import pushed_alert
from interfaces.http.schemas.pushes import PushRow
from tests.builders import COUNTY, VILLAGE, family, id_number, member_in, registering
from tests.province.counties import LAIYUAN, YIXIAN, county_app, ids, register

BATCH = PushBatch(Department.MEDICAL_INSURANCE, "省医保-2025-03", Tier.PROVINCIAL, "2025-03")
STRANGER = id_number(date(1980, 1, 1), 9, area="130999")


def row(person: str, risk: str = "因病", **fields: object) -> PushRow:
    return PushRow(person_id_number=person, risk_types=[risk], occurred_on="2025-03-05", **fields)


def positions(deployment: Deployment) -> dict[str, int]:
    """Each store's log position: a store that recorded nothing kept its own."""
    found = {"province": deployment.province().max_position()}
    for code in (LAIYUAN, YIXIAN):
        with county_app(deployment, code) as app:
            found[code] = app.max_position()
    return found


def push(deployment: Deployment, rows: list[PushRow], batch: PushBatch = BATCH):
    return receive_provincial_batch(deployment, ProvincialPeople(deployment), batch, numbered(rows),
                                    by=COUNTY, check=pushed_alert)


@pytest.fixture
def counties(deployment: Deployment) -> Deployment:
    register(deployment, LAIYUAN, {"130630101001": 1, "130630101002": 2})
    register(deployment, YIXIAN, {"130633201001": 3})
    return deployment


def test_each_row_lands_in_its_persons_county_as_a_provincial_push_and_once(
        counties: Deployment) -> None:
    rows = [row(ids(1)[0]), row(ids(3)[1], "因残"), row(STRANGER, township="银坊镇"),
            row(ids(2)[2], "因学")]
    receipt = push(counties, rows)
    assert receipt.by_county() == {LAIYUAN: {NEW_CASE: 2}, YIXIAN: {NEW_CASE: 1}}
    assert receipt.held() == {IN_NO_COUNTY: 1}
    with county_app(counties, LAIYUAN) as laiyuan:
        alert = laiyuan.household("130630101001").alerts[BATCH.alert_id("1")]
        assert (alert.tier, alert.batch_id, alert.department, alert.period) == (
            Tier.PROVINCIAL, BATCH.batch_id, Department.MEDICAL_INSURANCE, "2025-03")
        ledger = laiyuan.push_ledger(BATCH.department).receipts[BATCH.batch_id]
        assert (ledger.tier, ledger.rows, ledger.new_cases) == (Tier.PROVINCIAL, 2, 2)
        # the county's own deduplication: its 医保局's county-tier row of that person, risk
        # and month is a duplicate of the provincial one
        county_batch = PushBatch(BATCH.department, "县医保-1", Tier.COUNTY, "2025-03")
        again = PushRecording(laiyuan, county_batch, by=COUNTY,
                              find_household=laiyuan.household_code_on).record("1", PushedAlert(
                                  ids(1)[0], (RiskType.ILLNESS,), date(2025, 3, 8)))
        assert (again.result, again.duplicate_of) == (DUPLICATE, BATCH.alert_id("1"))
    with county_app(counties, YIXIAN) as yixian:
        assert BATCH.alert_id("2") in yixian.household("130633201001").alerts
        assert BATCH.alert_id("1") not in yixian.household("130633201001").alerts
    province = counties.province()
    held = province.unmatched_alerts().alerts[BATCH.alert_id("3")]
    assert (held.person_id_number, held.tier, held.township) == (STRANGER, Tier.PROVINCIAL, "银坊镇")
    whole = province.push_ledger(BATCH.department).receipts[BATCH.batch_id]
    assert (whole.rows, whole.new_cases, whole.rejected) == (4, 3, 0)

    # sent again — after the stranger registered in 易县: nothing is recorded twice anywhere,
    # and the row the province holds stays there
    register(counties, YIXIAN, {"130633201002": 4})
    with county_app(counties, YIXIAN) as yixian:
        yixian.execute("130633201002", JoinMember(
            member=member_in(name="外来人", id_number=STRANGER, relation=Relation.OTHER),
            reason=JoinReason.MOVED_IN, occurred_on=date(2025, 3, 1)), by=VILLAGE)
    before = positions(counties)
    again = push(counties, rows)
    assert again.repeated == 4 and positions(counties) == before
    assert again.held() == {IN_NO_COUNTY: 1}
    with county_app(counties, YIXIAN) as yixian:
        assert BATCH.alert_id("3") not in yixian.household("130633201002").alerts


def test_a_person_in_two_counties_is_held_at_the_province_with_that_reason(
        counties: Deployment) -> None:
    with county_app(counties, YIXIAN) as yixian:  # two stores: each county's rule holds alone
        yixian.register_household(registering("130633201009", members=family(1)), by=COUNTY)
    receipt = push(counties, [row(ids(1)[1])])
    assert receipt.by_county() == {}
    assert receipt.held() == {f"{IN_TWO_COUNTIES}（{LAIYUAN}、{YIXIAN}）": 1}
    assert BATCH.alert_id("1") in counties.province().unmatched_alerts().alerts


@pytest.mark.parametrize(("bad", "code", "field"), [
    (row("110101199001010010"), "ID_NUMBER_CHECK_DIGIT", "rows[1].person_id_number"),
    (row(ids(3)[0], "因穷"), "CODE_UNKNOWN", "rows[1].risk_types[0]"),
    (PushRow(person_id_number=ids(3)[0], risk_types=["因病"], occurred_on="2025-07-01"),
     "DATE_IN_FUTURE", "rows[1].occurred_on"),
])
def test_one_bad_row_refuses_the_whole_batch_naming_it_and_nothing_is_recorded(
        counties: Deployment, bad: PushRow, code: str, field: str) -> None:
    before = positions(counties)
    with pytest.raises(ProvincialRowRefused) as refused:
        push(counties, [row(ids(1)[0]), bad, row(STRANGER)])
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message.startswith("第 2 行：")
    assert positions(counties) == before
    assert counties.province().unmatched_alerts() is None


def test_the_command_line_routes_a_file_and_follows_the_counties(
        counties: Deployment, cli_env: None, capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main(["province", "people", "rebuild"]) == 0
    assert f"{LAIYUAN} 涞源县：日志位置" in capsys.readouterr().out
    file = tmp_path / "省医保.csv"
    file.write_text("身份证号码,风险类型,发现日期\n"
                    f"{ids(1)[0]},因病,2025-03-05\n{ids(3)[0]},因病,2025-03-05\n"
                    f"{STRANGER},因病,2025-03-05\n", encoding="utf-8")
    args = ["province", "import", "alerts", str(file), "--department", "医保局", "--period", "2025-03"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"{LAIYUAN} 涞源县：1 行（新案件 1）" in out and f"{YIXIAN} 易县：1 行（新案件 1）" in out
    assert f"省级未匹配：1 行（{IN_NO_COUNTY} 1）" in out
    assert main(args) == 0
    assert "其中 3 行此前已记录" in capsys.readouterr().out
    file.write_text(f"身份证号码,风险类型,发现日期\n{ids(1)[0]},因病,2025-03-05\n"
                    "110101199001010010,因病,2025-03-05\n", encoding="utf-8")
    assert main(args) == 1
    assert "第 3 行：身份证号码" in capsys.readouterr().err
    assert main(["province", "people", "catch-up"]) == 0
