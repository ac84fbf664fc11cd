"""Rows held at the province go to their county once the person is a member there.

A provincial row about a person in no county is held at the province (`pushes`). When a county
later registers that person — a birth, a move, a household registered late — the row belongs
to that county: the background follower (`follower`) asks this model, county by county, to
record each such held alert on the person's household there, with its batch's identity and its
discovery day (the 15-day clock ran from it), and then marks it forwarded at the province.
Both steps carry a command id of the alert's own, so a follower killed between them records
nothing twice when it runs again. A person found in two counties, or a member of the county's
household only after the discovery day, stays held: a person decides that, not a default.
"""

from __future__ import annotations

import logging
from collections import deque

from application.app import CaseFiles
from application.commands import RaiseAlert
from application.province.deployment import County, Deployment
from application.province.people import ProvincialPeople
from application.unit_of_work import retrying
from domain.codes import Role
from domain.errors import DomainError
from domain.unmatched import HeldAlert
from domain.values import Actor

logger = logging.getLogger(__name__)

#: Who forwards: the province's system, not a person.
PROVINCE_SYSTEM = Actor("province", Role.SYSTEM)


class HeldForwarding:
    """Forwards the province's held alerts to the county whose household now has the person."""

    def __init__(self, deployment: Deployment, people: ProvincialPeople) -> None:
        self.deployment, self.people = deployment, people
        #: What this model forwarded lately: (alert id, county, household code).
        self.forwarded: deque[tuple[str, str, str]] = deque(maxlen=1000)

    def catch_up(self, county: County, app: CaseFiles) -> int:
        """Forward every held alert whose person is a member in ``county`` on the alert's
        discovery day, and in no other county as the person index has it: the index must have
        caught up with every county first (the follower runs it over all counties before this).
        Returns the county's log position."""
        province = self.deployment.province()
        held = province.unmatched_alerts()
        pending = [alert for alert in held.alerts.values() if alert.pending] if held else []
        if pending:
            placed = self.people.placements(alert.person_id_number for alert in pending)
            for alert in pending:
                if {p.county for p in placed.get(alert.person_id_number, [])} != {county.code}:
                    continue
                household = app.household_code_on(alert.person_id_number, alert.discovered_on)
                if household is None:
                    continue
                try:
                    self._forward(province, county, app, alert, household)
                except DomainError as refused:  # the county's rules refuse it: it stays held
                    logger.warning("held alert %s not forwarded to %s %s: %s %s", alert.alert_id,
                                   county.code, household, refused.code, refused.message)
        return app.max_position()

    def _forward(self, province: CaseFiles, county: County, app: CaseFiles, alert: HeldAlert,
                 household: str) -> None:
        command_id = f"forward:{alert.alert_id}"
        raised = RaiseAlert(
            alert_id=alert.alert_id, channel=alert.channel, person_id_number=alert.person_id_number,
            risk_types=list(alert.risk_types), description=alert.description, period=alert.period,
            department=alert.department, tier=alert.tier, batch_id=alert.batch_id,
            disaster_kind=alert.disaster_kind, problems=list(alert.problems),
            target_group=alert.target_group, amount=alert.amount,
            sudden_hardship=alert.sudden_hardship, occurred_on=alert.discovered_on)
        retrying(lambda: app.execute(household, raised, by=PROVINCE_SYSTEM, command_id=command_id))
        retrying(lambda: province.forward_unmatched_alert(
            alert.alert_id, county.code, household, by=PROVINCE_SYSTEM, command_id=command_id))
        self.forwarded.append((alert.alert_id, county.code, household))
