"""Builders for the province's tests: counties' stores opened, households registered there."""

from __future__ import annotations

from application.app import CaseFiles
from application.province import Deployment
from tests.builders import COUNTY, family, registering

LAIYUAN, YIXIAN = "130630", "130633"


def county_app(deployment: Deployment, code: str) -> CaseFiles:
    """The county's store, on the deployment's clock (close it: ``with``)."""
    return CaseFiles(deployment.county_settings(code), clock=deployment.clock)


def register(deployment: Deployment, code: str, households: dict[str, int]) -> None:
    """Register households in a county: code → which `family` lives there."""
    with county_app(deployment, code) as app:
        for household, other in households.items():
            app.register_household(registering(household, members=family(other)), by=COUNTY)


def ids(other: int) -> list[str]:
    """The ID numbers of `family(other)`: head, spouse, child."""
    return [member.id_number for member in family(other)]
