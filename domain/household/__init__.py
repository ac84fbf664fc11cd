"""The household case file, one module per chapter of the notice.

- `state`: what a case file holds, its queries, the event base and the helpers all share;
- `registration`: the household and its members; `alerts`: risk signals and the duplicate rule;
- `steps`: the four steps both procedures follow; `identification` and `green_channel`;
- `help`: risk analysis, measures, 医保 subsidy, 防贫保; `visits`: visits and income;
- `elimination`: risk elimination; `corrections`: correcting recorded facts;
- `appeals`: objections and appeals against a case's decisions;
- `staff`: the household's 网格员 and 帮扶责任人 (§七);
- `aggregate`: `Household`, assembled from the chapters.
"""

from domain.household.aggregate import Household, household_event_classes
from domain.household.alerts import DUPLICATE, JOINED_CASE, NEW_CASE, AlertOutcome
from domain.household.state import HOUSEHOLD_NAMESPACE, household_id
from domain.household.steps import STEP_NAMES
from domain.household.visits import SIX_CHECKS

__all__ = [
    "DUPLICATE",
    "HOUSEHOLD_NAMESPACE",
    "JOINED_CASE",
    "NEW_CASE",
    "SIX_CHECKS",
    "STEP_NAMES",
    "AlertOutcome",
    "Household",
    "household_event_classes",
    "household_id",
]
