"""The notice's time limits, and the deadlines they set from a date.

`Case` (domain.values) and the indicator facts give each case its deadlines from here; the read
models, lists, reports and the CLI read them there, so a limit is counted the same everywhere.
"""

from __future__ import annotations

from datetime import date, timedelta

#: From discovery to inclusion, normally at most 15 days (notice §三).
IDENTIFICATION_DAYS = 15
#: A measure should be in place within 30 days of identification (national practice).
MEASURE_WITHIN_DAYS = 30
#: An appeal (申诉) is answered within 15 days of being lodged (national practice): the county's
#: default. The county sets its own in application/deadlines.toml; each appeal records the day
#: it is due when lodged, and this is the deadline of those lodged before it did.
APPEAL_DAYS = 15


def identification_deadline(discovered_on: date) -> date:
    """The last day to include a case: 15 days from the discovery of the risk (notice §三). A
    case included after it is allowed but counted late."""
    return discovered_on + timedelta(days=IDENTIFICATION_DAYS)


def measure_deadline(included_on: date) -> date:
    """The day a help measure should be in place by: 30 days after inclusion."""
    return included_on + timedelta(days=MEASURE_WITHIN_DAYS)


def appeal_deadline(lodged_on: date, days: int = APPEAL_DAYS) -> date:
    """The last day to answer an appeal: ``days`` (the county's answer deadline) after it was
    lodged."""
    return lodged_on + timedelta(days=days)


def days_until(deadline: date, today: date) -> int:
    """Days from ``today`` to ``deadline``: negative once it has passed."""
    return (deadline - today).days


def days_left(deadline: date, today: date) -> int:
    """Days from ``today`` to ``deadline``; 0 once it has passed."""
    return max(days_until(deadline, today), 0)


def days_overdue(deadline: date, today: date) -> int:
    """Days ``today`` is past ``deadline``; 0 until it has passed."""
    return max(-days_until(deadline, today), 0)
