"""The server's side of the grid worker's offline app (issue 23): signing in on a phone for a
device session the API takes as a bearer token, signing out and revoking it, the code tables
its forms offer, and ``Household-Version`` — a command written offline against a case file
that changed meanwhile is not recorded, and says so. Both back ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from application.accounts.logins import DEVICE_SESSION_DAYS
from tests.http.conftest import ALL_CHECKS_PASS, Api

PASSWORD = "走访密码-2025"


def _visit(day: str = "2025-06-05", **fields: Any) -> dict[str, Any]:
    return {"visitor": "李网格", "checks": ALL_CHECKS_PASS, "occurred_on": day, **fields}


def _sign_in(api: Api, name: str = "grid-01", password: str = PASSWORD) -> Any:
    return api.client.post("/app/session", json={"name": name, "password": password})


def _device(api: Api) -> dict[str, str]:
    """A village user signed in on a phone: the headers its API calls carry."""
    api.app.state.logins.set_password("grid-01", PASSWORD)
    answer = _sign_in(api)
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


class TestSigningInOnAPhone:
    def test_the_workbench_password_gives_a_device_session_the_api_takes(self, api: Api) -> None:
        headers = _device(api)
        me = api.client.get("/api/me", headers=headers).json()
        assert (me["name"], me["village"], me["sees_id_numbers"]) == ("grid-01", "东村", False)

    def test_a_wrong_password_is_refused_in_chinese(self, api: Api) -> None:
        api.app.state.logins.set_password("grid-01", PASSWORD)
        refused = _sign_in(api, password="不是这个密码")
        assert refused.status_code == 401
        assert (refused.json()["code"], refused.json()["detail"]) == ("LOGIN_FAILED", "用户名或密码不对")

    def test_only_a_village_user_takes_the_village_to_the_field(self, api: Api) -> None:
        api.app.state.logins.set_password("township-01", PASSWORD)
        refused = _sign_in(api, "township-01")
        assert refused.status_code == 403
        assert "村联络站" in refused.json()["detail"]

    def test_a_workbench_session_is_no_bearer_token(self, api: Api) -> None:
        user = api.app.state.users.get("grid-01")
        browser_session = api.app.state.logins.open_session(user)
        answer = api.client.get("/api/me", headers={"Authorization": f"Bearer {browser_session}"})
        assert answer.status_code == 401

    def test_signing_out_ends_the_session(self, api: Api) -> None:
        headers = _device(api)
        assert api.client.post("/app/session/end", headers=headers).status_code == 204
        assert api.client.get("/api/me", headers=headers).status_code == 401

    def test_a_new_password_or_a_disabled_user_revokes_the_phone(self, api: Api) -> None:
        headers = _device(api)
        api.app.state.logins.set_password("grid-01", PASSWORD + "-new")
        assert api.client.get("/api/me", headers=headers).status_code == 401
        headers = _device(api)
        api.app.state.users.disable("grid-01")
        assert api.client.get("/api/me", headers=headers).status_code == 401

    def test_the_phone_is_told_why_its_session_is_refused(self, api: Api) -> None:
        """The phone keeps its unsent queue only when its session merely expired: each refusal
        names its reason with a stable code."""
        def refused(headers: dict[str, str]) -> tuple[int, str]:
            answer = api.client.get("/api/me", headers=headers)
            return answer.status_code, answer.json()["code"]

        headers = _device(api)
        api.clock.now += timedelta(days=DEVICE_SESSION_DAYS, minutes=1)
        assert refused(headers) == (401, "SESSION_EXPIRED")
        assert "重新登录" in api.client.get("/api/me", headers=headers).json()["detail"]
        _device(api)  # a new password and sign-in: the old phone is still told "expired"
        assert refused(headers) == (401, "SESSION_EXPIRED")

        headers = _device(api)
        api.client.post("/app/session/end", headers=headers)
        assert refused(headers) == (401, "SIGNED_OUT")
        headers = _device(api)
        api.app.state.logins.set_password("grid-01", PASSWORD + "-new")
        assert refused(headers) == (401, "PASSWORD_CHANGED")
        headers = _device(api)
        api.app.state.logins.disable_user("grid-01")
        assert refused(headers) == (401, "USER_DISABLED")
        api.app.state.users.issue_token("grid-01")
        assert refused({"Authorization": "Bearer fpd_never-issued"}) == (401, "SESSION_REVOKED")
        assert refused({"Authorization": "Bearer not-a-token"}) == (401, "NOT_AUTHENTICATED")

    def test_a_user_disabled_then_enabled_again_is_not_back_on_the_old_phone(self, api: Api) -> None:
        headers = _device(api)
        api.app.state.logins.disable_user("grid-01")
        api.app.state.users.issue_token("grid-01")  # enabled again, with a new API token
        assert api.client.get("/api/me", headers=headers).status_code == 401

    def test_a_device_session_opens_no_workbench_page(self, api: Api) -> None:
        token = _device(api)["Authorization"].removeprefix("Bearer ")
        page = api.client.get("/web/", cookies={"fangpin_session": token}, follow_redirects=False)
        assert page.status_code in (302, 303) and "/web/login" in page.headers["location"]


def test_the_forms_offer_the_code_tables_and_the_failed_check_rule(api: Api) -> None:
    tables = api.client.get("/app/forms.json").json()  # no token: nothing personal
    assert tables["checks"] == list(ALL_CHECKS_PASS)
    assert tables["failed_check_signals"]["住房安全"] == {"risk_type": "其他", "problem": "住房安全问题"}
    assert tables["channels"] == {"alert": "乡村干部排查", "self_report": "农户自主申报"}


def test_the_app_is_served_by_the_app_itself(api: Api) -> None:
    page = api.client.get("/app/").text
    assert '<link rel="manifest" href="/app/manifest.webmanifest">' in page
    assert "http://" not in page and "https://" not in page
    worker = api.client.get("/app/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    manifest = api.client.get("/app/manifest.webmanifest").json()
    # relative to the manifest: the same file serves a county's app under /c/{county}/app/
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("./", "./", "standalone")
    assert all(api.client.get(f"/app/{icon['src']}").status_code == 200 for icon in manifest["icons"])


class TestAVisitWrittenAgainstAVersion:
    def test_recorded_when_the_household_is_as_the_phone_saw_it(self, api: Api) -> None:
        version = api.register()["version"]
        answer = api.client.post("/api/households/130630101001/visits", json=_visit(),
                                 headers={**api.headers("village", "phone-1"),
                                          "Household-Version": str(version)})
        assert answer.status_code == 201, answer.text
        assert answer.json()["version"] == version + 1

    def test_not_recorded_when_the_household_changed_meanwhile(self, api: Api) -> None:
        version = api.register()["version"]
        api.ok("/api/households/130630101001/grid-worker",
               {"worker_name": "李网格", "phone": "13800138000", "occurred_on": "2025-06-01"})
        refused = api.client.post("/api/households/130630101001/visits", json=_visit(),
                                  headers={**api.headers("village", "phone-1"),
                                           "Household-Version": str(version)})
        assert refused.status_code == 409
        assert refused.json()["code"] == "HOUSEHOLD_CHANGED"
        assert f"第 {version} 版之后又有 1 项记录" in refused.json()["detail"]
        assert api.get("/api/households/130630101001").json()["visits"] == []
        # the worker saw what changed and sends it anyway, under the same key
        again = api.client.post("/api/households/130630101001/visits", json=_visit(),
                                headers=api.headers("village", "phone-1"))
        assert again.status_code == 201

    def test_a_repeat_of_a_recorded_command_answers_as_the_first_time(self, api: Api) -> None:
        version = api.register()["version"]
        headers = {**api.headers("village", "phone-1"), "Household-Version": str(version)}
        first = api.client.post("/api/households/130630101001/visits", json=_visit(), headers=headers)
        # the answer was lost on the way: the phone sends it again, written against the old version
        repeat = api.client.post("/api/households/130630101001/visits", json=_visit(), headers=headers)
        assert repeat.status_code == 201 and repeat.headers["Idempotent-Replayed"] == "true"
        assert repeat.json()["version"] == first.json()["version"]
        assert len(api.get("/api/households/130630101001").json()["visits"]) == 1

    def test_a_version_that_is_no_number_is_refused(self, api: Api) -> None:
        api.register()
        refused = api.client.post("/api/households/130630101001/visits", json=_visit(),
                                  headers={**api.headers("village"), "Household-Version": "latest"})
        assert refused.status_code == 422
        assert (refused.json()["code"], refused.json()["field"]) == ("HOUSEHOLD_VERSION", "Household-Version")
