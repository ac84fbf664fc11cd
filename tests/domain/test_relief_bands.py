"""The county's 防贫保 payout bands: county data set like the income line, each schedule in force
from its day (domain.md §7)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, uuid5

import pytest
from household_kit import COUNTY, at, replay, when

from domain.codes import RiskType
from domain.errors import DomainError
from domain.relief import RELIEF_BANDS_POLICY_ID, ReliefBand, ReliefBandsPolicy

START = date(2023, 1, 1)
ILLNESS = (ReliefBand(RiskType.ILLNESS, Decimal(5000), Decimal(20000), Decimal("0.5")),
           ReliefBand(RiskType.ILLNESS, Decimal(20000), None, Decimal("0.7")))


def policy() -> ReliefBandsPolicy:
    return ReliefBandsPolicy.start(occurred_on=START, by=COUNTY, at=at(START))


def set_bands(p: ReliefBandsPolicy, effective_from: date = START, bands=ILLNESS,
              cap: str = "50000", reason: str = "", **kw) -> None:
    p.set_bands(effective_from=effective_from, bands=bands, yearly_cap=Decimal(cap), reason=reason,
                **{**when(date(2024, 1, 1), COUNTY), **kw})


def refused(p: ReliefBandsPolicy, code: str, field: str, **kw) -> None:
    before = (p.version, len(p.pending_events), dict(p.schedules))
    with pytest.raises(DomainError) as info:
        set_bands(p, **kw)
    assert (info.value.code, info.value.field) == (code, field)
    assert (p.version, len(p.pending_events), dict(p.schedules)) == before


def test_there_is_one_policy_with_a_fixed_id_and_no_bands_yet():
    p = policy()
    assert p.id == RELIEF_BANDS_POLICY_ID
    assert uuid5(NAMESPACE_URL, "https://fangpin.example/policy/relief-bands") == p.id
    assert p.bands_on(date(2024, 6, 1)) is None


def test_the_bands_in_force_are_the_latest_set_from_a_day_not_after_it():
    p = policy()
    set_bands(p, START)
    raised = (ReliefBand(RiskType.ILLNESS, Decimal(3000), None, Decimal("0.8")),)
    set_bands(p, date(2024, 7, 1), raised, cap="80000")
    assert p.bands_on(date(2022, 12, 31)) is None
    assert p.bands_on(date(2024, 6, 30)).bands == ILLNESS
    later = p.bands_on(date(2024, 7, 1))
    assert (later.bands, later.yearly_cap, later.effective_from) == (raised, Decimal(80000), date(2024, 7, 1))


def test_the_ceiling_adds_each_band_share_and_stops_at_the_cap():
    p = policy()
    set_bands(p)
    bands = p.bands_on(date(2024, 1, 1))
    assert bands.ceiling(RiskType.ILLNESS, Decimal(5000)) is None  # at the threshold: nothing
    assert bands.ceiling(RiskType.ILLNESS, Decimal(15000)) == Decimal("5000.00")
    assert bands.ceiling(RiskType.ILLNESS, Decimal(40000)) == Decimal("21500.00")
    assert bands.ceiling(RiskType.ILLNESS, Decimal(100000)) == Decimal(50000)
    assert bands.ceiling(RiskType.ACCIDENT, Decimal(100000)) is None  # no band for the cause
    assert bands.threshold(RiskType.ILLNESS) == Decimal(5000)


def test_setting_a_day_again_needs_a_reason_and_supersedes():
    p = policy()
    set_bands(p)
    refused(p, "REASON_REQUIRED", "reason", cap="60000")
    set_bands(p, cap="60000", reason=" 县里调整 ")
    assert p.bands_on(START).yearly_cap == Decimal(60000)
    assert p.bands_on(START).reason == "县里调整"


@pytest.mark.parametrize(("bands", "code", "field"), [
    ((), "BANDS_REQUIRED", "bands"),
    ((ReliefBand(RiskType.UNSTABLE_EMPLOYMENT, Decimal(0), None, Decimal("0.5")),),
     "RELIEF_CAUSE_NOT_SUDDEN", "bands[0].cause"),
    ((ReliefBand(RiskType.ILLNESS, Decimal(-1), None, Decimal("0.5")),), "AMOUNT_INVALID",
     "bands[0].cost_from"),
    ((ReliefBand(RiskType.ILLNESS, Decimal(5000), Decimal(5000), Decimal("0.5")),), "BAND_RANGE",
     "bands[0].cost_to"),
    ((ReliefBand(RiskType.ILLNESS, Decimal(0), None, Decimal("1.01")),), "BAND_RATE", "bands[0].rate"),
    ((ReliefBand(RiskType.ILLNESS, Decimal(0), None, Decimal(0)),), "BAND_RATE", "bands[0].rate"),
    ((ReliefBand(RiskType.ILLNESS, Decimal(5000), Decimal(20000), Decimal("0.5")),
      ReliefBand(RiskType.ILLNESS, Decimal(15000), None, Decimal("0.7"))), "BANDS_OVERLAP", "bands"),
    ((ReliefBand(RiskType.ILLNESS, Decimal(5000), None, Decimal("0.5")),
      ReliefBand(RiskType.ILLNESS, Decimal(50000), None, Decimal("0.7"))), "BANDS_OVERLAP", "bands"),
])
def test_bands_that_cannot_be_applied_are_refused(bands, code, field):
    refused(policy(), code, field, bands=bands)


@pytest.mark.parametrize("cap", ["0", "-1", "NaN"])
def test_a_cap_that_is_not_a_positive_amount_is_refused(cap):
    refused(policy(), "AMOUNT_INVALID", "yearly_cap", cap=cap)


def test_bands_of_different_causes_may_share_costs_and_are_kept_in_order():
    p = policy()
    accident = ReliefBand(RiskType.ACCIDENT, Decimal(5000), None, Decimal("0.6"))
    set_bands(p, bands=(accident, *reversed(ILLNESS)))
    assert p.bands_on(START).bands == (*ILLNESS, accident)


def test_command_ids_and_replay():
    p = policy()
    set_bands(p, command_id="bands-2023")
    assert p.command_ids == {"bands-2023": 2}
    assert replay(list(p.collect_events())) == p
