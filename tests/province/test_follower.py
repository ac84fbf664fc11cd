"""The province follows every county in the background of the server: a member registered in
a county is found by the province's index, and the county's figures move with its log."""

from __future__ import annotations

import time

from application.province import Deployment
from application.province.figures import ProvincialFigures
from application.province.follower import ProvinceFollower
from application.province.people import ProvincialPeople
from application.settings import Settings
from interfaces.serve import follow_province
from tests.conftest import FakeClock
from tests.province.counties import LAIYUAN, YIXIAN, ids, register
from tests.province.test_figures import MORNING


def test_the_follower_brings_every_model_up_to_every_county(settings: Settings) -> None:
    clock = FakeClock(MORNING)
    with Deployment(settings, clock=clock) as deployment:
        assert follow_province(settings) is None  # no counties: nothing to follow
        deployment.add(LAIYUAN, "涞源县")
        deployment.add(YIXIAN, "易县")
        register(deployment, LAIYUAN, {"130630999001": 1})
        people, figures = ProvincialPeople(deployment), ProvincialFigures(deployment.province())
        follower = ProvinceFollower(deployment, [people, figures], clock=clock)
        try:
            reached = follower.catch_up()
            assert set(reached) == {LAIYUAN, YIXIAN}
            assert [p.county for p in people.placements([ids(1)[0]])[ids(1)[0]]] == [LAIYUAN]
            year = MORNING.year
            before = figures.position(YIXIAN, year)
            follower.follow(poll_seconds=0.05)
            register(deployment, YIXIAN, {"130633999001": 2})
            deadline = time.monotonic() + 20
            while not people.placements([ids(2)[0]])[ids(2)[0]] \
                    or figures.position(YIXIAN, year) == before:
                assert time.monotonic() < deadline, "the background follower did not catch up"
                time.sleep(0.05)
            assert figures.position(LAIYUAN, year) == reached[LAIYUAN]  # the other county: as it was
        finally:
            follower.close()
