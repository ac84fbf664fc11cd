"""``after=<position>`` on a case file and its history: on the primary the log is never behind,
so a known position answers at once and one not yet in the log is refused, as on the lists."""

from __future__ import annotations

from tests.http.conftest import Api
from tests.http.kit import problem


def test_a_case_file_read_after_its_own_write_and_after_a_position_not_in_the_log(api: Api) -> None:
    registered = api.register()
    path = "/api/households/130630101001"
    for read in (path, f"{path}/history"):
        answer = api.get(read, after=registered["position"])
        assert answer.status_code == 200, answer.text
        problem(api.get(read, after=registered["position"] + 1000), 422, "POSITION_UNKNOWN",
                field="after")
    assert api.get(path, after=registered["position"]).json()["version"] == registered["version"]
