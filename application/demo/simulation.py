"""The demo households, generated: a household is registered, its year is planned, and its agenda
runs chapter by chapter (members, cases, help and visits, elimination)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from random import Random

from application.commands import MemberIn, Recording, RegisterHousehold
from application.demo.cases import Cases
from application.demo.county import COUNTY_NAME, SURNAME_POOL, IdNumbers, VillageAssigner, full_name
from application.demo.desks import DeskStages
from application.demo.elimination import Elimination
from application.demo.families import Weddings, birth_day, condition, family
from application.demo.help import Help
from application.demo.members import Members
from application.demo.staff import Staff
from application.demo.tables import (
    BLOCK_SIZE,
    INCLUDE,
    P_ALERT,
    P_HELP,
    P_INCOME,
    P_LATE,
    P_MEMBERS,
    RISKS,
    Plan,
    Script,
    block_plans,
    weighted,
)
from application.demo.window import DEMO_UNTIL, DemoWindow
from domain.codes import HouseholdType, Relation, RiskType, Sex
from domain.household import Household


class Simulation(Members, Cases, Help, Elimination, Staff):
    """One household's year: registered in the month before the window, then its agenda."""

    # ---------------------------------------------------------------- registration

    def register(self) -> None:
        rng, plan = self.rng, self.plan
        registered_on = self.start - timedelta(days=31) + timedelta(days=rng.randint(0, 19))
        if plan.history:  # monitored, helped and eliminated before the year
            registered_on -= timedelta(days=rng.randint(220, 400))
        weights = (18, 30, 18, 17, 11, 6) if plan.lifted_out else (10, 26, 22, 22, 13, 7)
        size = rng.choices((1, 2, 3, 4, 5, 6), weights)[0]
        people = family(rng, size)
        _, head_sex, _ = people[0]
        surname = rng.choice(SURNAME_POOL)
        spouse_surname = rng.choice(SURNAME_POOL)
        father_surname = surname if head_sex is Sex.MALE else spouse_surname
        members = []
        for relation, sex, age in people:
            born = birth_day(rng, age, registered_on)
            if relation in (Relation.HEAD, Relation.SIBLING) or (
                relation is Relation.PARENT and sex is Sex.MALE
            ):
                family_name = surname
            elif relation in (Relation.SON, Relation.DAUGHTER, Relation.GRANDCHILD):
                family_name = father_surname
            else:
                family_name = None
            health, labour, in_school = condition(rng, age, plan.lifted_out)
            members.append(MemberIn(
                name=full_name(rng, sex, born.year, family_name),
                id_number=self.ids.allocate(born, sex),
                relation=relation, health=health, labour_capacity=labour, in_school=in_school,
                insured=rng.random() < (0.995 if plan.lifted_out else 0.98),
            ))
        lifted_year = None
        if plan.lifted_out:
            lifted_year = rng.choices(range(2014, 2021), (4, 8, 14, 20, 26, 20, 8))[0]
        village = self.village
        self.h = RegisterHousehold(
            code=self.code, township=village.township, village=village.name,
            address=f"{COUNTY_NAME}{village.township}{village.name}{self.house_number}号",
            household_type=HouseholdType.LIFTED_OUT if plan.lifted_out else HouseholdType.ORDINARY,
            members=members, lifted_out_year=lifted_year, occurred_on=registered_on,
        ).register(Recording(by=village.township_actor, at=self.at(registered_on),
                             command_id=self.command_id()))
        self.plan_year(registered_on)

    def plan_year(self, registered_on: date) -> None:
        rng, plan = self.rng, self.plan
        self.schedule(registered_on, P_MEMBERS, self.name_grid_worker)
        if plan.lifted_out:  # 四个不摘: a 脱贫户 has its 帮扶责任人
            self.schedule(self.days(registered_on, 0, 2), P_HELP, self.name_helper)
        if plan.lifted_out:
            # The last year-end income check (of the year before, unless registered in
            # December), against the line in force on its day.
            checked = self.days(registered_on, 1, 10)
            self.schedule(checked, P_INCOME, self.assess,
                          checked.year if checked.month == 12 else checked.year - 1,
                          rng.uniform(1.25, 3.0))
            self.start_visits(self.days(registered_on, 1, 3))
        self.schedule(self.next_on(11, 15) + timedelta(days=rng.randint(0, 30)), P_INCOME,
                      self.year_end_assessment)
        new_year = date(self.end.year, 1, 1)
        if new_year > self.start:  # the window spans two years: subsidies are renewed in January
            self.schedule(self.days(new_year, 1, 24), P_HELP, self.renew_subsidies)
        if plan.fate is not None:
            self.plan_episode(plan, registered_on)
        self.plan_member_changes()
        if plan.correction or (plan.fate is not None and rng.random() < 0.03):
            self.schedule(self.start + timedelta(days=rng.randint(243, 353)), P_LATE, self.correct)

    def plan_episode(self, plan: Plan, registered_on: date) -> None:
        rng, start = self.rng, self.start
        risk: RiskType | None = None
        if plan.green:
            risk = RiskType.NATURAL_DISASTER if rng.random() < 0.6 else RiskType.ACCIDENT
        if plan.eliminate:
            day = (registered_on if plan.history else start) + timedelta(days=rng.randint(4, 79))
            while risk in (None, RiskType.NATURAL_DISASTER):
                risk = weighted(rng, RISKS)
        else:
            month = list(self.window.months())[-12:][plan.month]
            first = max(month, start + timedelta(days=2))
            # found in the first weeks of its month, so that most are decided in it
            last = min(month + timedelta(days=19), self.end)
            day = first + timedelta(days=rng.randint(0, max(0, (last - first).days)))
            if plan.green_owed:  # the steps are owed, as they are a week or two in
                day = self.end - timedelta(days=rng.randint(8, 16))
            if plan.stage is not None:  # work left open on the last day
                day = self.end - timedelta(days=plan.stage.discovered)
            if risk is None:
                risk = weighted(rng, RISKS)
            if risk is RiskType.NATURAL_DISASTER and not 7 <= day.month <= 9:
                # disasters come with the summer floods: out of season, another sudden risk
                risk = RiskType.ACCIDENT if plan.green else RiskType.ILLNESS
        if risk is None:
            risk = weighted(rng, RISKS)
        sudden = risk in (RiskType.NATURAL_DISASTER, RiskType.ACCIDENT)
        green = plan.green or (sudden and rng.random() < 0.35)
        late = rng.random() < 0.08 or plan.late
        stage = plan.stage
        script = Script(
            fate=plan.fate or INCLUDE, green=green and stage is None,
            green_owed=plan.green_owed, eliminate=plan.eliminate, reentry=plan.reentry,
            late=late and stage is None, pending=plan.pending, pushed=plan.pushed,
            objection=plan.objection, appeal_late=plan.appealed_late,
            hold=stage.hold if stage else None,
            appeal_on=self.end - timedelta(days=stage.appeal) if stage and stage.appeal else None,
        )
        self.schedule(day, P_ALERT, self.episode, script, risk)



