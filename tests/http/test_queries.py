"""Every GET route: the lists with their filters, sorts and keyset pages, the caller's area, reading
one's own writes, and case files and histories now, as recorded at a past time, or at a version.

The fixture does not follow the log in the background: a list reads what the read models hold,
so tests either pass ``after=<position>`` or call `Api.catch_up` first. Lists that count days are
given ``today`` so that they do not depend on the machine's clock.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from domain.rules import CHINA_TIME
from tests.http.conftest import OTHER_TOWNSHIP, OTHER_VILLAGE, TOWNSHIP, USERS, VILLAGE, Api
from tests.http.kit import (
    CORRECTION,
    ELIMINATION_DECISION,
    GREEN_CHANNEL,
    HOME_VISIT,
    MEASURE,
    RISK_ANALYSIS,
    VISIT,
    Home,
    alert_body,
    code_of,
    head_of,
    problem,
    register,
    registration_body,
    set_income_line,
)

TODAY = "2025-12-01"


def rows(api: Api, path: str, who: str = "county", **params: Any) -> list[dict[str, Any]]:
    response = api.get(path, who, **params)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def codes(api: Api, path: str, who: str = "county", **params: Any) -> list[str]:
    return [row["code"] for row in rows(api, path, who, **params)]


def masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


def push(api: Api, batch: str, people: list[str], who: str = "department",
         target_group: str | None = None, **fields: Any) -> dict:
    """A county-tier batch (``target_group`` on every row, where the duty asks for one)."""
    group = {"target_group": target_group} if target_group else {}
    body = {"batch_id": batch, "tier": "县级筛查", "period": "2025-03", **fields,
            "rows": [{"person_id_number": p, "risk_types": ["因病"], "occurred_on": "2025-03-01", **group}
                     for p in people]}
    response = api.post("/api/pushes", body, who)
    assert response.status_code == 200, response.text
    return response.json()


# ---------------------------------------------------------------------- monitoring


def test_the_monitoring_list_now_and_on_a_past_day(api: Api) -> None:
    set_income_line(api)
    eliminated = register(api, 1).eliminating(3)
    eliminated.do("/elimination/county-decision", ELIMINATION_DECISION)
    monitored = register(api, 2).included()
    eliminating = register(api, 3).eliminating(1)
    register(api, 4)
    api.catch_up()

    now = rows(api, "/api/monitoring", today=TODAY)
    assert [row["code"] for row in now] == [monitored.code, eliminating.code]
    row = now[0]
    assert (row["category"], row["risk_types"], row["included_on"], row["case_number"]) == (
        "边缘易致贫户", "因病", "2025-03-10", 1)
    assert row["days_in_monitoring"] == 266 and row["visited_this_month"] is False
    assert (row["head_name"], row["head_id_masked"]) == ("王建国", masked(monitored.head))
    assert (row["measures_in_place"], row["eliminating"]) == (0, False)
    assert now[1]["measures_in_place"] == 1 and now[1]["eliminating"] is True

    assert codes(api, "/api/monitoring", eliminating="true") == [eliminating.code]
    assert codes(api, "/api/monitoring", eliminating="false") == [monitored.code]
    assert codes(api, "/api/monitoring", risk_type="因病") == [monitored.code, eliminating.code]
    assert codes(api, "/api/monitoring", risk_type="因残") == []
    assert codes(api, "/api/monitoring", category="脱贫不稳定户") == []
    assert codes(api, "/api/monitoring", township=OTHER_TOWNSHIP) == []
    assert codes(api, "/api/monitoring", sort="-code") == [eliminating.code, monitored.code]

    in_june = rows(api, "/api/monitoring", as_of="2025-06-01")
    assert [row["code"] for row in in_june] == [eliminated.code, monitored.code, eliminating.code]
    assert in_june[0]["from_on"] == "2025-03-10" and in_june[0]["to_on"] == "2025-10-10"
    assert in_june[0]["ended_how"] == "风险消除" and in_june[0]["days_in_monitoring"] == 83
    assert eliminated.code in codes(api, "/api/monitoring", as_of="2025-10-09")
    assert eliminated.code not in codes(api, "/api/monitoring", as_of="2025-10-10")
    assert codes(api, "/api/monitoring", as_of="2025-03-09") == []
    problem(api.get("/api/monitoring", category="富户"), 422, "CODE_UNKNOWN", field="category")


def test_monitoring_objects_without_a_measure_in_place_30_days_after_inclusion(api: Api) -> None:
    without = register(api, 1).included()
    register(api, 2).helped()  # in place 10 days after inclusion
    late = register(api, 3).included()
    late.do("/risk-analyses", RISK_ANALYSIS)
    late.do("/measures", MEASURE)
    late.do("/measures/M1/in-place", {"occurred_on": "2025-04-20"})  # 41 days after
    api.catch_up()

    assert codes(api, "/api/monitoring/measures-missing", today="2025-04-05") == []
    # sorted by inclusion day (the same for both here), so compared as sets
    missing_path = "/api/monitoring/measures-missing"
    assert set(codes(api, missing_path, today="2025-04-10")) == {without.code, late.code}
    missing = {row["code"]: row for row in rows(api, missing_path, today="2025-05-01")}
    assert set(missing) == {without.code, late.code}
    assert missing[late.code]["first_in_place_days"] == 41
    assert missing[without.code]["first_in_place_days"] is None
    page = api.get("/api/monitoring/measures-missing", today="2025-05-01", limit=1).json()
    assert (len(page["rows"]), page["total"]) == (1, 2) and page["next_cursor"]


# ---------------------------------------------------------------------- cases


def test_the_case_queue_with_its_deadlines_stages_and_sorts(api: Api) -> None:
    recent = register(api, 1)
    recent.alerted(day="2025-11-25")
    visited = register(api, 2).visited()
    deliberated = register(api, 3).deliberated()
    green = register(api, 4)
    green.alerted(risk_types=("因意外事故",))
    green.do("/identification/home-visit", HOME_VISIT)
    green.do("/green-channel", GREEN_CHANNEL)
    register(api, 5).included()
    no_risk = register(api, 6)
    no_risk.alerted()
    no_risk.do("/identification/home-visit", {**HOME_VISIT, "finding": "无风险"})
    api.catch_up()

    queue = api.get("/api/cases", today=TODAY).json()
    assert queue["total"] == 4
    overdue = {visited.code, deliberated.code, green.code}  # all due 2025-03-16
    assert {row["code"] for row in queue["rows"][:3]} == overdue
    assert queue["rows"][3]["code"] == recent.code, "sorted by deadline"
    last = queue["rows"][-1]
    assert (last["stage"], last["discovered_on"], last["deadline_on"]) == (
        "待入户核查", "2025-11-25", "2025-12-10")
    assert (last["days_left"], last["days_overdue"]) == (9, 0)
    assert (queue["rows"][0]["days_left"], queue["rows"][0]["days_overdue"]) == (0, 260)

    assert codes(api, "/api/cases", stage="待入户核查") == [recent.code]
    assert codes(api, "/api/cases", stage="评议审核中", sort="code") == [visited.code, green.code]
    assert codes(api, "/api/cases", stage="待县级审定") == [deliberated.code]
    assert codes(api, "/api/cases", stage="监测帮扶中") == []
    assert set(codes(api, "/api/cases", overdue="true", today=TODAY)) == overdue
    assert codes(api, "/api/cases", overdue="true", today="2025-03-16") == []
    owed = rows(api, "/api/cases", green_channel_owed="true")
    assert [row["code"] for row in owed] == [green.code]
    assert owed[0]["green_channel"] is True and len(owed[0]["owed_steps"]) == 3
    assert codes(api, "/api/cases", sort="-discovered_on")[0] == recent.code
    assert codes(api, "/api/cases", sort="code") == [recent.code, visited.code, deliberated.code, green.code]

    problem(api.get("/api/cases", sort="stage"), 422, "SORT_UNKNOWN", field="sort")
    problem(api.get("/api/cases", sort="-nothing"), 422, "SORT_UNKNOWN", field="sort")
    problem(api.get("/api/cases", stage="快结束了"), 422, "CODE_UNKNOWN", field="stage")
    problem(api.get("/api/cases", today="12/01/2025"), 400, "INVALID_REQUEST", field="today")


# ---------------------------------------------------------------------- households


def test_households_not_yet_visited_this_month(api: Api) -> None:
    lifted_out = register(api, 1, household_type="脱贫户")
    register(api, 2)  # an ordinary household is not visited every month
    monitored = register(api, 3).included()
    monitored.do("/visits", VISIT)  # 2025-09-15
    api.catch_up()

    assert codes(api, "/api/visits-due", month="2025-09-01") == [lifted_out.code]
    assert codes(api, "/api/visits-due", month="2025-09-30") == [lifted_out.code]
    assert codes(api, "/api/visits-due", month="2025-10-15") == [lifted_out.code, monitored.code]
    row = rows(api, "/api/visits-due", month="2025-10-15")[1]
    assert (row["visit_due"], row["last_visit_on"], row["monitored"]) == (True, "2025-09-15", True)


def test_the_household_directory(api: Api) -> None:
    first = register(api, 1)
    second = register(api, 2, head_name="张三")
    elsewhere = register(api, 3, township=OTHER_TOWNSHIP, village="南村")
    api.catch_up()

    everyone = [first.code, second.code, elsewhere.code]
    assert codes(api, "/api/households", code=first.code[:-1]) == everyone
    assert codes(api, "/api/households", code=second.code) == [second.code]
    assert codes(api, "/api/households", code="1306%") == [], "% is a character, not a wildcard"
    assert codes(api, "/api/households", code=first.code[:-1] + "_") == []
    assert codes(api, "/api/households", head_name="张三") == [second.code]
    assert codes(api, "/api/households", head_name="张") == [second.code], "part of the name"
    assert codes(api, "/api/households", head_name="张三丰") == []
    assert codes(api, "/api/households", id_number=elsewhere.spouse) == [elsewhere.code]
    assert codes(api, "/api/households", id_number=head_of(99)) == []
    assert codes(api, "/api/households", township=OTHER_TOWNSHIP) == [elsewhere.code]
    assert codes(api, "/api/households", village=VILLAGE) == [first.code, second.code]
    assert codes(api, "/api/households", sort="-code") == everyone[::-1]

    row = rows(api, "/api/households", code=second.code)[0]
    assert (row["household_id"], row["township"], row["village"], row["address"]) == (
        second.id, TOWNSHIP, VILLAGE, "东村2号")
    assert (row["head_name"], row["head_id_masked"], row["members"]) == ("张三", masked(second.head), 3)
    assert (row["monitored"], row["category"], row["visit_due"], row["version"]) == (False, None, False, 1)
    problem(api.get("/api/households", sort="address"), 422, "SORT_UNKNOWN", field="sort")


# ---------------------------------------------------------------------- pushes and alerts


def test_the_push_ledger_and_the_alerts_with_their_fate(api: Api) -> None:
    one, two, three = (register(api, n) for n in (1, 2, 3))
    push(api, "YB-1", [one.head, two.head, one.head])
    push(api, "MZ-1", [one.spouse], who="county", department="民政局", period="2025-03上半月",
         target_group="临时救助")
    three.do("/alerts", alert_body(3), who="village")
    api.catch_up()

    ledger = api.get("/api/pushes").json()["rows"]
    by_batch = {(row["department"], row["batch_id"]): row for row in ledger}
    assert set(by_batch) == {("医保局", "YB-1"), ("民政局", "MZ-1")}, "a household's own alert is no push"
    yb = by_batch["医保局", "YB-1"]
    assert (yb["received"], yb["new_cases"], yb["joined_cases"], yb["duplicates"]) == (3, 2, 0, 1)
    assert yb["first_received"] and yb["last_received"]
    mz = by_batch["民政局", "MZ-1"]
    assert (mz["received"], mz["new_cases"], mz["joined_cases"], mz["duplicates"]) == (1, 0, 1, 0)
    assert [row["batch_id"] for row in api.get("/api/pushes", department="民政局").json()["rows"]] == ["MZ-1"]
    assert [row["department"] for row in api.get("/api/pushes", batch_id="YB-1").json()["rows"]] == ["医保局"]

    alerts = api.get("/api/alerts").json()
    assert alerts["total"] == 5
    own = next(row for row in alerts["rows"] if row["code"] == three.code)
    assert (own["channel"], own["department"], own["outcome"], own["case_stage"]) == (
        "农户自主申报", None, "新案件", "待入户核查")
    duplicate = rows(api, "/api/alerts", outcome="重复")
    assert [(row["code"], row["alert_id"], row["duplicate_of"]) for row in duplicate] == [
        (one.code, "医保局:YB-1:3", "医保局:YB-1:1")]
    assert [row["outcome"] for row in rows(api, "/api/alerts", department="民政局")] == ["并入案件"]
    assert len(rows(api, "/api/alerts", batch_id="YB-1")) == 3
    assert [row["code"] for row in rows(api, "/api/alerts", sort="-code", limit=2)] == [three.code, two.code]
    problem(api.get("/api/alerts", sort="alert_id"), 422, "SORT_UNKNOWN", field="sort")
    problem(api.get("/api/pushes", department="县委"), 422, "CODE_UNKNOWN", field="department")


def test_each_batch_says_its_tier_period_and_the_rows_refused(api: Api) -> None:
    """各批次预警去向 names each batch's tier and period, and its rows refused (拒收), which are
    on no household: only the receipt counts them."""
    one, two = register(api, 1), register(api, 2)
    push(api, "YB-1", [one.head, two.head])
    body = {"batch_id": "MZ-1", "tier": "县级筛查", "period": "2025-03上半月", "department": "民政局",
            "rows": [{"person_id_number": one.spouse, "risk_types": ["因病"],
                      "occurred_on": "2025-03-01", "target_group": "临时救助"},
                     {"person_id_number": two.spouse, "risk_types": ["因病"],
                      "occurred_on": "2025-03-01"}]}  # no 对象类别: refused
    assert api.post("/api/pushes", body, "county").status_code == 200
    api.catch_up()
    ledger = {row["batch_id"]: row for row in api.get("/api/pushes").json()["rows"]}
    said = {batch: (row["tier"], row["period"], row["received"], row["rejected"])
            for batch, row in ledger.items()}
    assert said == {"YB-1": ("县级筛查", "2025-03", 2, 0), "MZ-1": ("县级筛查", "2025-03上半月", 1, 1)}


def test_the_push_book_per_department_and_period(api: Api) -> None:
    """推送台账 of a period (this month unless asked): what each department owed and what
    arrived, its rows by outcome — read by those who read /web/pushes' book; a department reads
    its own lines only."""
    one, two = register(api, 1), register(api, 2)
    push(api, "YB-1", [one.head, two.head, one.head])
    api.catch_up()
    book = api.get("/api/pushes/book").json()
    month = f"{api.clock.now.astimezone(CHINA_TIME):%Y-%m}"
    assert book["period"] == month
    line = next(row for row in book["rows"] if row["county_batches"] == ["YB-1"])
    assert (line["department"], line["rows"], line["new_cases"], line["duplicates"],
            line["rejected"]) == ("医保局", 3, 2, 1, 0)
    assert line["received_at"] and line["status"]
    assert api.get("/api/pushes/book", period=month).json() == book
    own = api.get("/api/pushes/book", "department").json()["rows"]
    assert own and {row["department"] for row in own} == {"医保局"}
    for reader in ("auditor", "assessment"):
        assert api.get("/api/pushes/book", reader).status_code == 200
    problem(api.get("/api/pushes/book", "township"), 403, "ROLE_FORBIDDEN")
    problem(api.get("/api/pushes/book", period="2025-13"), 422, "PERIOD_INVALID", field="period")


# ---------------------------------------------------------------------- case files and histories


def test_a_case_file_now_as_recorded_at_a_past_time_and_at_a_version(api: Api) -> None:
    api.clock.now = datetime(2025, 3, 1, 2, tzinfo=UTC)  # 10:00 in the county
    home = register(api, 1)
    api.clock.now = datetime(2025, 3, 5, 2, tzinfo=UTC)
    home.alerted()
    api.clock.now = datetime(2025, 3, 6, 10, tzinfo=UTC)  # 18:00 in the county
    home.do("/identification/home-visit", HOME_VISIT)
    api.clock.now = datetime(2025, 12, 1, 2, tzinfo=UTC)

    now = home.file()
    assert (now["version"], now["as_of"], now["cases"][0]["stage"]) == (3, None, "评议审核中")
    assert now["alerts"][0]["recorded_at"] == "2025-03-05T02:00:00Z"

    first_day = home.file(as_of="2025-03-01")
    assert (first_day["version"], first_day["alerts"], first_day["cases"]) == (1, [], [])
    assert first_day["as_of"] == "2025-03-01T23:59:59.999999+08:00", "the end of that day in the county"
    assert home.file(as_of="2025-03-05")["version"] == 2
    for moment, version in (("2025-03-06T17:59", 2), ("2025-03-06T18:00", 3),
                            ("2025-03-06T09:59:59Z", 2), ("2025-03-06T10:00:00+00:00", 3),
                            ("2025-03-06T18:00:00+08:00", 3)):
        assert home.file(as_of=moment)["version"] == version, moment
    problem(api.get(home.path, as_of="2025-02-28"), 404, "NOT_YET_RECORDED", field="as_of")
    problem(api.get(home.path, as_of="yesterday"), 422, "AS_OF_FORMAT", field="as_of")

    at_one = home.file(version=1)
    assert (at_one["version"], at_one["alerts"], len(at_one["members"])) == (1, [], 3)
    assert home.file(version=2)["cases"][0]["stage"] == "待入户核查"
    assert home.file(version=3) == now
    problem(api.get(home.path, version=4), 422, "VERSION_UNKNOWN", field="version")
    problem(api.get(home.path, version=0), 400, "INVALID_REQUEST", field="version")
    problem(api.get(home.path, version=1, as_of="2025-03-01"), 422, "AS_OF_AND_VERSION")

    for who, full in (("county", True), ("township", True), ("auditor", True),
                      ("village", False), ("assessment", False)):
        file = home.file(who)
        shown = [m["id_number"] for m in file["members"]] + [file["alerts"][0]["person_id_number"]]
        expected = [home.head, home.spouse, home.child, home.head]
        assert shown == (expected if full else [masked(n) for n in expected]), who


def test_a_case_file_history_with_when_and_by_whom(api: Api) -> None:
    api.clock.now = datetime(2025, 3, 1, 2, tzinfo=UTC)
    home = register(api, 1, who="township")
    api.clock.now = datetime(2025, 3, 5, 2, tzinfo=UTC)
    home.do("/alerts", alert_body(1), who="village")
    home.do("/corrections", {**CORRECTION, "occurred_on": "2025-03-05"}, who="county")

    entries = home.history()
    assert [(e["version"], e["event"], e["what"]) for e in entries] == [
        (1, "Registered", "农户登记"), (2, "AlertRaised", "收到预警信息"),
        (3, "FactCorrected", "更正已记录的事实")]
    assert [e["occurred_on"] for e in entries] == ["2025-01-01", "2025-03-01", "2025-03-05"]
    assert [e["recorded_at"] for e in entries] == ["2025-03-01T02:00:00Z", "2025-03-05T02:00:00Z",
                                                   "2025-03-05T02:00:00Z"]
    assert [e["recorded_by"]["user"] for e in entries] == ["township-01", "grid-01", "county-01"]
    assert entries[1]["details"]["risk_types"] == ["因病"] and entries[1]["details"]["opens_case"] is True
    assert entries[2]["details"]["corrects_version"] == 1
    assert entries[2]["details"]["changes"] == {"address": "东村十二号"}

    assert len(home.history(as_of="2025-03-04")) == 1
    assert len(home.history(as_of="2025-03-05T09:59:59")) == 1
    assert len(home.history(as_of="2025-03-05T10:00:00")) == 3
    assert len(home.history(as_of="2025-03-05")) == 3
    problem(api.get(home.path + "/history", as_of="2025-13-01"), 422, "AS_OF_FORMAT", field="as_of")
    village = home.history("village")
    assert village[1]["details"]["person_id_number"] == masked(home.head)


def test_each_history_entry_says_what_happened_in_a_sentence(api: Api) -> None:
    """The history's `sentence`: the day, who and what, people named as their household
    recorded them; the raw fields stay in `details`."""
    home = register(api, 1, who="township")
    home.do("/alerts", alert_body(1), who="village")
    home.do("/visits", VISIT, who="village")
    said = [e["sentence"] for e in home.history()]
    assert said[0] == "2025-01-01 乡镇工作站登记农户：银坊镇东村，一般农户，3口人，户主王建国"
    assert said[1] == "2025-03-01 村联络站登记预警（农户自主申报）：王建国，因病：住院花费大；新立案"
    assert said[2] == "2025-09-15 网格员小李入户走访：六项核实全部通过，收入增加200元"
    assert [e["sentence"] for e in home.history("village")] == said
    assert home.history()[2]["details"]["visitor"] == "网格员小李"


def test_the_history_carries_the_household_chain_proof(api: Api) -> None:
    home = register(api, 1)
    home.do("/alerts", alert_body(1), who="village")
    response = api.get(home.path + "/history", "auditor")
    assert response.status_code == 200, response.text
    chain = response.json()["chain"]
    assert chain["intact"] is True and chain["checkpoint"] is None
    links = chain["links"]
    assert [link["version"] for link in links] == [1, 2]
    assert links[0]["previous_hash"] == "00" * 32
    assert links[1]["previous_hash"] == links[0]["event_hash"]  # each link names the one before
    assert all(link["intact"] and len(link["event_hash"]) == 64 for link in links)
    past = api.get(home.path + "/history", "auditor", as_of="2025-01-01").json()
    assert len(past["chain"]["links"]) == len(past["entries"])


def test_the_registered_members_are_masked_in_the_history_for_roles_that_see_no_id_numbers(
        api: Api) -> None:
    home = register(api, 1)
    assert [m["id_number"] for m in home.history("county")[0]["details"]["members"]] == [
        home.head, home.spouse, home.child]
    for who in ("village", "assessment"):
        registration = home.history(who)[0]
        assert [m["id_number"] for m in registration["details"]["members"]] == [
            masked(home.head), masked(home.spouse), masked(home.child)], who


def test_a_village_user_never_reads_a_full_id_number_in_the_history(api: Api) -> None:
    home = register(api, 1)
    home.do("/corrections", {"corrects_version": 1, "member_id_number": home.spouse,
                             "changes": {"name": "李秀兰"}, "reason": "姓名录错",
                             "occurred_on": "2025-02-01"})
    assert home.file()["members"][1]["name"] == "李秀兰"
    correction = home.history("village")[-1]
    assert correction["event"] == "FactCorrected"
    assert home.spouse not in json.dumps(correction, ensure_ascii=False), correction["details"]


def test_a_household_moved_to_another_township_is_out_of_the_old_townships_reach(api: Api) -> None:
    api.clock.now = datetime(2025, 3, 1, 2, tzinfo=UTC)
    home = register(api, 1)
    api.clock.now = datetime(2025, 4, 1, 2, tzinfo=UTC)
    moved = {"township": OTHER_TOWNSHIP, "village": "南村"}
    home.do("/corrections", {"corrects_version": 1, "changes": moved, "reason": "区划调整",
                             "occurred_on": "2025-04-01"})
    problem(api.get(home.path, "township"), 403, "OUTSIDE_AREA")
    problem(api.get(home.path + "/history", "township"), 403, "OUTSIDE_AREA")
    problem(api.get(home.path, "township", version=1), 403, "OUTSIDE_AREA")
    problem(api.get(home.path, "township", as_of="2025-03-15"), 403, "OUTSIDE_AREA")


# ---------------------------------------------------------------------- policy and self


def test_the_income_line_on_a_day_as_known_now_or_at_a_past_time(api: Api) -> None:
    api.clock.now = datetime(2025, 1, 2, 2, tzinfo=UTC)
    assert call_put(api, 2024, {"yuan_per_capita": "6800", "occurred_on": "2025-01-02"}).status_code == 201
    set_income_line(api, "7000")
    api.clock.now = datetime(2025, 7, 1, 2, tzinfo=UTC)
    raised = call_put(api, 2025, {"yuan_per_capita": "7500", "reason": "省里上调",
                                  "occurred_on": "2025-07-01"})
    assert raised.status_code == 201, raised.text

    def line(**params: Any) -> Any:
        response = api.get("/api/income-lines", "village", **params)
        assert response.status_code == 200, response.text
        return response.json()

    assert line(on="2025-06-30") == {"on": "2025-06-30", "yuan_per_capita": "7500", "as_of": None}
    assert line(on="2024-12-31")["yuan_per_capita"] == "6800"
    assert line(on="2023-12-31")["yuan_per_capita"] is None
    before = line(on="2025-06-30", as_of="2025-06-30")
    assert before == {"on": "2025-06-30", "yuan_per_capita": "7000",
                      "as_of": "2025-06-30T23:59:59.999999+08:00"}, "as the county knew it then"
    assert line(on="2025-06-30", as_of="2025-07-01T09:59:59")["yuan_per_capita"] == "7000"
    assert line(on="2025-06-30", as_of="2025-07-01T10:00:00")["yuan_per_capita"] == "7500"
    assert line(on="2025-06-30", as_of="2025-01-01")["yuan_per_capita"] is None, "nothing set yet"
    assert line()["on"], "today by default"
    problem(api.get("/api/income-lines", on="soon"), 400, "INVALID_REQUEST", field="on")
    problem(call_put(api, 2025, {"yuan_per_capita": "7600", "occurred_on": "2025-07-01"}), 422,
            "REASON_REQUIRED", field="reason")
    problem(call_put(api, 2025, {"yuan_per_capita": "0", "occurred_on": "2025-07-01", "reason": "x"}), 422,
            "AMOUNT_INVALID", field="yuan_per_capita")
    problem(call_put(api, 2025, {"yuan_per_capita": "7600", "effective_from": "2026-01-01",
                                 "occurred_on": "2025-07-01", "reason": "x"}), 422, "EFFECTIVE_DATE")


def call_put(api: Api, year: int, body: dict[str, Any]) -> Any:
    return api.client.put(f"/api/income-lines/{year}", json=body, headers=api.headers("county"))


def test_me_says_who_the_token_belongs_to(api: Api) -> None:
    for who, user in USERS.items():
        response = api.get("/api/me", who)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "name": user.name, "role": user.role.value, "township": user.township,
            "village": user.village, "department": user.department and user.department.value,
            "sees_id_numbers": who in ("county", "township", "auditor", "other_township"),
        }, who


# ---------------------------------------------------------------------- pages


def _all_pages(api: Api, path: str, **params: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = api.get(path, **params, **({"cursor": cursor} if cursor else {})).json()
        assert page["total"] == 7
        pages.append([row["code"] for row in page["rows"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_keyset_pages_give_every_household_exactly_once(api: Api) -> None:
    homes = [register(api, n) for n in range(1, 8)]
    api.catch_up()
    every = [home.code for home in homes]

    pages = _all_pages(api, "/api/households", limit=3)
    assert pages == [every[0:3], every[3:6], every[6:7]]
    assert _all_pages(api, "/api/households", limit=3, sort="-code") == [
        every[::-1][0:3], every[::-1][3:6], every[::-1][6:7]]
    by_name = _all_pages(api, "/api/households", limit=2, sort="head_name")  # all named 王建国
    assert [len(page) for page in by_name] == [2, 2, 2, 1]
    assert sorted(code for page in by_name for code in page) == every
    assert _all_pages(api, "/api/households", limit=7) == [every]
    assert _all_pages(api, "/api/households", limit=500) == [every]

    for home in homes:
        home.alerted()
    api.catch_up()
    by_deadline = _all_pages(api, "/api/cases", limit=4)
    assert sorted(code for page in by_deadline for code in page) == every


def test_bad_cursors_and_limits_are_refused(api: Api) -> None:
    for n in (1, 2, 3):
        register(api, n).alerted()
    api.catch_up()
    from_cases = api.get("/api/cases", limit=1).json()["next_cursor"]
    wrong_length = base64.urlsafe_b64encode(json.dumps(["130630000001"]).encode()).decode()
    wrong_type = base64.urlsafe_b64encode(json.dumps(["x", "not-a-uuid"]).encode()).decode()
    for cursor in ("garbage", "!!!", wrong_length, wrong_type, from_cases):
        problem(api.get("/api/households", cursor=cursor), 422, "CURSOR_INVALID")
    problem(api.get("/api/cases", cursor="garbage", sort="discovered_on"), 422, "CURSOR_INVALID")
    for limit in (0, -1, 501):
        problem(api.get("/api/households", limit=limit), 400, "INVALID_REQUEST", field="limit")
    problem(api.get("/api/households", limit="three"), 400, "INVALID_REQUEST", field="limit")


def test_a_bad_cursor_names_the_cursor_parameter(api: Api) -> None:
    problem(api.get("/api/households", cursor="garbage"), 422, "CURSOR_INVALID", field="cursor")


# ---------------------------------------------------------------------- areas


def test_each_user_lists_only_the_households_of_their_area(api: Api) -> None:
    east_1, east_2 = register(api, 1), register(api, 2)
    west = register(api, 3, village=OTHER_VILLAGE)
    elsewhere = register(api, 4, township=OTHER_TOWNSHIP, village="南村")
    for home in (east_1, east_2, west, elsewhere):
        home.alerted()
    api.catch_up()

    everyone = [east_1.code, east_2.code, west.code, elsewhere.code]
    sees = {
        "county": everyone, "auditor": everyone, "assessment": everyone,
        "township": [east_1.code, east_2.code, west.code],
        "village": [east_1.code, east_2.code],
        "other_village": [west.code],
        "other_township": [elsewhere.code],
    }
    for who, expected in sees.items():
        for path in ("/api/households", "/api/cases", "/api/alerts"):
            page = api.get(path, who, sort="code").json()
            assert [row["code"] for row in page["rows"]] == expected, (who, path)
            assert page["total"] == len(expected), (who, path)
    assert codes(api, "/api/households", "village", township=OTHER_TOWNSHIP) == []
    assert codes(api, "/api/households", "village", village=OTHER_VILLAGE) == []
    assert codes(api, "/api/households", "township", id_number=elsewhere.head) == []
    ledger_rows = api.get("/api/pushes", "village").json()["rows"]
    assert ledger_rows == []
    problem(api.get(elsewhere.path, "township"), 403, "OUTSIDE_AREA", field="household_code")
    problem(api.get(west.path + "/history", "village"), 403, "OUTSIDE_AREA", field="household_code")


def test_a_department_sees_only_its_own_pushes(api: Api) -> None:
    one, two, three = (register(api, n) for n in (1, 2, 3))
    push(api, "YB-1", [one.head, two.head])
    push(api, "MZ-1", [two.spouse], who="other_department", period="2025-03上半月", target_group="低保")
    three.alerted()
    api.catch_up()

    def seen(who: str, path: str, **params: Any) -> list[tuple[str, str]]:
        return sorted((row["department"], row["batch_id"]) for row in rows(api, path, who, **params))

    assert seen("department", "/api/alerts") == [("医保局", "YB-1")] * 2
    assert seen("other_department", "/api/alerts") == [("民政局", "MZ-1")]
    assert seen("department", "/api/pushes") == [("医保局", "YB-1")]
    assert seen("other_department", "/api/pushes") == [("民政局", "MZ-1")]
    assert seen("department", "/api/alerts", department="民政局") == []
    assert seen("department", "/api/pushes", department="民政局") == []
    assert len(seen("county", "/api/pushes")) == 2
    assert len(rows(api, "/api/alerts", "county")) == 4
    problem(api.get(one.path, "department"), 403, "ROLE_FORBIDDEN")


# ---------------------------------------------------------------------- reading one's own writes


def test_a_command_position_passed_as_after_reads_the_new_row(api: Api) -> None:
    first = api.post("/api/households", registration_body(1)).json()
    stale = api.get("/api/households").json()
    assert (stale["rows"], stale["total"], stale["position"]) == ([], 0, 0), "nobody caught up yet"

    fresh = api.get("/api/households", after=first["position"]).json()
    assert [row["code"] for row in fresh["rows"]] == [code_of(1)]
    assert fresh["position"] >= first["position"]

    second = api.post("/api/households", registration_body(2)).json()
    assert codes(api, "/api/households") == [code_of(1)], "still as of the first command"
    assert codes(api, "/api/households", after=second["position"]) == [code_of(1), code_of(2)]

    alert = Home(api, 2).do("/alerts", alert_body(2))
    assert codes(api, "/api/cases") == []
    assert codes(api, "/api/cases", after=alert["position"]) == [code_of(2)]
    for path in ("/api/monitoring", "/api/alerts", "/api/pushes", "/api/visits-due",
                 "/api/monitoring/measures-missing"):
        assert api.get(path, after=alert["position"]).json()["position"] >= alert["position"], path

    third = api.post("/api/households", registration_body(3)).json()
    api.catch_up()
    assert codes(api, "/api/households") == [code_of(1), code_of(2), code_of(3)]
    assert api.get("/api/households", after=0).status_code == 200
    beyond = third["position"] + 1
    for path in ("/api/households", "/api/cases", "/api/pushes", "/api/alerts", "/api/monitoring"):
        problem(api.get(path, after=beyond), 422, "POSITION_UNKNOWN", field="after")
    problem(api.get("/api/households", after=-1), 400, "INVALID_REQUEST", field="after")


def test_a_misspelt_query_parameter_is_refused_not_ignored(api: Api) -> None:
    answer = problem(api.get("/api/monitoring", "county", categroy="边缘易致贫户"), 400, "INVALID_REQUEST")
    assert "未知的查询参数：categroy" in answer["detail"] and "category" in answer["detail"]
    assert api.get("/api/monitoring", "county", category="边缘易致贫户").status_code == 200
    # a filter given twice would have one of its values dropped silently
    twice = api.client.get("/api/households?township=银坊镇&township=水堡镇", headers=api.headers("county"))
    assert "查询参数重复：township" in problem(twice, 400, "INVALID_REQUEST")["detail"]


def test_every_read_of_a_household_file_is_in_the_access_log_for_auditors(api: Api) -> None:
    register(api, 1)
    code = code_of(1)
    api.get(f"/api/households/{code}", "township")
    api.get(f"/api/households/{code}/history", "auditor", as_of="2025-06-30")
    problem(api.get(f"/api/households/{code}", "other_township"), 403, "OUTSIDE_AREA")
    log = api.get("/api/access-log", "auditor", household_code=code).json()
    assert [(r["user"], r["role"], r["route"], r["outcome"]) for r in log] == [
        ("township-02", "乡镇工作站", f"/api/households/{code}", "refused:OUTSIDE_AREA"),
        ("auditor-01", "审计", f"/api/households/{code}/history", "read"),
        ("township-01", "乡镇工作站", f"/api/households/{code}", "read"),
    ]
    assert log[0]["at"].startswith("2025-12-01T02:00")
    older = api.get("/api/access-log", "auditor", before=log[0]["id"], limit=1).json()
    assert [r["id"] for r in older] == [log[1]["id"]]
    mine = api.get("/api/access-log", "auditor", user="auditor-01").json()
    assert [r["user"] for r in mine] == ["auditor-01"]
    problem(api.get("/api/access-log", "county"), 403, "ROLE_FORBIDDEN")
