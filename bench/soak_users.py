"""The soak's simulated users: a county's day at the API and the workbench, by every role.

Each user is a closed loop on one keep-alive connection (`bench.common.Client`): pick an action
by the role's weighted mix (`MIX`), run it (one or a few requests: a list, then the case file
read, then the command its state calls for), think for a time drawn uniformly from the think
range, again. Commands are chosen from the case state as read a moment before, as a county worker
would: the next identification step of a case in the user's area, the risk analysis or measure a
monitored household still lacks, a visit; so nearly all succeed. A small share of requests are
invalid on purpose (a household outside the area, a misspelt filter, a malformed body, another
department's push) and must be refused with a 4xx: they are counted apart from the rest.

Every answer is counted by route (the path with its parameters named, e.g. ``POST
/api/households/{code}/visits``) in `Tally`: 2xx/3xx, expected 4xx, unexpected 4xx (a valid
request refused: a lost race, a rule the mix did not foresee), 5xx, connection failures, and
failures while the server or its projection process was restarting (``restart``, counted apart
but shown), with each request's latency.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from application.demo.tables import MEASURE_DEPARTMENT
from application.indicators import Cadences
from application.intake import ALERT_COLUMNS, HOUSEHOLD_COLUMNS
from bench.common import Client
from domain.cadences import duty_for_period, windows
from domain.codes import CaseStage, Category, Check, Department, MeasureType, RiskType, Role
from domain.identity import check_digit
from domain.periods import month_period

#: uvicorn closes a keep-alive connection idle for 5 s; a client idle for 2.5 s opens a new one
#: rather than race the server's close (on a loaded machine the two clocks drift apart).
IDLE_RECONNECT_SECONDS = 2.5
REQUEST_TIMEOUT_SECONDS = 120.0
#: How many times a simulated user sends a request again that was answered busy (503 FIGURES_BUSY).
BUSY_RETRIES = 3
STEP_HOME_VISIT, STEP_NOTICE = "入户核查核实", "村级评议公示"
STEP_TOWNSHIP, STEP_COUNTY = "乡镇核查初审", "县级比对审定"
CADENCES = Cadences.load()
OPEN_STAGES = {CaseStage.AWAITING_VISIT, CaseStage.IDENTIFYING, CaseStage.AWAITING_COUNTY}
#: What each department pushes.
DEPARTMENT_RISKS = {
    Department.MEDICAL_INSURANCE: RiskType.ILLNESS, Department.HEALTH: RiskType.ILLNESS,
    Department.EDUCATION: RiskType.SCHOOLING, Department.CIVIL_AFFAIRS: RiskType.LACK_OF_LABOUR,
    Department.EMERGENCY: RiskType.ACCIDENT, Department.HOUSING: RiskType.OTHER,
    Department.HUMAN_RESOURCES: RiskType.UNSTABLE_EMPLOYMENT,
    Department.DISABLED_FEDERATION: RiskType.DISABILITY,
}


Answer = tuple[int, dict[str, list[str]], bytes]  # status, headers, body

# ---------------------------------------------------------------------------------- counting


@dataclass
class Route:
    """What one route answered."""

    ok: int = 0
    expected_4xx: int = 0
    unexpected_4xx: int = 0
    server_errors: int = 0
    #: 503 FIGURES_BUSY: the server's queue for figures was full; sent again after Retry-After
    busy: int = 0
    connection: int = 0
    restart: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return (self.ok + self.expected_4xx + self.unexpected_4xx + self.server_errors
                + self.busy + self.connection + self.restart)


@dataclass
class Tally:
    """Every answer by route, the first few of each kind of failure, and whether a restart is
    under way (failures then are counted as ``restart``)."""

    routes: dict[str, Route] = field(default_factory=dict)
    samples: dict[str, list[str]] = field(default_factory=dict)
    restarting: bool = False

    def route(self, name: str) -> Route:
        return self.routes.setdefault(name, Route())

    def note(self, kind: str, text: str, keep: int = 8) -> None:
        kept = self.samples.setdefault(kind, [])
        if len(kept) < keep:
            kept.append(text)

    def total(self, what: str) -> int:
        return sum(getattr(r, what) for r in self.routes.values())


# ---------------------------------------------------------------------------------- the county


@dataclass
class County:
    """What the simulated users know of their county before the day starts: its households by
    village and township, who lives in them (villagers know their neighbours' ID numbers; the
    API masks them for some roles), and the day."""

    today: date
    households: list[dict[str, Any]]
    id_numbers: dict[str, list[str]]
    by_village: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    by_township: dict[str, list[str]] = field(default_factory=dict)
    serial: int = 0

    def __post_init__(self) -> None:
        for row in self.households:
            self.by_village.setdefault((row["township"], row["village"]), []).append(row["code"])
            self.by_township.setdefault(row["township"], []).append(row["code"])

    def push_period(self, department: Department) -> str:
        """The period of the department's push due next by the cadence table (the month, for a
        department with no scheduled push)."""
        month = month_period(self.today.year, self.today.month)
        for duty in CADENCES.duties:
            if duty.department is department and duty.scheduled:
                return next(period for period, due in windows(duty, month) if due >= self.today)
        return month.label

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial


@dataclass
class Identity:
    """A simulated user: name, role, area and token (also the workbench password)."""

    name: str
    role: Role
    token: str
    township: str | None = None
    village: str | None = None
    department: Department | None = None


# ---------------------------------------------------------------------------------- one user


class SimulatedUser:
    """One county worker's closed loop (see the module's docstring)."""

    def __init__(self, who: Identity, county: County, tally: Tally, port: int, think: tuple[float, float],
                 seed: int) -> None:
        self.who, self.county, self.tally, self.think = who, county, tally, think
        self.client = Client(port, who.token)
        self.rng = random.Random(seed)
        self.last_used = 0.0
        self.cookies: dict[str, str] = {}
        self.mix = MIX[who.role]
        self.run_id = uuid.uuid4().hex[:6]

    # --- the loop

    async def run(self, deadline: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, self.think[1]))  # users start spread out
        names = [name for _, name in self.mix]
        weights = [weight for weight, _ in self.mix]
        try:
            while time.monotonic() < deadline:
                action = self.rng.choices(names, weights)[0]
                try:
                    await getattr(self, action)()
                except (ValueError, KeyError, IndexError, TypeError) as error:  # an answer we misread
                    self.tally.note("harness", f"{self.who.name} {action}: {error!r}")
                await asyncio.sleep(min(self.rng.uniform(*self.think), max(0.0, deadline - time.monotonic())))
        finally:
            await self.client.close()

    async def call(self, route: str, method: str, path: str, *, body: Any = None,
                   params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                   raw: bytes | None = None, invalid: bool = False,
                   busy_retries: int = BUSY_RETRIES) -> Answer | None:
        """One request, counted under ``route``; None when the connection failed. ``invalid``: a
        request meant to be refused (4xx expected). Answered busy (503 FIGURES_BUSY), it is sent
        again after the Retry-After, ``busy_retries`` times at most (then the 503 is a 5xx)."""
        data = raw if body is None else json.dumps(body, ensure_ascii=False).encode()
        restarting_at_start = self.tally.restarting
        counted = self.tally.route(route)
        began = time.monotonic()
        try:
            if not self.client.connected or began - self.last_used > IDLE_RECONNECT_SECONDS:
                await self.client.close()
                await self.client.connect()
            status, answer_headers, answer = await asyncio.wait_for(
                self.client.exchange(self.client.encode((method, path, data, params), headers)),
                REQUEST_TIMEOUT_SECONDS)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as error:
            await self.client.close()
            kind = "restart" if restarting_at_start or self.tally.restarting else "connection"
            setattr(counted, kind, getattr(counted, kind) + 1)
            self.tally.note(kind, f"{route} ({method} {path}): {error!r}")
            return None
        finally:
            self.last_used = time.monotonic()
        counted.latencies.append(time.monotonic() - began)
        for cookie in answer_headers.get("set-cookie", []):
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.partition(";")[0]
        if status == 503 and b"FIGURES_BUSY" in answer and busy_retries:
            # a busy answer, as a client should read it: wait as told, then send it again
            counted.busy += 1
            self.tally.note("busy", f"{route} ({method} {path}): {_text(answer, 200)}")
            retry_after = float((answer_headers.get("retry-after") or ["5"])[0])
            await asyncio.sleep(retry_after)
            return await self.call(route, method, path, body=body, params=params, headers=headers,
                                   raw=raw, invalid=invalid, busy_retries=busy_retries - 1)
        if status >= 500:
            if restarting_at_start or self.tally.restarting:
                counted.restart += 1
                self.tally.note("restart", f"{route}: {status} {_text(answer, 200)}")
            else:
                counted.server_errors += 1
                self.tally.note("5xx", f"{route} ({method} {path} {params or ''} {_text(data, 300)}): "
                                       f"{status} {_text(answer, 400)}", keep=20)
        elif status >= 400:
            if invalid:
                counted.expected_4xx += 1
            else:
                counted.unexpected_4xx += 1
                self.tally.note("unexpected 4xx", f"{self.who.role} {route} ({method} {path} {params or ''} "
                                f"{_text(data, 200)}): {status} {_text(answer, 300)}", keep=40)
        else:
            counted.ok += 1
            if invalid:
                self.tally.note("invalid accepted", f"{route} ({method} {path} {params or ''}): {status}")
        return status, answer_headers, answer

    async def get_json(self, route: str, path: str, **params: Any) -> Any:
        answer = await self.call(route, "GET", path, params=params or None)
        if answer is None or answer[0] != 200:
            return None
        return json.loads(answer[2])

    # --- helpers

    def area_codes(self) -> list[str]:
        who, county = self.who, self.county
        if who.role is Role.VILLAGE_LIAISON:
            return county.by_village[(who.township or "", who.village or "")]
        if who.role is Role.TOWNSHIP_WORKSTATION:
            return county.by_township[who.township or ""]
        return [row["code"] for row in county.households]

    def day(self, value: date) -> str:
        return min(value, self.county.today).isoformat()

    def days_ago(self, fewest: int, most: int) -> str:
        return self.day(self.county.today - timedelta(days=self.rng.randint(fewest, most)))

    async def command(self, code: str, action: str, body: dict[str, Any], route: str | None = None) -> None:
        """``POST /api/households/{code}/<action>`` with an Idempotency-Key (counted under ``route``
        in place of ``action`` if given)."""
        await self.call(f"POST /api/households/{{code}}/{route or action}", "POST",
                        f"/api/households/{code}/{action}", body=body, headers=self.key())

    def key(self) -> dict[str, str]:
        return {"Idempotency-Key": f"soak-{self.run_id}-{self.county.next_serial()}"}

    async def case_file(self, code: str | None = None) -> dict[str, Any] | None:
        code = code or self.rng.choice(self.area_codes())
        return await self.get_json("GET /api/households/{code}", f"/api/households/{code}")

    # --- reads

    async def households(self) -> None:
        params: dict[str, Any] = {"limit": self.rng.choice((20, 50, 100))}
        if self.rng.random() < 0.3:
            params["sort"] = self.rng.choice(("code", "-code", "head_name"))
        page = await self.get_json("GET /api/households", "/api/households", **params)
        if page and page.get("next_cursor") and self.rng.random() < 0.3:
            await self.get_json("GET /api/households", "/api/households", limit=params["limit"],
                                cursor=page["next_cursor"])

    async def monitoring(self) -> None:
        params: dict[str, Any] = {"limit": 50}
        if self.rng.random() < 0.3:
            params["category"] = self.rng.choice(list(Category)).value
        if self.rng.random() < 0.1:
            params["as_of"] = (self.county.today - timedelta(days=self.rng.randint(30, 400))).isoformat()
        await self.get_json("GET /api/monitoring", "/api/monitoring", **params)

    async def cases(self) -> None:
        params: dict[str, Any] = {"limit": 50}
        choice = self.rng.random()
        if choice < 0.3:
            params["overdue"] = "true"
        elif choice < 0.6:
            params["stage"] = self.rng.choice(sorted(OPEN_STAGES)).value
        await self.get_json("GET /api/cases", "/api/cases", **params)

    async def visits_due(self) -> None:
        await self.get_json("GET /api/visits-due", "/api/visits-due", limit=50)

    async def measures_missing(self) -> None:
        path = "/api/monitoring/measures-missing"
        await self.get_json(f"GET {path}", path, limit=50)

    async def alerts(self) -> None:
        await self.get_json("GET /api/alerts", "/api/alerts", limit=50)

    async def read_case_file(self) -> None:
        await self.case_file()

    async def history(self) -> None:
        code = self.rng.choice(self.area_codes())
        await self.get_json("GET /api/households/{code}/history", f"/api/households/{code}/history")

    async def case_file_as_of(self) -> None:
        code = self.rng.choice(self.area_codes())
        # within the demo's year: before it the county recorded nothing (NOT_YET_RECORDED)
        as_of = (self.county.today - timedelta(days=self.rng.randint(30, 360))).isoformat()
        await self.get_json("GET /api/households/{code}?as_of", f"/api/households/{code}", as_of=as_of)

    async def access_log(self) -> None:
        await self.get_json("GET /api/access-log", "/api/access-log", limit=100)

    async def me(self) -> None:
        await self.get_json("GET /api/me", "/api/me")

    async def income_lines(self) -> None:
        await self.get_json("GET /api/income-lines", "/api/income-lines")

    async def ledger(self) -> None:
        await self.get_json("GET /api/pushes", "/api/pushes")

    async def unmatched(self) -> None:
        await self.get_json("GET /api/unmatched-alerts", "/api/unmatched-alerts")

    async def meetings(self) -> None:
        await self.get_json("GET /api/meetings", "/api/meetings")

    def _period(self) -> str:
        return self.rng.choice(("2025", "2025-Q4", "2025-11", str(self.county.today.year)))

    async def indicators(self) -> None:
        params: dict[str, Any] = {"period": self._period()}
        if self.who.role not in (Role.TOWNSHIP_WORKSTATION, Role.DEPARTMENT) and self.rng.random() < 0.3:
            params["township"] = self.rng.choice(sorted(self.county.by_township))
        if self.rng.random() < 0.2:
            params["indicator"] = self.rng.choice(
                ("timely_identification", "visit_coverage", "measures_in_place"))
        result = await self.get_json("GET /api/indicators", "/api/indicators", **params)
        if result and "indicator" not in params and self.rng.random() < 0.25:
            await self.call("POST /api/indicators/verify", "POST", "/api/indicators/verify", body=result)

    async def push_compliance(self) -> None:
        await self.get_json("GET /api/push-compliance", "/api/push-compliance",
                            period=self.rng.choice(("2025-Q4", "2025", "2025-11")))

    async def report(self) -> None:
        if self.rng.random() < 0.6 or self.who.role is Role.TOWNSHIP_WORKSTATION:
            params: dict[str, Any] = {"month": self.rng.choice(("2025-10", "2025-11", "2025-12"))}
            route = "GET /api/reports/monthly"
        else:
            params, route = {"quarter": self.rng.choice(("2025-Q3", "2025-Q4"))}, "GET /api/reports/quarterly"
        if self.rng.random() < 0.4:
            params["format"] = "xlsx"
            route += " (xlsx)"
        await self.call(route, "GET", route.split()[1], params=params)

    async def export(self) -> None:
        which = self.rng.choice(
            ("monitoring", "cases", "overdue", "visits-due", "measures-missing", "households"))
        await self.call("GET /api/exports/{list}", "GET", f"/api/exports/{which}")

    async def template(self) -> None:
        kind = self.rng.choice(("alerts", "households")) if self.who.role is Role.COUNTY_CENTRE else "alerts"
        await self.call("GET /api/templates/{kind}", "GET", f"/api/templates/{kind}")

    # --- commands on a household

    async def visit(self) -> None:
        code = self.rng.choice(self.area_codes())
        checks = {str(c): True for c in Check}
        if self.rng.random() < 0.03:  # a failed check raises a channel-2 alert
            checks[self.rng.choice(list(checks))] = False
        body = {"visitor": self.who.name, "checks": checks, "occurred_on": self.county.today.isoformat(),
                "income_change": str(self.rng.choice((0, 0, 50, 120, -80)))}
        await self.command(code, "visits", body)

    async def alert(self) -> None:
        """A risk found by screening or declared by the household, on someone without an open case."""
        code = self.rng.choice(self.area_codes())
        file = await self.case_file(code)
        if not file or any(case["stage"] in OPEN_STAGES for case in file["cases"]):
            return
        people = self.county.id_numbers.get(code) or []
        if not people:
            return
        channel = "乡村干部排查" if self.rng.random() < 0.7 else "农户自主申报"
        risk = self.rng.choice(
            (RiskType.ILLNESS, RiskType.ACCIDENT, RiskType.UNSTABLE_EMPLOYMENT, RiskType.SCHOOLING))
        body = {"channel": channel, "person_id_number": self.rng.choice(people), "risk_types": [risk.value],
                "description": "入户排查发现", "occurred_on": self.days_ago(3, 12)}
        await self.command(code, "alerts", body)

    async def identify(self) -> None:
        """The next identification step of a case in the area that this role may take."""
        stage = {Role.VILLAGE_LIAISON: (CaseStage.AWAITING_VISIT, CaseStage.IDENTIFYING),
                 Role.TOWNSHIP_WORKSTATION: (CaseStage.IDENTIFYING, CaseStage.AWAITING_VISIT),
                 Role.COUNTY_CENTRE: (CaseStage.AWAITING_COUNTY, CaseStage.IDENTIFYING)}[self.who.role]
        page = await self.get_json("GET /api/cases", "/api/cases", stage=self.rng.choice(stage).value,
                                   limit=50)
        if not page or not page["rows"]:
            return await self.visit()
        row = self.rng.choice(page["rows"])
        file = await self.case_file(row["code"])
        if not file:
            return None
        case = next((c for c in file["cases"] if c["number"] == row["case_number"]), None)
        if case is None or case["stage"] not in OPEN_STAGES:
            return None
        step = self.next_step(file, case)
        if step is not None:
            path, body = step
            await self.command(row["code"], f"identification/{path}", body)
        return None

    def next_step(self, file: dict[str, Any], case: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        done = {step["step"]: date.fromisoformat(step["occurred_on"]) for step in case["identification"]}
        last = max([date.fromisoformat(case["opened_on"]), *done.values()])
        role, number, today = self.who.role, case["number"], self.county.today
        passed = self.rng.random() < 0.95
        decision = {"decision": "通过"} if passed else {"decision": "不通过", "reason": "核实后不符合条件"}
        if STEP_HOME_VISIT not in done:
            finding = "风险属实" if self.rng.random() < 0.9 else "无风险"
            return "home-visit", {"case_number": number, "finding": finding, "risk_clear": True,
                                  "occurred_on": self.day(last + timedelta(days=1))}
        if STEP_NOTICE not in done and role is not Role.COUNTY_CENTRE and last + timedelta(days=6) <= today:
            return "village-notice", {"case_number": number, **decision,
                                      "notice_from": (last + timedelta(days=1)).isoformat(),
                                      "notice_to": (last + timedelta(days=5)).isoformat(),
                                      "occurred_on": (last + timedelta(days=6)).isoformat()}
        if STEP_TOWNSHIP not in done and role is not Role.VILLAGE_LIAISON:
            return "township-review", {"case_number": number, **decision,
                                       "occurred_on": self.day(last + timedelta(days=1))}
        if STEP_NOTICE in done and STEP_TOWNSHIP in done and role is Role.COUNTY_CENTRE:
            lifted = file["household_type"] == "脱贫户"
            category = Category.UNSTABLE_LIFTED_OUT if lifted else Category.EDGE_OF_POVERTY
            if passed:
                decision["category"] = category.value
            return "county-decision", {"case_number": number, **decision,
                                       "asset_comparison": "存款、房产、车辆比对无异常",
                                       "occurred_on": self.day(last + timedelta(days=1))}
        return None

    async def help(self) -> None:
        """For a monitored household still short of help: the risk analysis, a measure, or the
        measure put in place."""
        path = "/api/monitoring/measures-missing"
        page = await self.get_json(f"GET {path}", path, limit=50)
        if not page or not page["rows"]:
            return await self.cases()
        row = self.rng.choice(page["rows"])
        code = row["code"]
        file = await self.case_file(code)
        if not file:
            return None
        case = next((c for c in reversed(file["cases"]) if c["stage"] == CaseStage.MONITORED), None)
        if case is None:
            return None
        number, today = case["number"], self.county.today.isoformat()
        measures = [m for m in file["measures"] if m["case_number"] == number]
        planned = [m for m in measures if m["in_place_on"] is None and m["ended_on"] is None]
        if not any(a["case_number"] == number for a in file["risk_analyses"]):
            await self.command(code, "risk-analyses", {
                "causes": case["risk_types"] or ["其他"],
                "labour_capacity": "普通劳动力", "needs": ["健康帮扶"], "occurred_on": today})
        elif planned:
            measure = planned[0]["measure_id"]
            await self.command(code, f"measures/{measure}/in-place", {"occurred_on": today},
                               route="measures/{id}/in-place")
        else:  # 缺什么补什么: a measure for a need of the case's latest analysis not yet answered
            analysis = max((a for a in file["risk_analyses"] if a["case_number"] == number),
                           key=lambda a: a["occurred_on"])
            answered = {m["measure_type"] for m in measures}
            need = next((n for n in analysis["needs"] if n not in answered), analysis["needs"][0])
            body = {"measure_type": need, "department": MEASURE_DEPARTMENT[MeasureType(need)].value,
                    "responsible_person": self.who.name, "amount": "800", "occurred_on": today}
            if need == MeasureType.SOCIAL_SECURITY:  # 兜底 for a household able to work says why
                body["reason"] = "家庭成员患大病、刚性支出大，经民政部门审核纳入临时救助"
            await self.command(code, "measures", body)
        return None

    # --- department pushes and uploads

    def _push_rows(self, count: int, department: Department) -> list[dict[str, Any]]:
        """Rows as the department sends them, with what its duty asks of each (a target group,
        an amount) for the period due next."""
        risk = DEPARTMENT_RISKS.get(department, RiskType.OTHER)
        duty = duty_for_period(CADENCES.duties, department, self.county.push_period(department))
        codes = self.rng.sample([row["code"] for row in self.county.households], count)
        rows = []
        for code in codes:
            people = self.county.id_numbers.get(code) or []
            if people:
                row = {"person_id_number": self.rng.choice(people), "risk_types": [risk.value],
                       "occurred_on": self.days_ago(2, 10), "description": f"{department}比对发现"}
                if duty is not None and duty.target_groups:
                    row["target_group"] = self.rng.choice(duty.target_groups).value
                if duty is not None and duty.amount_above is not None:
                    row["amount"] = str(duty.amount_above + self.rng.randint(1, 30000))
                rows.append(row)
        return rows

    async def push(self) -> None:
        """A department's batch of alerts (a few rows, sometimes none: a zero report)."""
        count = self.rng.choice((0, 1, 2, 3, 5, 8, 12, 20))
        department = self.who.department or Department.MEDICAL_INSURANCE
        body: dict[str, Any] = {"batch_id": f"soak-{self.run_id}-{self.county.next_serial()}",
                                "tier": self.rng.choice(("省级推送", "县级筛查"))}
        if self.who.role is Role.COUNTY_CENTRE:
            department = self.rng.choice(list(DEPARTMENT_RISKS))
            body["department"] = department.value
        body["rows"] = self._push_rows(count, department)
        body["period"] = self.county.push_period(department)
        answer = await self.call("POST /api/pushes", "POST", "/api/pushes", body=body)
        if answer and answer[0] == 200 and self.rng.random() < 0.1:  # the system sends it again
            await self.call("POST /api/pushes (repeat)", "POST", "/api/pushes", body=body)

    async def upload_alerts(self) -> None:
        """A department's push as a CSV file (the template's columns)."""
        department = self.who.department or self.rng.choice(list(DEPARTMENT_RISKS))
        rows = self._push_rows(self.rng.randint(1, 15), department)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.header for c in ALERT_COLUMNS])
        for row in rows:
            writer.writerow([row.get(c.key, "") if c.key != "risk_types" else "、".join(row["risk_types"])
                             for c in ALERT_COLUMNS])
        fields = {"tier": "县级筛查", "period": self.county.push_period(department),
                  "batch_id": f"soak-file-{self.run_id}-{self.county.next_serial()}"}
        if self.who.role is Role.COUNTY_CENTRE:
            fields["department"] = department.value
        await self.upload("/api/imports/alerts", "alerts.csv", out.getvalue(), fields)

    async def upload_households(self) -> None:
        """A few households newly registered, as a registry CSV (the county centre)."""
        township, village = self.rng.choice(sorted(self.county.by_village))
        prefix = self.county.by_village[(township, village)][0][:-4]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([c.header for c in HOUSEHOLD_COLUMNS])
        for _ in range(self.rng.randint(1, 3)):
            serial = self.county.next_serial()
            code = f"{prefix}{5000 + serial % 5000:04d}"
            head = _id_number(serial)
            values = {"code": code, "township": township, "village": village,
                      "address": f"{village}{serial}号", "household_type": "一般农户",
                      "name": f"新户{serial}", "id_number": head, "relation": "本人",
                      "health": "健康", "labour_capacity": "普通劳动力", "insured": "是"}
            writer.writerow([values.get(c.key, "") for c in HOUSEHOLD_COLUMNS])
        await self.upload("/api/imports/households", "households.csv", out.getvalue(), {})

    async def upload(self, path: str, filename: str, text: str, fields: dict[str, str]) -> None:
        """``POST path`` as multipart/form-data: ``fields`` and the file."""
        boundary = f"soak{uuid.uuid4().hex}"
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                 for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f"Content-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n")
        await self.call(f"POST {path}", "POST", path, raw="".join(parts).encode(),
                        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})

    async def consultation(self) -> None:
        body = {"meeting_id": f"soak-{self.run_id}-{self.county.next_serial()}",
                "occurred_on": self.county.today.isoformat(), "departments_present": ["医保局", "民政局"],
                "topics": ["本月预警研判"]}
        await self.call("POST /api/meetings/consultations", "POST", "/api/meetings/consultations", body=body)

    # --- the workbench

    async def web(self) -> None:
        """Sign in to the workbench, look at two pages, sign out."""
        self.cookies.clear()
        answer = await self.call("GET /web/login", "GET", "/web/login")
        if not answer:
            return
        match = re.search(rb'name="_csrf_token" value="([^"]+)"', answer[2])
        if not match:
            raise ValueError("no CSRF token on the login page")
        csrf = match.group(1).decode()
        wrong = self.rng.random() < 0.05
        password = self.who.token + ("x" if wrong else "")
        form = f"name={self.who.name}&password={password}&next=/web/&_csrf_token={csrf}"
        answer = await self.call("POST /web/login" + (" (wrong password)" if wrong else ""), "POST",
                                 "/web/login", raw=form.encode(), headers=self._form())
        if not answer or wrong or answer[0] not in (301, 302, 303):
            return
        pages = ["/web/"]
        if self.who.role is Role.DEPARTMENT:
            pages.append("/web/pushes")
        else:
            household = f"/web/households/{self.rng.choice(self.area_codes())}"
            pages.append(self.rng.choice(["/web/monitoring", "/web/cases", household]))
        for page in pages:
            route = "GET /web/households/{code}" if page.startswith("/web/households/") else f"GET {page}"
            await self.call(route, "GET", page, headers=self._cookie())
        await self.call("POST /web/logout", "POST", "/web/logout", raw=f"_csrf_token={csrf}".encode(),
                        headers=self._form())

    def _form(self) -> dict[str, str]:
        return {**self._cookie(), "Content-Type": "application/x-www-form-urlencoded"}

    def _cookie(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    # --- invalid on purpose

    async def invalid(self) -> None:
        """A request that must be refused with a 4xx."""
        choice = self.rng.randrange(5)
        if choice == 0:
            await self.call("GET /api/monitoring (misspelt filter)", "GET", "/api/monitoring",
                            params={"townshp": "银坊镇"}, invalid=True)
        elif choice == 1:
            await self.call("GET /api/households/{code} (unknown)", "GET", "/api/households/NOPE-0000",
                            invalid=True)
        elif choice == 2:
            code = self.rng.choice(self.area_codes())
            await self.call("POST /api/households/{code}/visits (malformed)", "POST",
                            f"/api/households/{code}/visits", invalid=True,
                            body={"visitor": "", "checks": {"不愁吃": "maybe"}, "occurred_on": "昨天"})
        elif choice == 3 and self.who.role is Role.DEPARTMENT:
            await self.call("POST /api/pushes (bad period)", "POST", "/api/pushes",
                            body={"batch_id": "x", "tier": "省级推送", "period": "2025-13", "rows": []},
                            invalid=True)
        elif choice == 3 and self.who.role in (Role.VILLAGE_LIAISON, Role.TOWNSHIP_WORKSTATION):
            mine = set(self.area_codes())
            outside = [row["code"] for row in self.county.households if row["code"] not in mine]
            code = self.rng.choice(outside)
            await self.call("POST /api/households/{code}/visits (outside area)", "POST",
                            f"/api/households/{code}/visits",
                            body={"visitor": self.who.name, "checks": {str(c): True for c in Check},
                                  "occurred_on": self.county.today.isoformat()}, invalid=True)
        else:
            await self.call("GET /api/me (bad token)", "GET", "/api/me", invalid=True,
                            headers={"Authorization": "Bearer nope"})


def _text(data: bytes | None, limit: int) -> str:
    return (data or b"")[:limit].decode(errors="replace").replace("\r\n", " ")


def _id_number(serial: int) -> str:
    """A valid ID number no demo member has (sequence 9xx)."""
    born = date(1950, 1, 1) + timedelta(days=serial % 18000)
    first = f"130630{born:%Y%m%d}9{serial % 100:02d}"
    return first + check_digit(first)


#: Each role's day: (weight, action). Lists and case files most; commands where the role makes
#: them; pushes for departments; indicators and reports for the county, auditors and assessors.
MIX: dict[Role, list[tuple[float, str]]] = {
    Role.VILLAGE_LIAISON: [(14, "households"), (8, "visits_due"), (20, "read_case_file"), (16, "visit"),
                           (3, "alert"), (8, "identify"), (5, "monitoring"), (4, "cases"), (2, "me"),
                           (1.5, "web"), (2, "invalid")],
    Role.TOWNSHIP_WORKSTATION: [(14, "cases"), (10, "monitoring"), (16, "read_case_file"),
                                (8, "identify"), (6, "help"), (5, "visit"), (4, "visits_due"),
                                (3, "indicators"), (3, "export"), (2, "unmatched"), (3, "history"),
                                (1.5, "web"), (2, "invalid"), (1, "report")],
    Role.COUNTY_CENTRE: [(10, "cases"), (10, "monitoring"), (10, "read_case_file"), (8, "identify"),
                         (5, "help"), (4, "indicators"), (3, "report"), (4, "export"), (2, "push_compliance"),
                         (0.7, "upload_households"), (0.7, "upload_alerts"), (2, "push"),
                         (0.3, "consultation"),
                         (3, "history"), (1, "income_lines"), (1, "meetings"), (1, "template"), (1.5, "web"),
                         (2, "invalid"), (3, "households")],
    Role.DEPARTMENT: [(10, "push"), (10, "ledger"), (6, "indicators"), (3, "push_compliance"),
                      (2, "upload_alerts"), (2, "template"), (2, "me"), (1.5, "web"), (2, "invalid")],
    Role.AUDITOR: [(10, "access_log"), (15, "read_case_file"), (10, "history"), (5, "case_file_as_of"),
                   (10, "households"), (5, "monitoring"), (4, "export"), (5, "indicators"), (3, "alerts"),
                   (2, "ledger"), (1.5, "web"), (1, "invalid")],
    Role.ASSESSMENT_TEAM: [(15, "indicators"), (8, "report"), (6, "push_compliance"), (8, "monitoring"),
                           (5, "cases"), (5, "read_case_file"), (3, "export"), (3, "measures_missing"),
                           (2, "meetings"), (1.5, "web"), (1, "invalid")],
}