# ---------------------------------------------------------------------------------- generation

def generate_county(households: int, seed: int = 2025, until: date | DemoWindow = DEMO_UNTIL,
                    ) -> Iterator[Household]:
    """Stream ``households`` Household aggregates with their pending (unsaved) events.

    Deterministic in (until, seed, index): the same seed gives the same events, and household
    ``i`` does not depend on how many are asked for. Households are registered in the month
    before the window and live through the twelve months that end on ``until`` (a day, or a
    `DemoWindow` that also caps recording times). Memory stays flat: one household is built at a
    time, and the only state carried across households is per village and per birth date, the
    stages still to hand out in the demo users' area, and a few daughters who left to marry
    (a later household's son may marry one: she moves, `Weddings`).
    """
    if households < 0:
        raise ValueError("households must not be negative")
    window = until if isinstance(until, DemoWindow) else DemoWindow.ending(until)
    assigner = VillageAssigner()
    ids = IdNumbers(date(window.until.year + 1, 12, 31))
    desks, weddings = DeskStages(), Weddings()
    plans: list[Plan] = []
    for index in range(households):
        block, slot = divmod(index, BLOCK_SIZE)
        if slot == 0:
            plans = block_plans(seed, block)
        village, serial = assigner.next()
        simulation = Simulation(
            rng=Random(f"{seed}/household/{index}"), seed=seed, window=window,
            plan=desks.plan_for(village, plans[slot]), village=village, serial=serial, ids=ids,
            weddings=weddings,
        )
        yield simulation.run()
