"""Fixtures of the pure-domain tests; the helpers themselves live in `household_kit`."""

from __future__ import annotations

import pytest
from household_kit import registered

from domain.codes import HouseholdType
from domain.household import Household


@pytest.fixture
def household() -> Household:
    return registered()


@pytest.fixture
def lifted_out() -> Household:
    return registered(HouseholdType.LIFTED_OUT, lifted_out_year=2019)
