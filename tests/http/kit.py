"""Households brought to a given point of their case over the API, for HTTP tests that need the
state rather than the steps: each household has its own members (ID numbers made from its
number), and every step has one body with fixed 2025 dates that fit together.

Dates: registered 2025-01-01; alert discovered 2025-03-01; home visit 03-02; village notice
03-03…03-08, concluded 03-09; township review 03-04; county decision 03-10 (included); risk
analysis 03-11; measure M1 assigned 03-12 and in place 03-20; visits on the 15th of April to
September (income found 12,000); income assessed 09-20; elimination 10-01, notice 10-02…10-07
concluded 10-08, township 10-09, county 10-10.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.household import household_id
from tests.builders import STATED_MEMBER, id_number
from tests.http.conftest import TOWNSHIP, VILLAGE, Api

PROBLEM_JSON = "application/problem+json"

ALL_PASS = {"不愁吃": True, "不愁穿": True, "义务教育": True, "基本医疗": True,
            "住房安全": True, "饮水安全": True}


def call(api: Api, method: str, path: str, who: str = "county", body: Any = None,
         key: str | None = None, **params: Any) -> Any:
    """Any request as ``who`` (the fixture's `Api.post`/`Api.get` cover POST and GET only). A
    body with ``__files__`` (and ``__form__``) is sent as multipart."""
    if isinstance(body, dict) and "__files__" in body:
        return api.client.request(method, path, files=body["__files__"], data=body.get("__form__"),
                                  params=params or None, headers=api.headers(who, key))
    return api.client.request(method, path, json=body, params=params or None,
                              headers=api.headers(who, key))


def problem(response: Any, status: int, code: str, field: str | None = "any") -> dict[str, Any]:
    """Assert an RFC 9457 answer with ``status`` and ``code`` (and ``field`` unless "any")."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "field", "instance"} <= set(body), body
    assert body["status"] == status and body["code"] == code, body
    assert body["type"] and body["title"] and body["detail"], body
    if field != "any":
        assert body["field"] == field, body
    return body


def set_income_line(api: Api, yuan: str = "7000") -> dict[str, Any]:
    response = call(api, "PUT", "/api/income-lines/2025", "county",
                    {"yuan_per_capita": yuan, "occurred_on": "2025-01-01", "reason": "县定标准"})
    assert response.status_code == 201, response.text
    return response.json()


#: The county's 防贫保 bands in the tests: illness above 5,000 at 50% up to 20,000, then 70%;
#: accident above 5,000 at 60%; at most 50,000 a household a year, from 2025-01-01.
RELIEF_BANDS = {"bands": [
    {"cause": "因病", "cost_from": "5000", "cost_to": "20000", "rate": "0.5"},
    {"cause": "因病", "cost_from": "20000", "rate": "0.7"},
    {"cause": "因意外事故", "cost_from": "5000", "rate": "0.6"},
], "yearly_cap": "50000", "reason": "县定标准", "occurred_on": "2025-01-01"}


def set_relief_bands(api: Api, effective_from: str = "2025-01-01", **changes: Any) -> dict[str, Any]:
    response = call(api, "PUT", f"/api/relief-bands/{effective_from}", "county",
                    {**RELIEF_BANDS, **changes})
    assert response.status_code == 201, response.text
    return response.json()


def code_of(n: int) -> str:
    return f"130630{n:06d}"


def head_of(n: int) -> str:
    return id_number(date(1970, 5, 4), n)


def spouse_of(n: int) -> str:
    return id_number(date(1972, 8, 9), n)


def child_of(n: int) -> str:
    return id_number(date(2010, 2, 3), n)


def newborn_of(n: int) -> str:
    return id_number(date(2024, 12, 1), n)


def registration_body(n: int, *, township: str = TOWNSHIP, village: str = VILLAGE,
                      household_type: str = "一般农户", head_name: str = "王建国") -> dict[str, Any]:
    return {
        "code": code_of(n), "township": township, "village": village, "address": f"{village}{n}号",
        "household_type": household_type,
        "lifted_out_year": 2016 if household_type == "脱贫户" else None,
        "members": [
            {"name": head_name, "id_number": head_of(n), "relation": "本人", **STATED_MEMBER},
            {"name": "李秀英", "id_number": spouse_of(n), "relation": "配偶", **STATED_MEMBER},
            {"name": "王小明", "id_number": child_of(n), "relation": "子", "in_school": True,
             **STATED_MEMBER},
        ],
        "occurred_on": "2025-01-01",
    }


# ---------------------------------------------------------------------- one body per step

def alert_body(n: int, day: str = "2025-03-01", risk_types: tuple[str, ...] = ("因病",),
               **fields: Any) -> dict[str, Any]:
    return {"channel": "农户自主申报", "person_id_number": head_of(n), "risk_types": list(risk_types),
            "description": "住院花费大", "occurred_on": day, **fields}


HOME_VISIT = {"case_number": 1, "finding": "风险属实", "risk_clear": True, "occurred_on": "2025-03-02"}
VILLAGE_NOTICE = {"case_number": 1, "decision": "通过", "notice_from": "2025-03-03",
                  "notice_to": "2025-03-08", "occurred_on": "2025-03-09"}
TOWNSHIP_REVIEW = {"case_number": 1, "decision": "通过", "occurred_on": "2025-03-04"}
COUNTY_DECISION = {"case_number": 1, "decision": "通过", "category": "边缘易致贫户",
                   "asset_comparison": "存款、房产、车辆比对无异常", "occurred_on": "2025-03-10"}
GREEN_CHANNEL = {"case_number": 1, "hardship": "意外事故", "studied_on": "2025-03-02",
                 "approved_on": "2025-03-03", "occurred_on": "2025-03-03"}
RISK_ANALYSIS = {"causes": ["因病"], "labour_capacity": "普通劳动力", "needs": ["健康帮扶"],
                 "occurred_on": "2025-03-11"}
MEASURE = {"measure_id": "M1", "measure_type": "健康帮扶", "department": "卫健局",
           "responsible_person": "王医生", "amount": "1500.00", "occurred_on": "2025-03-12"}
IN_PLACE = {"occurred_on": "2025-03-20"}
END_MEASURE = {"reason": "住院治疗结束", "occurred_on": "2025-04-30"}
RELIEF = {"payout_id": "P1", "cause": "因病", "out_of_pocket": "12000.00", "amount": "2000.00",
          "insurer": "人保财险涞源支公司", "basic_living_in_difficulty": True,
          "occurred_on": "2025-03-16"}
VISIT = {"visitor": "网格员小李", "checks": ALL_PASS, "income_change": "200", "occurred_on": "2025-09-15"}
INCOME = {"year": 2025, "wages": "30000", "business": "5000", "property": "0", "transfers": "2000",
          "production_costs": "1000", "occurred_on": "2025-09-20"}
ELIMINATION_VISIT = {"mode": "帮扶消除", "occurred_on": "2025-10-01"}
ELIMINATION_NOTICE = {"decision": "通过", "notice_from": "2025-10-02", "notice_to": "2025-10-07",
                      "occurred_on": "2025-10-08"}
ELIMINATION_REVIEW = {"decision": "通过", "occurred_on": "2025-10-09"}
ELIMINATION_DECISION = {"decision": "通过", "occurred_on": "2025-10-10"}


def subsidy_body(n: int) -> dict[str, Any]:
    return {"id_number": spouse_of(n), "year": 2025, "amount": "380.00", "occurred_on": "2025-03-15"}


def join_body(n: int) -> dict[str, Any]:
    return {"member": {"name": "王小花", "id_number": newborn_of(n), "relation": "女", **STATED_MEMBER},
            "reason": "出生", "occurred_on": "2025-02-01"}


LEAVE = {"reason": "迁出", "occurred_on": "2025-02-01"}
UPDATE = {"changes": {"health": "患有大病", "labour_capacity": "弱劳动力或半劳动力"},
          "occurred_on": "2025-02-15"}
#: The household's 网格员 and (once included) 帮扶责任人: named 04-01, replaced 06-01.
GRID_WORKER = {"worker_name": "李网格", "phone": "13812345678", "occurred_on": "2025-04-01"}
GRID_WORKER_CHANGE = {"worker_name": "赵网格", "phone": "0312-7654321", "reason": "李网格调任",
                      "occurred_on": "2025-06-01"}
HELPER = {"helper_name": "王帮扶", "unit": "县乡村振兴局", "phone": "13912345678",
          "occurred_on": "2025-04-01"}
HELPER_CHANGE = {"helper_name": "陈帮扶", "unit": "县医保局", "phone": "13712345678",
                 "reason": "王帮扶退休", "occurred_on": "2025-06-01"}
STAFF_END = {"reason": "不再负责", "occurred_on": "2025-08-01"}
CORRECTION = {"corrects_version": 1, "changes": {"address": "东村十二号"}, "reason": "门牌号录错",
              "occurred_on": "2025-02-20"}


@dataclass
class Home:
    """One registered household of the test and shortcuts to its commands and reads."""

    api: Api
    n: int

    @property
    def code(self) -> str:
        return code_of(self.n)

    @property
    def id(self) -> str:
        return str(household_id(self.code))

    @property
    def head(self) -> str:
        return head_of(self.n)

    @property
    def spouse(self) -> str:
        return spouse_of(self.n)

    @property
    def child(self) -> str:
        return child_of(self.n)

    @property
    def path(self) -> str:
        return f"/api/households/{self.code}"

    def do(self, suffix: str, body: dict[str, Any], who: str = "county", method: str = "POST",
           key: str | None = None) -> dict[str, Any]:
        """A command on this household that must be recorded; returns the answer."""
        response = call(self.api, method, self.path + suffix, who, body, key)
        assert response.status_code == 201, response.text
        return response.json()

    def file(self, who: str = "county", **params: Any) -> dict[str, Any]:
        response = self.api.get(self.path, who, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def history(self, who: str = "county", **params: Any) -> list[dict[str, Any]]:
        response = self.api.get(self.path + "/history", who, **params)
        assert response.status_code == 200, response.text
        return response.json()["entries"]

    # ------------------------------------------------------------------ getting to a point

    def alerted(self, **fields: Any) -> dict[str, Any]:
        return self.do("/alerts", alert_body(self.n, **fields))

    def visited(self) -> Home:
        self.alerted()
        self.do("/identification/home-visit", HOME_VISIT)
        return self

    def deliberated(self) -> Home:
        self.visited()
        self.do("/identification/village-notice", VILLAGE_NOTICE)
        self.do("/identification/township-review", TOWNSHIP_REVIEW)
        return self

    def included(self) -> Home:
        self.deliberated()
        self.do("/identification/county-decision", COUNTY_DECISION)
        return self

    def helped(self) -> Home:
        """Included, its risk analysed (needs 健康帮扶), with measure M1 in place."""
        self.included()
        self.do("/risk-analyses", RISK_ANALYSIS)
        self.do("/measures", MEASURE)
        self.do("/measures/M1/in-place", IN_PLACE)
        return self

    def ready_to_eliminate(self) -> Home:
        """Helped, visited every month from April to September with every check passed and
        the income found above the line (six months of evidence), and income assessed above
        it (set the line first)."""
        self.helped()
        for month in range(4, 10):
            self.do("/visits", {**VISIT, "per_capita_income": "12000",
                                "occurred_on": f"2025-{month:02d}-15"})
        self.do("/income-assessments", INCOME)
        return self

    def eliminating(self, steps: int) -> Home:
        """Ready to eliminate, and the first ``steps`` elimination steps done."""
        self.ready_to_eliminate()
        bodies = [("/elimination/home-visit", ELIMINATION_VISIT),
                  ("/elimination/village-notice", ELIMINATION_NOTICE),
                  ("/elimination/township-review", ELIMINATION_REVIEW)]
        for suffix, body in bodies[:steps]:
            self.do(suffix, body)
        return self


def register(api: Api, n: int, who: str = "county", **options: Any) -> Home:
    """Register household number ``n`` (code, members and address made from ``n``)."""
    response = api.post("/api/households", registration_body(n, **options), who)
    assert response.status_code == 201, response.text
    return Home(api, n)
