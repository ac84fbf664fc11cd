"""Help for a demo household under monitoring: risk analysis, help measures, medical insurance
subsidies, 防贫保 payouts; and the monthly visits and income assessments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from application.commands import (
    AnalyseRisk,
    AssessIncome,
    AssignMeasure,
    EndMeasure,
    PayReliefInsurance,
    PutMeasureInPlace,
    RaiseAlert,
    RecordVisit,
    SubsidiseMedicalInsurance,
)
from application.demo.county import (
    DEPARTMENT_ACTORS,
    RELIEF_INSURERS,
    full_name,
    income_line_on,
    relief_bands_on,
)
from application.demo.families import age_on
from application.demo.tables import (
    DEVELOPMENT,
    FAILED_CHECK_WEIGHTS,
    INCLUDE,
    MEASURE_AMOUNT,
    MEASURE_DEPARTMENT,
    NEEDS_FOR,
    NEEDS_FOR_PROBLEM,
    ORDERED_LABOUR,
    P_ALERT,
    P_HELP,
    P_VISIT,
    SUBSIDY,
    Script,
    money,
    weighted,
)
from application.demo.year import YearAgenda
from domain.codes import (
    NO_WORKING_CAPACITY,
    Channel,
    Check,
    Department,
    Health,
    HouseholdType,
    MeasureStatus,
    MeasureType,
    RiskType,
    Sex,
)
from domain.rules import PROTECTION_CAPACITIES
from domain.values import Case, Member


class Help(YearAgenda):
    """Analysis and help measures; monthly visits and income assessments."""

    # ---------------------------------------------------------------- help

    def under_help(self, number: int) -> Case | None:
        case = self.h.active_case
        return case if case is not None and case.number == number and case.helpable else None

    def analyse(self, day: date, number: int) -> None:
        case = self.under_help(number)
        if case is None or any(a.case_number == number for a in self.h.analyses):
            return
        rng = self.rng
        current = self.current(day)
        labour = min((m.labour_capacity for m in current), key=ORDERED_LABOUR.index)
        can_work = labour not in NO_WORKING_CAPACITY
        needs: list[MeasureType] = []
        for risk in case.risk_types:
            needs.extend(NEEDS_FOR[risk])
        for alert_id in case.alert_ids:
            needs.extend(NEEDS_FOR_PROBLEM[p] for p in self.h.alerts[alert_id].problems)
        if any(m.in_school and 6 <= age_on(m.birth_date, day) <= 15 for m in current) \
                and RiskType.SCHOOLING in case.risk_types:
            needs.append(MeasureType.COMPULSORY_EDUCATION)
        if can_work:  # 开发式帮扶 for those who can work
            if not DEVELOPMENT & set(needs):
                needs.append(rng.choice((MeasureType.EMPLOYMENT, MeasureType.INDUSTRY)))
        else:  # 兜底保障 for those who cannot
            needs = [n for n in needs if n not in DEVELOPMENT] + [MeasureType.SOCIAL_SECURITY]
        needs = list(dict.fromkeys(needs))
        self.do(self.village.township_actor, AnalyseRisk(
            causes=list(case.risk_types), labour_capacity=labour, needs=needs,
            notes="缺什么补什么，因户施策" if can_work else "整户无劳动能力，落实兜底保障", occurred_on=day))
        if case.included:
            # a few fell below the poverty line itself (返贫致贫), most are only at risk
            ratio = rng.uniform(0.45, 0.55) if rng.random() < 0.06 else rng.uniform(0.65, 1.15)
            if self.plan.poor and case.number == 1:
                ratio = rng.uniform(0.4, 0.55)  # the poverty line is about 0.58 of the income line
            self.assess(day, day.year, ratio)
        green = case.green_channel is not None
        for n, need in enumerate(needs):
            if n and rng.random() < 0.1 and not green:
                continue  # a need left without a measure: 缺什么补什么 not kept
            self.schedule(self.days(day, 0, 2 + 2 * n), P_HELP, self.assign, number, need)

    def assign(self, day: date, number: int, measure_type: MeasureType) -> None:
        if self.under_help(number) is None:
            return
        rng = self.rng
        department = MEASURE_DEPARTMENT[measure_type]
        if measure_type is MeasureType.SOCIAL_SECURITY and any(
            m.health is Health.DISABLED for m in self.current(day)
        ):
            department = Department.DISABLED_FEDERATION  # 残疾人两项补贴
        bounds = MEASURE_AMOUNT[measure_type]
        amount = Decimal(rng.randint(bounds[0], bounds[1]) * bounds[2]) if bounds else None
        analysis = self.h.latest_analysis(number, day)
        reason = ""  # 兜底 for a household able to work: the documented reason (民政 found it)
        if measure_type is MeasureType.SOCIAL_SECURITY and analysis is not None \
                and analysis.labour_capacity not in PROTECTION_CAPACITIES:
            reason = "家庭成员患大病、刚性支出大，经民政部门审核纳入临时救助"
        measure_id = self.next_id("M")
        self.do(self.village.township_actor, AssignMeasure(
            measure_id=measure_id, measure_type=measure_type, department=department,
            responsible_person=full_name(rng, Sex.MALE if rng.random() < 0.6 else Sex.FEMALE, 1980),
            amount=amount, reason=reason, occurred_on=day))
        script = self.scripts.get(number)
        roll = rng.random()
        if (script is not None and script.eliminate) or self.h.cases[number - 1].green_channel:
            roll = 0.0  # the green channel helps first: in place within days
        if roll < 0.88:
            self.schedule(self.days(day, 2, 18), P_HELP, self.in_place, measure_id)
        elif roll < 0.95:  # late: more than 30 days after identification
            self.schedule(self.days(day, 35, 75), P_HELP, self.in_place, measure_id)

    def in_place(self, day: date, measure_id: str) -> None:
        measure = self.h.measures[measure_id]
        if measure.status is not MeasureStatus.PLANNED:
            return
        if measure.case_number is not None and not self.h.cases[measure.case_number - 1].active:
            self.end_measure(day, measure_id, "案件已结束，未落实的措施取消")
            return
        self.do(DEPARTMENT_ACTORS[measure.department],
                PutMeasureInPlace(measure_id=measure_id, occurred_on=day))
        protection = measure.measure_type is MeasureType.SOCIAL_SECURITY and \
            self.h.without_labour_on(day)  # 兜底保障 goes on while nobody can work
        if not protection and self.rng.random() < 0.25:
            self.schedule(self.days(day, 30, 150), P_HELP, self.end_measure, measure_id,
                          self.rng.choice(("帮扶完成", "临时救助已发放完毕", "补助已足额发放")))

    def follow_up(self, day: date) -> None:
        """四个不摘: a 脱贫户 that is not a monitoring object gets a follow-up measure (产业、就业
        帮扶 go on after lifting out), put in place within weeks."""
        case = self.h.active_case
        if self.h.household_type is not HouseholdType.LIFTED_OUT or (case is not None and case.helpable):
            return
        measure_type = self.rng.choice((MeasureType.INDUSTRY, MeasureType.EMPLOYMENT))
        measure_id = self.next_id("M")
        self.do(self.village.township_actor, AssignMeasure(
            measure_id=measure_id, measure_type=measure_type,
            department=MEASURE_DEPARTMENT[measure_type],
            responsible_person=full_name(self.rng, Sex.FEMALE, 1982),
            reason="脱贫户持续跟踪帮扶政策落实", occurred_on=day))
        self.schedule(self.days(day, 3, 20), P_HELP, self.in_place, measure_id)

    def end_measure(self, day: date, measure_id: str, reason: str) -> None:
        measure = self.h.measures[measure_id]
        if measure.status is MeasureStatus.ENDED or day < (measure.in_place_on or measure.started_on):
            return
        self.do(self.village.township_actor,
                EndMeasure(measure_id=measure_id, reason=reason, occurred_on=day))

    def subsidise(self, day: date, number: int) -> None:
        case = self.h.monitored_case
        if case is None or case.number != number or case.category is None:
            return
        for member in self.subsidy_members(day):
            if f"{member.id_number}:{day.year}" in self.h.subsidies or self.rng.random() < 0.03:
                continue
            self.do(DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE], SubsidiseMedicalInsurance(
                id_number=member.id_number, year=day.year, amount=SUBSIDY[case.category],
                occurred_on=day))

    def subsidy_members(self, day: date) -> list[Member]:
        """The members 医保局 subsidises: all, but for the household whose youngest it missed."""
        members = self.current(day)
        if self.plan.unsubsidised and len(members) > 1:
            youngest = max(members, key=lambda m: m.birth_date)
            members = [m for m in members if m is not youngest]
        return members

    def renew_subsidies(self, day: date) -> None:
        """January: 医保局 pays the new year's subsidy for the members of a household still
        monitored — most at once, a few forgotten (应保尽保 not quite kept)."""
        case = self.h.monitored_case
        if case is None or case.category is None:
            return
        for member in self.subsidy_members(day):
            if f"{member.id_number}:{day.year}" in self.h.subsidies or self.rng.random() < 0.06:
                continue
            self.do(DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE], SubsidiseMedicalInsurance(
                id_number=member.id_number, year=day.year, amount=SUBSIDY[case.category],
                occurred_on=day))

    def relief(self, day: date, number: int, cause: RiskType) -> None:
        """A 防贫保 payout for the case's sudden hardship: what the county's bands give for the
        out-of-pocket cost, within the year's cap (a green-channel case may be paid while its
        steps are under way)."""
        case = self.under_help(number)
        bands = relief_bands_on(day)
        if case is None or bands is None or any(p.case_number == number for p in self.h.payouts.values()):
            return
        rng = self.rng
        low, high = {RiskType.ILLNESS: (80, 800), RiskType.NATURAL_DISASTER: (40, 400),
                     RiskType.ACCIDENT: (60, 600)}[cause]
        out_of_pocket = Decimal(rng.randint(low, high) * 100)
        paid = sum((p.amount for p in self.h.payouts.values() if p.occurred_on.year == day.year),
                   Decimal(0))
        amount = min(bands.ceiling(cause, out_of_pocket) or Decimal(0), bands.yearly_cap - paid)
        if amount <= 0:
            return
        person = self.h.members.get(self.scripts.get(number, Script(INCLUDE)).person)
        beneficiary = person.id_number if person is not None and person.left_on is None else None
        self.do(self.county_actor(), PayReliefInsurance(
            payout_id=self.next_id("P"), cause=cause, out_of_pocket=out_of_pocket, amount=amount,
            insurer=rng.choice(RELIEF_INSURERS), basic_living_in_difficulty=True,
            beneficiary_id_number=beneficiary, occurred_on=day))

    # ---------------------------------------------------------------- visits and income

    def start_visits(self, day: date) -> None:
        if not self.visiting:
            self.visiting = True
            self.schedule(day, P_VISIT, self.month)

    def month(self, day: date) -> None:
        """The month's visit (most months; some are missed), then next month's."""
        if day.day <= 28 and self.rng.random() < 0.94:
            self.schedule(self.days(day, 0, 28 - day.day), P_VISIT, self.visit)
        following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        self.schedule(following, P_VISIT, self.month)

    def visit(self, day: date) -> None:
        rng = self.rng
        checks = dict.fromkeys(Check, True)
        steady = any(s.eliminate for s in self.scripts.values()) or self.plan.eliminate
        if not steady and rng.random() < 0.002:
            failed = weighted(rng, FAILED_CHECK_WEIGHTS)
            checks[failed] = False
        change = rng.random()
        income = money(rng.uniform(-2000, 3000)) if change < 0.15 else Decimal(0)
        spending = money(rng.uniform(0, 4000)) if change > 0.9 else Decimal(0)
        if self.h.household_type is HouseholdType.LIFTED_OUT and rng.random() < 0.01:
            self.schedule(self.days(day, 1, 10), P_HELP, self.follow_up)
        outcome = self.do(self.village.liaison, RecordVisit(
            visit_id=self.next_id("V"), visitor=self.village.liaison_name, checks=checks,
            income_change=income, spending_change=spending,
            notes="" if all(checks.values()) else "走访发现问题，已按乡村干部排查渠道上报",
            per_capita_income=self.visit_income(day), occurred_on=day,
        ))
        if outcome is not None and outcome.new_case:
            script = self.random_script()
            script.person = self.h.head.id_number
            self.scripts[outcome.case_number] = script
            self.schedule_identification(outcome.case_number, day, script)

    def visit_income(self, day: date) -> Decimal | None:
        """The per-capita income a visit to a monitoring object finds (income evidence, §9):
        near its last assessment until help is in place, then mostly above the line — steadily
        so for the households whose risk is to be eliminated."""
        case = self.h.monitored_case
        if case is None:
            return None
        rng = self.rng
        helped = any(m.case_number == case.number and m.in_place_on is not None
                     for m in self.h.measures.values())
        script = self.scripts.get(case.number)
        if helped:
            ratio = rng.uniform(1.1, 1.6) if script is not None and script.eliminate \
                else rng.uniform(0.95, 1.7)
        else:
            latest = self.h.latest_income_assessment(day)
            ratio = (float(latest.per_capita / latest.line_in_force) * rng.uniform(0.95, 1.05)
                     if latest is not None else rng.uniform(0.7, 1.1))
        return money(float(income_line_on(day)) * ratio)

    def assess(self, day: date, year: int, ratio: float) -> None:
        """Assess a year's per-capita net income at ``ratio`` times the line in force that day."""
        rng = self.rng
        line = income_line_on(day)
        members = self.current(day)
        size = self.h.household_size_on(day)
        # Who can work earns wages and farms; who cannot lives on transfers (pensions, 低保).
        work = sum(m.labour_capacity not in NO_WORKING_CAPACITY for m in members) / size
        weights = (
            work * rng.uniform(2.5, 4.0),  # 工资性
            work * rng.uniform(0.5, 1.5) + rng.uniform(0.0, 0.3),  # 生产经营性
            rng.uniform(0.0, 0.1),  # 财产性
            rng.uniform(0.5, 1.0) + (1 - work) * rng.uniform(1.5, 3.0),  # 转移性
        )
        shares = [w / sum(weights) for w in weights]
        cost_ratio = rng.uniform(0.2, 0.5)  # production costs as a share of business income
        gross = float(line) * ratio * size / (1 - cost_ratio * shares[1])
        parts = [money(gross * share) for share in shares]
        parts.append(money(gross * shares[1] * cost_ratio))
        self.do(self.village.township_actor, AssessIncome(
            assessment_id=self.next_id("I"), year=year, wages=parts[0], business=parts[1],
            property=parts[2], transfers=parts[3], production_costs=parts[4], occurred_on=day))

    def year_end_assessment(self, day: date) -> None:
        rng = self.rng
        cases = self.h.cases
        ever_included = any(c.included for c in cases)
        if self.h.household_type is not HouseholdType.LIFTED_OUT and not ever_included:
            return
        case = self.h.monitored_case
        if case is not None:
            script = self.scripts.get(case.number)
            steady = case.eliminating or (script is not None and script.eliminate)
            ratio = rng.uniform(1.15, 1.8) if steady else rng.uniform(0.75, 1.6)
        elif cases and cases[-1].eliminated:
            ratio = rng.uniform(1.2, 2.2)
        elif self.h.active_case is None and rng.random() < 0.02:
            ratio = rng.uniform(0.8, 0.97)  # fell below the line: a risk signal
            self.schedule(self.days(day, 1, 7), P_ALERT, self.low_income_alert)
        else:
            ratio = rng.uniform(1.2, 3.0)
        self.assess(day, day.year, ratio)

    def low_income_alert(self, day: date) -> None:
        if self.h.active_case is not None:
            return
        head = self.h.head
        latest = self.h.assessments[-1]
        outcome = self.do(self.village.liaison, RaiseAlert(
            alert_id=self.next_id("A"), channel=Channel.CADRE_SCREENING,
            person_id_number=head.id_number, risk_types=[RiskType.UNSTABLE_EMPLOYMENT],
            description=f"年度收入核算人均纯收入{latest.per_capita}元，低于收入监测标准{latest.line_in_force}元",
            occurred_on=day,
        ))
        if outcome.new_case:
            script = self.random_script()
            script.person = head.id_number
            self.scripts[outcome.case_number] = script
            self.schedule_identification(outcome.case_number, day, script)
