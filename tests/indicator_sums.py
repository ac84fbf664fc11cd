"""The indicators' figures tallied by hand, as the notice reads them: the oracle the tally, the
read models and the log are checked against (tests/domain/test_indicator_tally.py,
tests/integration/test_indicator_figures_exact.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from application.indicators import COUNTY
from domain.indicators import INDICATORS, Evaluation, HouseholdFacts
from domain.periods import Period

Figures = dict[tuple[str, str, str], tuple[int, int]]


def plain_sums(facts: Iterable[HouseholdFacts], period: Period, on: Evaluation) -> Figures:
    """Every household rule's items summed per unit: the county, the household's township and
    the item's department, where the indicator is kept at that level."""
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for h in facts:
        for indicator in INDICATORS:
            for item in indicator.rule(h, period, on) if indicator.rule else ():
                units = [("county", COUNTY)]
                if "township" in indicator.levels and item.township:
                    units.append(("township", item.township))
                if "department" in indicator.levels and item.department:
                    units.append(("department", item.department))
                for level, name in units:
                    total = sums[(indicator.code, level, name)]
                    total[0] += item.numerator
                    total[1] += item.denominator
    return {key: (n, d) for key, (n, d) in sums.items()}
