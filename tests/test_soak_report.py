"""The soak's memory verdict: growth the bounded aggregate cache explains is not a leak."""

from bench.soak_report import Sample, flat_verdicts

PID = 41


def _samples(rss_growth: float, cache_growth_mb: float) -> list[Sample]:
    """Twenty minutes of a worker growing steadily by ``rss_growth`` MB, its cache by the other."""
    return [Sample(elapsed=minute * 60.0, memory={("worker 1", PID): 150 + rss_growth * minute / 20},
                   requests=minute * 100, failures=0, lag=0,
                   cache={PID: (minute * 100, int(cache_growth_mb * minute / 20 * 2**20), 32 * 2**20)})
            for minute in range(21)]


def test_a_worker_whose_growth_is_its_cache_filling_is_flat() -> None:
    (verdict,) = flat_verdicts(_samples(rss_growth=40, cache_growth_mb=32), minutes=20)
    assert verdict.growth > 20 and verdict.growth_beyond_cache < 20
    assert verdict.flat is True


def test_a_worker_growing_beyond_its_cache_is_not_flat() -> None:
    (verdict,) = flat_verdicts(_samples(rss_growth=40, cache_growth_mb=4), minutes=20)
    assert verdict.growth_beyond_cache > 20
    assert verdict.flat is False


def test_without_cache_figures_the_whole_growth_is_judged() -> None:
    samples = _samples(rss_growth=40, cache_growth_mb=32)
    for sample in samples:
        sample.cache = {}
    (verdict,) = flat_verdicts(samples, minutes=20)
    assert verdict.cache_growth is None and verdict.flat is False
