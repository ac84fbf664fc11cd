"""Who may use which route, and where: every route of the API against every user of the fixture.

The table below is written out by hand from domain.md §2 (not imported from the application), so
a change to the role tables shows up here. For each route and user the expected answer is:

* 403 ``ROLE_FORBIDDEN`` when the user's role is not in the route's row;
* 403 ``OUTSIDE_AREA`` when the route touches one household and the user is a township or
  village user of another area (``other_township``, ``other_village``);
* otherwise the route's success (201 for a command, 200 for a push or a read), with the state
  set up beforehand so that the command is possible.

Every refused attempt must leave the event log as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from tests.evidence_files import phone_photo, scanned_pdf
from tests.http.conftest import USERS, Api
from tests.http.kit import (
    CORRECTION,
    COUNTY_DECISION,
    ELIMINATION_DECISION,
    ELIMINATION_NOTICE,
    ELIMINATION_REVIEW,
    ELIMINATION_VISIT,
    END_MEASURE,
    GREEN_CHANNEL,
    GRID_WORKER,
    GRID_WORKER_CHANGE,
    HELPER,
    HELPER_CHANGE,
    HOME_VISIT,
    IN_PLACE,
    INCOME,
    LEAVE,
    MEASURE,
    RELIEF,
    RELIEF_BANDS,
    RISK_ANALYSIS,
    STAFF_END,
    TOWNSHIP_REVIEW,
    UPDATE,
    VILLAGE_NOTICE,
    VISIT,
    alert_body,
    call,
    code_of,
    head_of,
    join_body,
    problem,
    register,
    registration_body,
    set_income_line,
    set_relief_bands,
    subsidy_body,
)

#: Each user of the fixture by role (short names as in `application.accounts.access.ROLE_ALIASES`).
ROLE_OF = {
    "county": "county", "township": "township", "village": "village", "department": "department",
    "auditor": "auditor", "assessment": "assessment", "other_township": "township",
    "other_village": "village", "other_department": "department",
}

#: Route → the roles that may use it (domain.md §2).
ALLOWED: dict[str, set[str]] = {
    # households and members
    "POST /api/households": {"county", "township"},
    "POST /api/households/{code}/members": {"county", "township", "village"},
    "POST /api/households/{code}/members/{id_number}/leave": {"county", "township", "village"},
    "PATCH /api/households/{code}/members/{id_number}": {"county", "township", "village"},
    # alerts and identification
    "POST /api/households/{code}/alerts": {"county", "township", "village"},
    "POST /api/households/{code}/identification/home-visit": {"county", "township", "village"},
    "POST /api/households/{code}/identification/village-notice": {"county", "township", "village"},
    "POST /api/households/{code}/identification/township-review": {"county", "township"},
    "POST /api/households/{code}/identification/county-decision": {"county"},
    "POST /api/households/{code}/green-channel": {"county", "township"},
    # help
    "POST /api/households/{code}/risk-analyses": {"county", "township"},
    "POST /api/households/{code}/measures": {"county", "township"},
    # (a department: only the measures assigned to it — MEASURE is 卫健局's, neither test
    # department's)
    "POST /api/households/{code}/measures/{measure_id}/in-place": {"county", "township", "department"},
    "POST /api/households/{code}/measures/{measure_id}/end": {"county", "township", "department"},
    "POST /api/households/{code}/medical-subsidies": {"county", "township"},
    "POST /api/households/{code}/relief-payouts": {"county"},
    # visits, income and risk elimination
    "POST /api/households/{code}/visits": {"county", "township", "village"},
    "POST /api/households/{code}/income-assessments": {"county", "township", "village"},
    "POST /api/households/{code}/elimination/home-visit": {"county", "township", "village"},
    "POST /api/households/{code}/elimination/village-notice": {"county", "township", "village"},
    "POST /api/households/{code}/elimination/township-review": {"county", "township"},
    "POST /api/households/{code}/elimination/county-decision": {"county"},
    # people on the household: the village names its 网格员, the township its 帮扶责任人
    "POST /api/households/{code}/grid-worker": {"county", "township", "village"},
    "POST /api/households/{code}/grid-worker/change": {"county", "township", "village"},
    "POST /api/households/{code}/grid-worker/end": {"county", "township", "village"},
    "POST /api/households/{code}/helper": {"county", "township"},
    "POST /api/households/{code}/helper/change": {"county", "township"},
    "POST /api/households/{code}/helper/confirm": {"county", "township"},
    "POST /api/households/{code}/helper/end": {"county", "township"},
    # corrections, policy and department pushes
    "POST /api/households/{code}/corrections": {"county", "township"},
    # appeals: a cadre lodges one for the household; the unit that decided answers
    "POST /api/households/{code}/appeals": {"county", "township", "village"},
    "POST /api/households/{code}/appeals/{appeal_id}/answer": {"county", "township", "village"},
    "PUT /api/income-lines/{year}": {"county"},
    "PUT /api/poverty-lines/{year}": {"county"},
    "PUT /api/relief-bands/{effective_from}": {"county"},
    "POST /api/pushes": {"county", "department"},
    # reads
    "GET /api/monitoring": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/monitoring/measures-missing": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/cases": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/appeals": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/visits-due": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/households": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/households/{code}": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/households/{code}/history": {"county", "township", "village", "auditor", "assessment"},
    # evidence: uploaded and attached by those who record the facts, read as the case file is
    "POST /api/attachments": {"county", "township", "village"},
    "POST /api/households/{code}/evidence": {"county", "township", "village"},
    "GET /api/households/{code}/attachments/{sha256}": {"county", "township", "village", "auditor",
                                                        "assessment"},
    "GET /api/households/{code}/attachments/{sha256}/thumbnail": {"county", "township", "village",
                                                                  "auditor", "assessment"},
    "GET /api/pushes": {"county", "township", "village", "department", "auditor", "assessment"},
    "GET /api/alerts": {"county", "township", "village", "department", "auditor", "assessment"},
    "GET /api/income-lines": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/poverty-lines": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/relief-bands": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/me": {"county", "township", "village", "department", "auditor", "assessment"},
    # indicators, reports and meetings (a township or department sees its own area)
    "GET /api/indicators": {"county", "township", "department", "auditor", "assessment"},
    "POST /api/indicators/verify": {"county", "township", "department", "auditor", "assessment"},
    "GET /api/push-compliance": {"county", "department", "auditor", "assessment"},
    "GET /api/pushes/book": {"county", "department", "auditor", "assessment"},
    "GET /api/reports/monthly": {"county", "township", "auditor", "assessment"},
    "GET /api/reports/quarterly": {"county", "auditor", "assessment"},
    "GET /api/reports/annual": {"county", "auditor", "assessment"},
    "GET /api/meetings": {"county", "auditor", "assessment"},
    "POST /api/meetings/consultations": {"county"},
    "POST /api/meetings/dispatches": {"county"},
    # rectification items: the county orders and extends, the unit responsible completes
    "POST /api/rectifications": {"county"},
    "POST /api/rectifications/{item_id}/completed": {"county", "township", "department"},
    "POST /api/rectifications/{item_id}/extension": {"county"},
    "GET /api/rectifications": {"county", "township", "department", "auditor", "assessment"},
    # uploads, templates and unmatched alerts
    "POST /api/imports/alerts": {"county", "department"},
    "POST /api/imports/households": {"county"},
    "POST /api/imports/staff": {"county", "township"},
    "GET /api/templates/{kind}": {"county", "township", "village", "department", "auditor", "assessment"},
    "GET /api/unmatched-alerts": {"county", "township", "village", "auditor", "assessment"},
    "POST /api/unmatched-alerts/{alert_id}/attach": {"county", "township"},
    # self-reports: anyone reports (no sign-in needed); the township answers
    "POST /api/public/self-reports": {"county", "township", "village", "department", "auditor",
                                      "assessment"},
    "GET /api/self-reports": {"county", "township", "auditor"},
    "POST /api/self-reports/{report_id}/answer": {"county", "township"},
    "GET /api/exports/{which}": {"county", "township", "village", "auditor", "assessment"},
    # data going out: exchange exports like the lists; the feed for every role (application.feed)
    "GET /api/exchange/{kind}": {"county", "township", "village", "auditor", "assessment"},
    "GET /api/feed": {"county", "township", "village", "department", "auditor", "assessment"},
    "GET /api/access-log": {"auditor"},
    # public notices (公示): who records step 2, for their own village (domain.md §13)
    "GET /api/notices/{kind}": {"county", "township", "village"},
    "GET /api/notices/{kind}/print": {"county", "township", "village"},
    "GET /api/notices/{kind}/xlsx": {"county", "township", "village"},
    "POST /api/notices/{kind}/publish": {"county", "township", "village"},
    # a department's desk
    "GET /api/departments/me/roster": {"department"},
    "GET /api/departments/me/measures": {"department"},
    "GET /api/departments/me/calendar": {"department"},
    # my work: every signed-in person's tasks and notifications (none for some roles)
    "GET /api/me/tasks": {"county", "township", "village", "department", "auditor", "assessment"},
    "GET /api/me/notifications": {"county", "township", "village", "department", "auditor",
                                  "assessment"},
    "POST /api/me/notifications/read": {"county", "township", "village", "department", "auditor",
                                        "assessment"},
}

#: Routes that act on or read one household: refused outside the caller's area.
ONE_HOUSEHOLD = {route for route in ALLOWED if "{code}" in route} | {
    "POST /api/households", "POST /api/unmatched-alerts/{alert_id}/attach",
    "POST /api/self-reports/{report_id}/answer"}

#: Routes on one village's notice: refused to a township or village user of another area.
ONE_VILLAGE = {route for route in ALLOWED if "/api/notices/" in route}

#: Routes on one measure: refused to a department it is not assigned to.
ONE_MEASURE = {"POST /api/households/{code}/measures/{measure_id}/in-place",
               "POST /api/households/{code}/measures/{measure_id}/end"}

#: Routes on one rectification item: refused to a township or department not answering for it.
ONE_ITEM = {"POST /api/rectifications/{item_id}/completed"}

#: A request ready to send: path, JSON body (None for a read).
Request = tuple[str, dict[str, Any] | None]
#: Sets up household number ``n`` so that the route's command is possible; returns the request.
Prepare = Callable[[Api, int, str], Request]


def _on(suffix: str, body: Any, ready: Callable[..., Any] | None = None) -> Prepare:
    """A command on a fresh household brought to a point first (``ready(home)``)."""

    def prepare(api: Api, n: int, who: str) -> Request:
        home = register(api, n)
        if ready is not None:
            ready(home)
        path = home.path + suffix.format(head=home.head, spouse=home.spouse, child=home.child)
        return path, body(n) if callable(body) else body

    return prepare


def _helper_to_confirm(api: Api, n: int, who: str) -> Request:
    """A 脱贫户 whose 帮扶责任人 (named under 四个不摘) is to be confirmed once it is included."""
    home = register(api, n, household_type="脱贫户")
    home.do("/helper", {**HELPER, "occurred_on": "2025-02-01"})
    home.deliberated().do("/identification/county-decision",
                          {**COUNTY_DECISION, "category": "脱贫不稳定户"})
    return home.path + "/helper/confirm", {"occurred_on": "2025-03-11"}


def _registration(api: Api, n: int, who: str) -> Request:
    return "/api/households", registration_body(n)


def _income_line(api: Api, n: int, who: str) -> Request:
    return "/api/income-lines/2024", {"yuan_per_capita": "6800", "occurred_on": "2025-01-01",
                                      "reason": "县定标准"}


def _poverty_line(api: Api, n: int, who: str) -> Request:
    return "/api/poverty-lines/2024", {"yuan_per_capita": "4600", "occurred_on": "2025-01-01",
                                       "reason": "县定标准"}


def _relief_bands(api: Api, n: int, who: str) -> Request:
    return f"/api/relief-bands/2024-{n % 12 + 1:02d}-01", {**RELIEF_BANDS, "reason": f"调整{n}"}


def _relief_ready(home: Any) -> None:
    set_relief_bands(home.api, reason=f"户{home.n}")
    home.included()


def _push(api: Api, n: int, who: str) -> Request:
    register(api, n)
    # a provincial batch: every department's county-tier cadence has its own period forms
    body = {"batch_id": f"B{n}", "tier": "省级推送", "period": "2025-03",
            "rows": [{"person_id_number": head_of(n), "risk_types": ["因病"],
                      "occurred_on": "2025-03-01"}]}
    if who == "county":
        body["department"] = "医保局"
    return "/api/pushes", body


def _read(path: str) -> Prepare:
    """A read: household number 1 is registered before the reads are tried."""
    return lambda api, n, who: (path.format(code=code_of(1)), None)


def _published(api: Api, n: int, who: str) -> Request:
    """A result as the caller (or, for a refused caller, the county) was given it."""
    reader = who if ROLE_OF[who] in ALLOWED["GET /api/indicators"] else "county"
    response = api.get("/api/indicators", reader, period="2025")
    assert response.status_code == 200, response.text
    return "/api/indicators/verify", response.json()


def _meeting(kind: str) -> Prepare:
    def prepare(api: Api, n: int, who: str) -> Request:
        body = {"meeting_id": f"M{n}", "occurred_on": "2025-03-28", "departments_present": ["乡村振兴局"],
                "topics": ["月度研判"]}
        if kind == "dispatches":
            body["quarter"] = "2025-Q1"
        return f"/api/meetings/{kind}", body

    return prepare


def _rectification(suffix: str = "") -> Prepare:
    """A rectification item ordered at a dispatch meeting (the caller's department's for a
    department, else 银坊镇's), then the request: ordering it, or ``suffix`` on it."""

    def prepare(api: Api, n: int, who: str) -> Request:
        api.ok("/api/meetings/dispatches", {
            "meeting_id": f"DD{n}", "quarter": "2025-Q3", "occurred_on": "2025-09-28",
            "departments_present": ["乡村振兴局"], "topics": ["三季度调度"]})
        unit = {"department": "医保局"} if who == "department" else {"township": "银坊镇"}
        item = {"item_id": f"ZG{n}", "source": f"DD{n}", "problem": "走访记录不全", **unit,
                "deadline": "2025-12-31", "occurred_on": "2025-09-30"}
        if not suffix:
            return "/api/rectifications", item
        api.ok("/api/rectifications", item)
        body = {"what_was_done": "已补录", "occurred_on": "2025-11-30"} if suffix == "completed" else {
            "deadline": "2026-01-31", "reason": "冬季入户困难", "occurred_on": "2025-11-30"}
        return f"/api/rectifications/ZG{n}/{suffix}", body

    return prepare


def _upload(kind: str) -> Prepare:
    """An upload (multipart): a CSV of one alert row, or of one household."""

    def prepare(api: Api, n: int, who: str) -> Request:
        if kind == "alerts":
            register(api, n)
            text = f"身份证号码,风险类型,发现日期\r\n{head_of(n)},因病,2025-03-01\r\n"
            form = {"tier": "省级推送", "period": "2025-03", "batch_id": f"UP{n}"}
            if who == "county":
                form["department"] = "医保局"
        elif kind == "staff":  # another township's user gets its row refused, not the upload
            register(api, n)
            text = f"户编号,网格员姓名,网格员电话\r\n{code_of(n)},李网格,13812345678\r\n"
            form = {}
        else:
            text = ("户编号,乡镇,行政村,住址,户类型,姓名,身份证号码,与户主关系,健康状况,劳动能力,"
                    "参加居民医保\r\n"
                    f"{code_of(n)},银坊镇,东村,东村{n}号,一般农户,王建国,{head_of(n)},本人,健康,普通劳动力,是\r\n")
            form = {}
        return f"/api/imports/{kind}", {"__files__": {"file": (f"{kind}-{n}.csv", text.encode())},
                                        "__form__": form}

    return prepare


def _unmatched(api: Api, n: int, who: str) -> Request:
    """An alert held unmatched (pushed before its household was registered), then the household."""
    person = head_of(n)
    api.post("/api/pushes", {"batch_id": f"UM{n}", "tier": "省级推送", "period": "2025-03",
                             "department": "医保局", "rows": [{"person_id_number": person,
                                                            "risk_types": ["因病"],
                                                            "occurred_on": "2025-03-01"}]}, "county")
    register(api, n)
    return f"/api/unmatched-alerts/医保局:UM{n}:1/attach", {"household_code": code_of(n)}


def _self_report(answer: bool) -> Prepare:
    """A self-report about the head of household ``n`` (and, to answer, the answer)."""

    def prepare(api: Api, n: int, who: str) -> Request:
        register(api, n)
        api.catch_up()
        body = {"name": "王建国", "person_id_number": head_of(n), "phone": "13812345678",
                "township": "银坊镇", "village": "东村", "story": "住院自付三万元"}
        if not answer:
            return "/api/public/self-reports", body
        taken = api.client.post("/api/public/self-reports", json=body).json()["report_id"]
        return f"/api/self-reports/{taken}/answer", {
            "answer": "属实，转为预警", "household_code": code_of(n), "risk_types": ["因病"]}

    return prepare


#: An appeal against the township's finding that there was no risk, and the township's answer.
APPEAL = {"case_number": 1, "appeal_id": "SS-1", "against": "不予认定", "appellant": "王建国",
          "by_household": True, "content": "丈夫住院属实", "occurred_on": "2025-03-05"}
ANSWER = {"case_number": 1, "outcome": "成立", "reason": "补充了住院证明", "occurred_on": "2025-03-06"}


def _no_risk(home: Any) -> None:
    home.alerted()
    home.do("/identification/home-visit", {**HOME_VISIT, "finding": "无风险"})


def _answering_appeal(api: Api, n: int, who: str) -> Request:
    """An appeal answered by the unit that decided: the village's deliberation for a village
    user, the township's finding of no risk for the others (the county answers either)."""
    home = register(api, n)
    if who.endswith("village"):
        home.visited()
        home.do("/identification/village-notice", {**VILLAGE_NOTICE, "decision": "不通过",
                                                   "reason": "村民代表评议认为家庭收入较高"})
        home.do("/appeals", {**APPEAL, "occurred_on": "2025-03-10"}, who="village")
    else:
        _no_risk(home)
        home.do("/appeals", APPEAL, who="village")
    return home.path + "/appeals/SS-1/answer", {**ANSWER, "occurred_on": "2025-03-11"}


#: The fixture's village, as a notice names it.
NOTICE_PLACE = "township=银坊镇&village=东村&notice_from=2025-03-03&notice_to=2025-03-08"


def _publish_notice(api: Api, n: int, who: str) -> Request:
    """A case awaiting the village notice (household ``n``), and the notice of a period of its
    own printed by the county: publishing it is possible."""
    register(api, n).visited()
    api.catch_up()
    start = date(2025, 4, 1) + timedelta(days=n % 200)
    period = {"notice_from": start.isoformat(), "notice_to": (start + timedelta(days=4)).isoformat()}
    printed = api.get("/api/notices/identification", "county", township="银坊镇", village="东村",
                      **period)
    assert printed.status_code == 200, printed.text
    return "/api/notices/identification/publish", {
        "township": "银坊镇", "village": "东村", **period, "digest": printed.json()["digest"]}


def _green_channel_ready(home: Any) -> None:
    home.alerted(risk_types=("因意外事故",))
    home.do("/identification/home-visit", HOME_VISIT)


def _measure_assigned(home: Any) -> None:
    _analysed(home)
    home.do("/measures", MEASURE)


def _analysed(home: Any) -> None:
    home.included()
    home.do("/risk-analyses", RISK_ANALYSIS)


SCAN = scanned_pdf()
PHOTO = phone_photo()


def _uploaded(api: Api, data: bytes, who: str = "county") -> str:
    response = call(api, "POST", "/api/attachments", who, {"__files__": {"file": ("f", data)}})
    assert response.status_code == 201, response.text
    return response.json()["sha256"]


def _evidence(api: Api, n: int, who: str) -> Request:
    """An attachment of a scan to a visit: sent by the one attaching it where their role may
    send files (knowing a digest is not holding the file), by the county otherwise."""
    home = register(api, n)
    home.do("/visits", {**VISIT, "visit_id": "V-1"})
    may_send = ROLE_OF[who] in ALLOWED["POST /api/attachments"]
    digest = _uploaded(api, SCAN, who if may_send else "county")
    return f"{home.path}/evidence", {"fact": "visit:V-1", "attachments": [digest],
                                     "occurred_on": "2025-09-15"}


def _attached(suffix: str) -> Prepare:
    """A read of a photo attached to a visit of household ``n``."""
    def prepare(api: Api, n: int, who: str) -> Request:
        home = register(api, n)
        home.do("/visits", {**VISIT, "visit_id": "V-1"})
        digest = _uploaded(api, PHOTO)
        home.do("/evidence", {"fact": "visit:V-1", "attachments": [digest], "occurred_on": "2025-09-15"})
        return f"{home.path}/attachments/{digest}{suffix}", None
    return prepare


PREPARE: dict[str, Prepare] = {
    "POST /api/households": _registration,
    "POST /api/households/{code}/members": _on("/members", join_body),
    "POST /api/households/{code}/members/{id_number}/leave": _on("/members/{child}/leave", LEAVE),
    "PATCH /api/households/{code}/members/{id_number}": _on("/members/{spouse}", UPDATE),
    "POST /api/households/{code}/alerts": _on("/alerts", alert_body),
    "POST /api/households/{code}/identification/home-visit":
        _on("/identification/home-visit", HOME_VISIT, lambda home: home.alerted()),
    "POST /api/households/{code}/identification/village-notice":
        _on("/identification/village-notice", VILLAGE_NOTICE, lambda home: home.visited()),
    "POST /api/households/{code}/identification/township-review":
        _on("/identification/township-review", TOWNSHIP_REVIEW, lambda home: home.visited()),
    "POST /api/households/{code}/identification/county-decision":
        _on("/identification/county-decision", COUNTY_DECISION, lambda home: home.deliberated()),
    "POST /api/households/{code}/green-channel": _on("/green-channel", GREEN_CHANNEL, _green_channel_ready),
    "POST /api/households/{code}/risk-analyses":
        _on("/risk-analyses", RISK_ANALYSIS, lambda home: home.included()),
    "POST /api/households/{code}/measures": _on("/measures", MEASURE, _analysed),
    "POST /api/households/{code}/measures/{measure_id}/in-place":
        _on("/measures/M1/in-place", IN_PLACE, _measure_assigned),
    "POST /api/households/{code}/measures/{measure_id}/end":
        _on("/measures/M1/end", END_MEASURE, lambda home: home.helped()),
    "POST /api/households/{code}/medical-subsidies":
        _on("/medical-subsidies", subsidy_body, lambda home: home.included()),
    "POST /api/households/{code}/relief-payouts":
        _on("/relief-payouts", RELIEF, _relief_ready),
    "POST /api/households/{code}/visits": _on("/visits", VISIT),
    "POST /api/households/{code}/income-assessments": _on("/income-assessments", INCOME),
    "POST /api/households/{code}/elimination/home-visit":
        _on("/elimination/home-visit", ELIMINATION_VISIT, lambda home: home.ready_to_eliminate()),
    "POST /api/households/{code}/elimination/village-notice":
        _on("/elimination/village-notice", ELIMINATION_NOTICE, lambda home: home.eliminating(1)),
    "POST /api/households/{code}/elimination/township-review":
        _on("/elimination/township-review", ELIMINATION_REVIEW, lambda home: home.eliminating(1)),
    "POST /api/households/{code}/elimination/county-decision":
        _on("/elimination/county-decision", ELIMINATION_DECISION, lambda home: home.eliminating(3)),
    "POST /api/households/{code}/grid-worker": _on("/grid-worker", GRID_WORKER),
    "POST /api/households/{code}/grid-worker/change":
        _on("/grid-worker/change", GRID_WORKER_CHANGE, lambda home: home.do("/grid-worker", GRID_WORKER)),
    "POST /api/households/{code}/grid-worker/end":
        _on("/grid-worker/end", STAFF_END, lambda home: home.do("/grid-worker", GRID_WORKER)),
    "POST /api/households/{code}/helper": _on("/helper", HELPER, lambda home: home.included()),
    "POST /api/households/{code}/helper/change":
        _on("/helper/change", HELPER_CHANGE, lambda home: home.included().do("/helper", HELPER)),
    "POST /api/households/{code}/helper/confirm": _helper_to_confirm,
    "POST /api/households/{code}/helper/end":
        _on("/helper/end", STAFF_END, lambda home: home.included().do("/helper", HELPER)),
    "POST /api/households/{code}/corrections": _on("/corrections", CORRECTION),
    "POST /api/households/{code}/appeals": _on("/appeals", APPEAL, _no_risk),
    "POST /api/households/{code}/appeals/{appeal_id}/answer": _answering_appeal,
    "PUT /api/income-lines/{year}": _income_line,
    "PUT /api/poverty-lines/{year}": _poverty_line,
    "PUT /api/relief-bands/{effective_from}": _relief_bands,
    "POST /api/pushes": _push,
    "GET /api/monitoring": _read("/api/monitoring"),
    "GET /api/monitoring/measures-missing": _read("/api/monitoring/measures-missing"),
    "GET /api/appeals": _read("/api/appeals"),
    "GET /api/cases": _read("/api/cases"),
    "GET /api/visits-due": _read("/api/visits-due"),
    "GET /api/households": _read("/api/households"),
    "GET /api/households/{code}": _read("/api/households/{code}"),
    "GET /api/households/{code}/history": _read("/api/households/{code}/history"),
    "POST /api/attachments": lambda api, n, who: ("/api/attachments", {
        "__files__": {"file": (f"scan-{n}.pdf", SCAN, "application/pdf")}}),
    "POST /api/households/{code}/evidence": _evidence,
    "GET /api/households/{code}/attachments/{sha256}": _attached(""),
    "GET /api/households/{code}/attachments/{sha256}/thumbnail": _attached("/thumbnail"),
    "GET /api/pushes": _read("/api/pushes"),
    "GET /api/alerts": _read("/api/alerts"),
    "GET /api/income-lines": _read("/api/income-lines"),
    "GET /api/poverty-lines": _read("/api/poverty-lines"),
    "GET /api/relief-bands": _read("/api/relief-bands"),
    "GET /api/me": _read("/api/me"),
    "GET /api/indicators": _read("/api/indicators?period=2025"),
    "POST /api/indicators/verify": _published,
    "GET /api/push-compliance": _read("/api/push-compliance?period=2025-Q1"),
    "GET /api/pushes/book": _read("/api/pushes/book?period=2025-Q1"),
    "GET /api/reports/monthly": _read("/api/reports/monthly?month=2025-03"),
    "GET /api/reports/quarterly": _read("/api/reports/quarterly?quarter=2025-Q1"),
    "GET /api/reports/annual": _read("/api/reports/annual?year=2025"),
    "GET /api/meetings": _read("/api/meetings"),
    "POST /api/meetings/consultations": _meeting("consultations"),
    "POST /api/meetings/dispatches": _meeting("dispatches"),
    "POST /api/rectifications": _rectification(),
    "POST /api/rectifications/{item_id}/completed": _rectification("completed"),
    "POST /api/rectifications/{item_id}/extension": _rectification("extension"),
    "GET /api/rectifications": _read("/api/rectifications"),
    "POST /api/imports/alerts": _upload("alerts"),
    "POST /api/imports/households": _upload("households"),
    "POST /api/imports/staff": _upload("staff"),
    "GET /api/templates/{kind}": _read("/api/templates/alerts"),
    "GET /api/unmatched-alerts": _read("/api/unmatched-alerts"),
    "POST /api/unmatched-alerts/{alert_id}/attach": _unmatched,
    "POST /api/public/self-reports": _self_report(answer=False),
    "GET /api/self-reports": _read("/api/self-reports"),
    "POST /api/self-reports/{report_id}/answer": _self_report(answer=True),
    "GET /api/exports/{which}": _read("/api/exports/monitoring"),
    "GET /api/exchange/{kind}": _read("/api/exchange/monitoring"),
    "GET /api/feed": _read("/api/feed"),
    "GET /api/access-log": _read("/api/access-log"),
    "GET /api/notices/{kind}": _read(f"/api/notices/identification?{NOTICE_PLACE}"),
    "GET /api/notices/{kind}/print": _read(f"/api/notices/identification/print?{NOTICE_PLACE}"),
    "GET /api/notices/{kind}/xlsx": _read(f"/api/notices/elimination/xlsx?{NOTICE_PLACE}"),
    "POST /api/notices/{kind}/publish": _publish_notice,
    "GET /api/departments/me/roster": _read("/api/departments/me/roster"),
    "GET /api/departments/me/measures": _read("/api/departments/me/measures"),
    "GET /api/departments/me/calendar": _read("/api/departments/me/calendar"),
    "GET /api/me/tasks": _read("/api/me/tasks"),
    "GET /api/me/notifications": _read("/api/me/notifications"),
    "POST /api/me/notifications/read": lambda api, n, who: ("/api/me/notifications/read",
                                                            {"all": True}),
}

def _intake(route: str) -> bool:
    return any(part in route for part in ("/imports/", "/templates/", "/unmatched-alerts", "/exports/",
                                          "self-reports", "/exchange/"))


def _assessment(route: str) -> bool:
    return any(part in route for part in ("/indicators", "/reports/", "/meetings", "/push-compliance",
                                          "/rectifications"))


#: The routes in groups, one test each (a group shares one county on one back end).
GROUPS: dict[str, list[str]] = {
    "households and members": [r for r in ALLOWED if r == "POST /api/households" or "/members" in r],
    "alerts and identification": [r for r in ALLOWED if r.startswith("POST") and not _intake(r) and (
        "/alerts" in r or "/identification/" in r or "/green-channel" in r)],
    "help": [r for r in ALLOWED if r.startswith("POST ") and any(part in r for part in (
        "/risk-analyses", "/measures", "/medical-subsidies", "/relief-payouts"))],
    "visits, income and elimination": [r for r in ALLOWED if r.startswith("POST ") and any(
        part in r for part in ("/visits", "/income-assessments", "/elimination/"))],
    "people on households": [r for r in ALLOWED if "/grid-worker" in r or "/helper" in r],
    "corrections, policy and pushes": ["POST /api/households/{code}/corrections",
                                       "POST /api/households/{code}/appeals",
                                       "POST /api/households/{code}/appeals/{appeal_id}/answer",
                                       "PUT /api/income-lines/{year}", "PUT /api/poverty-lines/{year}",
                                       "PUT /api/relief-bands/{effective_from}", "POST /api/pushes"],
    "reads": [r for r in ALLOWED if r.startswith("GET ") and not _assessment(r) and not _intake(r)],
    "indicators, reports, meetings and rectifications": [r for r in ALLOWED if _assessment(r)],
    "uploads and unmatched alerts": [r for r in ALLOWED if _intake(r)],
    "notices": ["POST /api/notices/{kind}/publish"],
    "evidence": ["POST /api/attachments", "POST /api/households/{code}/evidence"],
    "my work": ["POST /api/me/notifications/read"],
}


def expected(route: str, who: str) -> tuple[int, str | None]:
    """The status (and problem code) ``who`` should get from ``route``."""
    if ROLE_OF[who] not in ALLOWED[route]:
        return 403, "ROLE_FORBIDDEN"
    if route in ONE_HOUSEHOLD | ONE_VILLAGE and who in ("other_township", "other_village"):
        return 403, "OUTSIDE_AREA"
    if route in ONE_MEASURE and ROLE_OF[who] == "department":
        return 403, "OTHER_DEPARTMENT"
    if route in ONE_ITEM and who in ("other_township", "other_department"):
        return 403, "OUTSIDE_AREA" if who == "other_township" else "OTHER_DEPARTMENT"
    if route.startswith("GET ") or route in ("POST /api/pushes", "POST /api/indicators/verify",
                                              "POST /api/imports/alerts", "POST /api/imports/households",
                                              "POST /api/imports/staff",
                                              "POST /api/me/notifications/read"):
        return 200, None
    return 201, None


def _served_routes(api: Api) -> set[str]:
    served = set()
    for route in api.app.routes:
        if not route.path.startswith("/api/"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        served |= {f"{method} {path}" for method in route.methods - {"OPTIONS", "HEAD"}}
    return served


def test_the_table_has_a_row_for_every_route_the_api_serves(api: Api) -> None:
    assert _served_routes(api) == set(ALLOWED)
    assert set(PREPARE) == set(ALLOWED)
    grouped = [route for routes in GROUPS.values() for route in routes]
    assert sorted(grouped) == sorted(ALLOWED), "every route in exactly one group"
    assert set(ROLE_OF) == set(USERS)
    for who, user in USERS.items():
        assert user.role.value == {
            "county": "县防贫中心", "township": "乡镇工作站", "village": "村联络站",
            "department": "行业部门专班", "auditor": "审计", "assessment": "考核组",
        }[ROLE_OF[who]], who


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_role_may_use_only_its_routes_and_only_in_its_area(api: Api, group: str) -> None:
    set_income_line(api)
    register(api, 1)
    numbers = iter(range(2, 1000))
    log = api.app.state.case_files
    mismatches = []
    for route in GROUPS[group]:
        method = route.split()[0]
        shared: Request | None = None  # one set-up serves every refused attempt of the route
        for who in USERS:
            status, code = expected(route, who)
            if status < 400:
                path, body = PREPARE[route](api, next(numbers), who)
            else:
                shared = shared or PREPARE[route](api, next(numbers), "county")
                path, body = shared
            before = log.max_position()
            response = call(api, method, path, who, body)
            got = response.json().get("code") if response.status_code >= 400 else None
            if (response.status_code, got) != (status, code):
                mismatches.append(f"{route} as {who}: expected {status} {code or ''}, "
                                  f"got {response.status_code} {response.text[:200]}")
            elif status >= 400:
                problem(response, status, code)  # type: ignore[arg-type]
                if log.max_position() != before:
                    mismatches.append(f"{route} as {who}: refused, yet something was recorded")
    assert not mismatches, "\n".join(mismatches)


# ---------------------------------------------------------------------- tokens


def test_without_a_valid_token_every_api_route_answers_401(api: Api) -> None:
    attempts = [("GET", "/api/me", None), ("GET", "/api/households/130630000001", None),
                ("POST", "/api/households", registration_body(1)),
                ("PUT", "/api/income-lines/2025", {"yuan_per_capita": "7000", "occurred_on": "2025-01-01"})]
    started = api.app.state.case_files.max_position()  # the cadence table, recorded at start-up
    for headers in ({}, {"Authorization": "Bearer fp_not-a-token"}, {"Authorization": "Bearer "},
                    {"Authorization": f"Basic {api.tokens['county']}"},
                    {"Authorization": api.tokens["county"]}):
        for method, path, body in attempts:
            response = api.client.request(method, path, json=body, headers=headers)
            problem(response, 401, "NOT_AUTHENTICATED", field=None)
            assert response.headers["www-authenticate"] == "Bearer", (headers, path)
    assert api.app.state.case_files.max_position() == started, "nothing recorded without a token"
    assert api.client.get("/health").status_code == 200, "the liveness check needs no token"
    assert api.get("/api/me", "county").status_code == 200
    lower_case = api.client.get("/api/me", headers={"Authorization": f"bearer {api.tokens['village']}"})
    assert lower_case.status_code == 200 and lower_case.json()["name"] == "grid-01"


# ---------------------------------------------------------------------- departments and auditors


def test_a_department_pushes_only_for_itself(api: Api) -> None:
    home = register(api, 1)
    batch = {"batch_id": "MZ-1", "tier": "县级筛查", "period": "2025-03",
             "rows": [{"person_id_number": home.head, "risk_types": ["因病"], "occurred_on": "2025-03-01"}]}
    refused = api.post("/api/pushes", {**batch, "department": "民政局"}, "department")
    problem(refused, 403, "OTHER_DEPARTMENT", field="department")
    assert len(home.history()) == 1, "nothing recorded"

    own = api.post("/api/pushes", {**batch, "department": "医保局"}, "department")
    assert own.status_code == 200, own.text
    assert own.json()["department"] == "医保局"
    assert own.json()["rows"][0]["result"] == "新案件"


def test_auditors_and_the_assessment_team_record_nothing(api: Api) -> None:
    set_income_line(api)
    home = register(api, 1).helped()
    before = len(home.history())
    position = api.app.state.case_files.max_position()
    bodies: dict[str, dict[str, Any]] = {
        "/members": join_body(1), f"/members/{home.child}/leave": LEAVE, "/alerts": alert_body(1),
        "/identification/home-visit": HOME_VISIT, "/risk-analyses": RISK_ANALYSIS,
        "/measures": {**MEASURE, "measure_id": "M2"}, "/measures/M1/end": END_MEASURE,
        "/medical-subsidies": subsidy_body(1), "/relief-payouts": RELIEF, "/visits": VISIT,
        "/income-assessments": INCOME, "/elimination/home-visit": ELIMINATION_VISIT,
        "/corrections": CORRECTION,
    }
    for who in ("auditor", "assessment"):
        for suffix, body in bodies.items():
            problem(api.post(home.path + suffix, body, who), 403, "ROLE_FORBIDDEN", field=None)
        problem(call(api, "PATCH", f"{home.path}/members/{home.spouse}", who, UPDATE),
                403, "ROLE_FORBIDDEN")
        problem(api.post("/api/households", registration_body(2), who), 403, "ROLE_FORBIDDEN")
        problem(call(api, "PUT", "/api/income-lines/2025", who,
                     {"yuan_per_capita": "9000", "occurred_on": "2025-01-01", "reason": "x"}),
                403, "ROLE_FORBIDDEN")
        problem(api.post("/api/pushes", {"batch_id": "A", "department": "医保局", "tier": "县级筛查",
                                         "period": "2025-03", "rows": [{
                                             "person_id_number": home.head, "risk_types": ["因病"],
                                             "occurred_on": "2025-03-01"}]}, who),
                403, "ROLE_FORBIDDEN")
        assert api.get(home.path, who).status_code == 200, "they read the case file"
    assert len(home.history()) == before
    assert api.app.state.case_files.max_position() == position


# ---------------------------------------------------------------------- who recorded it


def test_the_recorder_is_the_token_user_never_a_field_of_the_body(api: Api) -> None:
    home = register(api, 1)
    for field, value in (("recorded_by", {"user": "county-01", "role": "县防贫中心"}),
                         ("by", "county-01")):
        refused = api.post(home.path + "/alerts", {**alert_body(1), field: value}, "village")
        problem(refused, 400, "INVALID_REQUEST", field=field)
        refused = api.post("/api/pushes", {"batch_id": "B", "tier": "县级筛查", "period": "2025-03",
                                           field: value, "rows": [{
                                               "person_id_number": home.head, "risk_types": ["因病"],
                                               "occurred_on": "2025-03-01"}]}, "department")
        problem(refused, 400, "INVALID_REQUEST", field=field)
    assert len(home.history()) == 1, "refused bodies record nothing"

    home.do("/alerts", alert_body(1), who="village")
    pushed = api.post("/api/pushes", {"batch_id": "B", "tier": "县级筛查", "period": "2025-03", "rows": [{
        "person_id_number": home.spouse, "risk_types": ["因病"], "occurred_on": "2025-03-01"}]}, "department")
    assert pushed.status_code == 200, pushed.text
    registration = home.history()[0]
    alert, push = home.history()[1:]
    assert registration["recorded_by"] == {"user": "county-01", "role": "县防贫中心"}
    assert alert["recorded_by"] == {"user": "grid-01", "role": "村联络站"}
    assert push["recorded_by"] == {"user": "dept-ybj", "role": "行业部门专班"}
