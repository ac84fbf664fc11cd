"""A deployment of two counties (涞源县 130630, 易县 130633) on the test's back end, its clock in
June 2025 (every date the tests push is in the past)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from application.province import Deployment
from application.settings import Settings
from tests.conftest import FakeClock
from tests.province.counties import LAIYUAN, YIXIAN


@pytest.fixture
def deployment(settings: Settings) -> Iterator[Deployment]:
    clock = FakeClock(datetime(2025, 6, 1, 2, tzinfo=UTC))
    with Deployment(settings, clock=clock) as opened:
        opened.add(LAIYUAN, "涞源县")
        opened.add(YIXIAN, "易县")
        yield opened
