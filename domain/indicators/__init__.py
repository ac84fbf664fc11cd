"""Responsibility-assessment indicators (domain.md §12), defined once, over recorded facts.

Each indicator is a numerator over a denominator for the county, a township or a department,
for a month, quarter or year, with the cases behind each number. It is computed in two steps:

1. `household_facts` (`facts`) reduces a household's case file (as the log stood at some moment)
   to the dated facts the indicators read: its cases with the dates of their steps, its alerts,
   visits and members. Facts are plain values, so they can be stored in a read model and compared.
2. Each indicator (`definitions`) turns one household's facts into `Item`s — what the household
   adds to the numerator and the denominator, and why — for a period and an evaluation day
   ``today`` (what has happened by that day counts; what is not yet due does not). `Tally`
   (`tally`) sums them, with the department pushes and the county's meetings.

Where the notice leaves a choice, the reading is stated in the indicator's docstring; the
reports repeat it. Nothing here reads a clock: ``today`` is passed in.
"""

from domain.indicators.definitions import (
    INDICATOR_BY_CODE,
    INDICATOR_BY_NAME,
    INDICATORS,
    STABILITY_MONTHS,
    Evaluation,
    HouseholdRule,
    Indicator,
    Item,
    alert_verification,
    elimination_stability,
    fell_into_poverty,
    green_channel_completion,
    indicator_named,
    measures_in_place,
    medical_subsidy,
    re_entries,
    timely_identification,
    visit_coverage,
)
from domain.indicators.facts import (
    INDICATORS_VERSION,
    AlertFacts,
    CaseFacts,
    HouseholdFacts,
    MemberFacts,
    household_facts,
)
from domain.indicators.settled import (
    Count,
    Settled,
    lines_through,
    settled_counts,
    settled_years,
)
from domain.indicators.tally import Area, Figure, Tally, may_count

__all__ = [
    "INDICATORS",
    "INDICATORS_VERSION",
    "INDICATOR_BY_CODE",
    "INDICATOR_BY_NAME",
    "STABILITY_MONTHS",
    "AlertFacts",
    "Area",
    "CaseFacts",
    "Count",
    "Evaluation",
    "Figure",
    "HouseholdFacts",
    "HouseholdRule",
    "Indicator",
    "Item",
    "MemberFacts",
    "Settled",
    "Tally",
    "alert_verification",
    "elimination_stability",
    "fell_into_poverty",
    "green_channel_completion",
    "household_facts",
    "indicator_named",
    "lines_through",
    "may_count",
    "measures_in_place",
    "medical_subsidy",
    "re_entries",
    "settled_counts",
    "settled_years",
    "timely_identification",
    "visit_coverage",
]
