"""End to end on PostgreSQL: users added with the CLI, the real server started as its own
process (`fangpin serve`, read models followed by its separate projection process), and a whole
case driven over HTTP with the standard library's client, as a department's system would."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import POSTGRES_URL, TEST_CIPHER_KEY
from tests.http.conftest import TOWNSHIP, VILLAGE
from tests.http.flow import check_after_case, whole_case

pytestmark = pytest.mark.postgres

FANGPIN = [sys.executable, "-m", "interfaces.cli"]
ROOT = Path(__file__).resolve().parents[2]

USERS = {
    "county": ["county-01", "--role", "county"],
    "township": ["township-01", "--role", "township", "--township", TOWNSHIP],
    "village": ["grid-01", "--role", "village", "--township", TOWNSHIP, "--village", VILLAGE],
    "department": ["dept-ybj", "--role", "department", "--department", "医保局"],
    "auditor": ["auditor-01", "--role", "auditor"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(postgres_schema: str) -> Iterator[tuple[str, dict[str, str]]]:
    env = {**os.environ, "FANGPIN_DATABASE_URL": POSTGRES_URL,
           "FANGPIN_POSTGRES_SCHEMA": postgres_schema, "PYTHONPATH": str(ROOT)}
    if TEST_CIPHER_KEY:
        env["FANGPIN_CIPHER_KEY"] = TEST_CIPHER_KEY
    tokens = {}
    for who, args in USERS.items():
        done = subprocess.run([*FANGPIN, "users", "add", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        tokens[who] = re.search(r"(fp_\S+)", done.stdout).group(1)  # type: ignore[union-attr]
    port = _free_port()
    process = subprocess.Popen([*FANGPIN, "serve", "--port", str(port), "--workers", "2"],
                               env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start:\n{process.stdout.read()}") from None
                time.sleep(0.2)
        yield base, tokens
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_whole_case_over_http_against_the_real_server(server: tuple[str, dict[str, str]]) -> None:
    base, tokens = server

    def call(method: str, path: str, who: str, body: Any = None,
             params: dict[str, Any] | None = None) -> tuple[int, Any]:
        query = "?" + urllib.parse.urlencode(params) if params else ""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{base}{path}{query}", data=data, method=method,
            headers={"Authorization": f"Bearer {tokens[who]}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    result = whole_case(call, "130630101001", TOWNSHIP, VILLAGE)
    check_after_case(call, "130630101001", result)

    status, problem = call("POST", "/api/households/130630101001/visits", "auditor",
                           body={"visitor": "x", "checks": {}, "occurred_on": "2025-11-01"})
    assert (status, problem["code"]) == (403, "ROLE_FORBIDDEN")
