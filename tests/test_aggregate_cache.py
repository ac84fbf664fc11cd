"""The aggregate cache holds encoded households within its byte bound, least recently used out
first: a server's memory stops growing once the cache is full, however big the county."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import UTC, date, datetime

import pytest

from application.demo import generate_county
from application.store.cache import AggregateCache
from application.store.mapper import AggregateCodec
from domain.codes import Check, HouseholdType
from domain.household import Household
from tests.builders import COUNTY, family

AT = datetime(2025, 3, 1, tzinfo=UTC)


def household(n: int) -> Household:
    """Household ``n`` (1–99): all of them encode to the same number of bytes."""
    registered = Household.register(
        code=f"1306301010{n:02d}", township="银坊镇", village="东村", address="东村1号",
        household_type=HouseholdType.ORDINARY, members=family(n), occurred_on=date(2025, 1, 1),
        by=COUNTY, at=AT)
    registered.collect_events()
    return registered


@pytest.fixture(scope="module")
def demo_states() -> list[tuple[type, bytes]]:
    """300 demo households of every kind (many events or few), encoded."""
    codec, states = AggregateCodec(), []
    for demo in generate_county(300):
        demo.collect_events()
        states.append((type(demo), codec.encode(demo)))
    return states


def allocated_here() -> int:
    """Bytes still allocated by calls from this file (other threads of the test run left out)."""
    here = tracemalloc.Filter(True, __file__, all_frames=True)
    return sum(stat.size for stat in
               tracemalloc.take_snapshot().filter_traces([here]).statistics("filename"))


def test_the_cache_never_holds_more_than_its_byte_bound(demo_states):
    # Given a cache of 200 kB, far less than 300 households need
    bound = 200_000
    cache, codec = AggregateCache(bound), AggregateCodec()
    tracemalloc.start(20)
    try:
        # (decoders and msgspec's cache of dict keys made, and traced, before counting)
        warm = AggregateCache(bound)
        for state in demo_states:
            warm.put(codec.decode(*state))
        del warm
        gc.collect()
        before = allocated_here()
        # When each household is loaded, used and kept, as commands and readers do
        for state in demo_states:
            cache.put(codec.decode(*state))  # the live household is dropped once kept
            # Then what the cache counts stays within its bound at every step
            assert cache.fill().bytes <= bound
        gc.collect()
        held = allocated_here() - before
    finally:
        tracemalloc.stop()
    fill = cache.fill()
    # …the oldest went, the most recent are there
    assert 0 < fill.entries < len(demo_states)
    assert cache.copy(codec.decode(*demo_states[-1]).id) is not None
    assert cache.copy(codec.decode(*demo_states[0]).id) is None
    # …and the memory it really holds (bytes, keys, the map) is no more than it counts
    assert 0.8 * fill.bytes <= held <= fill.bytes <= bound


def test_the_least_recently_used_household_goes_first():
    one, two, three, four, five = (household(n) for n in range(1, 6))
    probe = AggregateCache(10**6)
    probe.put(one)
    cache = AggregateCache(3 * probe.fill().bytes)  # room for exactly three
    for kept in (one, two, three):
        cache.put(kept)
    # Given a reader reads household 1: it is now used more recently than 2 and 3
    assert cache.copy(one.id) is not None
    # When a fourth is kept, the least recently used (2) goes
    cache.put(four)
    # …a command on 3 takes it out and puts it back: now 1 is the least recently used
    taken = cache.take(three.id)
    assert taken is not None and cache.fill().entries == 2
    cache.put(taken)
    cache.put(five)
    # Then 3, 4 and 5 remain
    held = {h.code for h in (one, two, three, four, five) if cache.copy(h.id) is not None}
    assert held == {three.code, four.code, five.code}
    assert cache.fill().entries == 3


def test_a_household_bigger_than_the_whole_bound_is_not_kept_and_evicts_nothing():
    small, big = household(1), household(2)
    probe = AggregateCache(10**6)
    probe.put(small)
    cache = AggregateCache(probe.fill().bytes + 10)
    cache.put(small)
    big.record_visit(visit_id="V1", visitor="网格员", checks=dict.fromkeys(Check, True),
                     occurred_on=date(2025, 2, 1), by=COUNTY, at=AT)
    big.collect_events()  # a visit more than the small one: more bytes than the bound
    cache.put(big)
    assert cache.copy(big.id) is None
    assert cache.copy(small.id) is not None and cache.fill().entries == 1


def test_a_readers_copy_and_a_commands_household_are_their_own():
    kept = household(1)
    cache = AggregateCache(10**6)
    cache.put(kept)
    # A reader changing its copy changes nothing in the cache
    read = cache.copy(kept.id)
    read.members.clear()
    assert len(cache.copy(kept.id).members) == 3
    # …nor does a change to the household that was kept
    kept.members.clear()
    assert len(cache.take(kept.id).members) == 3


def test_a_cache_of_no_bytes_keeps_nothing():
    cache = AggregateCache(0)
    kept = household(1)
    cache.put(kept)
    assert cache.keep_and_copy(kept) is kept
    assert cache.copy(kept.id) is None and cache.fill().entries == 0
