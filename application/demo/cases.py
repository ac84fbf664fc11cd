"""A demo household's risk cases from the alert to the county's decision: the three channels
(with provincial-then-county duplicate pushes), the four identification steps with rejections and
late cases, and the green channel."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.commands import (
    AnswerAppeal,
    CountyDecision,
    LodgeAppeal,
    MemberChanges,
    ObjectionIn,
    OpenGreenChannel,
    RaiseAlert,
    TownshipReview,
    UpdateMember,
    VerifyAtHome,
    VillageDeliberation,
)
from application.demo.county import DEPARTMENT_ACTORS
from application.demo.pushes import batch_for, period_of
from application.demo.tables import (
    APPEALS,
    DEPARTMENTS_FOR,
    DISEASES,
    INCLUDE,
    NO_RISK,
    OBJECTIONS,
    P_ALERT,
    P_ELIMINATE,
    P_HELP,
    P_STEP,
    REJECT_COUNTY,
    REJECT_TOWNSHIP,
    REJECT_VILLAGE,
    SECOND_RISK,
    STEPS,
    Script,
)
from application.demo.year import YearAgenda
from domain.codes import (
    NO_WORKING_CAPACITY,
    AppealSubject,
    Category,
    Channel,
    Decision,
    Department,
    DisasterKind,
    Finding,
    Health,
    HouseholdType,
    MeasureStatus,
    ObjectionOutcome,
    Problem,
    RiskType,
    Role,
    SuddenHardship,
    Tier,
)
from domain.rules import GREEN_CHANNEL_RISKS, RELIEF_CAUSES, add_months, simplified_approval_blockers
from domain.values import Case, Member


class Cases(YearAgenda):
    """Alerts, and the identification of the cases they open."""

    # ---------------------------------------------------------------- alerts

    def person_for(self, risk: RiskType, day: date) -> Member:
        current = self.current(day)
        rng = self.rng
        if risk is RiskType.ILLNESS:
            sick = [m for m in current if m.health in (Health.CHRONIC_ILLNESS, Health.SERIOUS_ILLNESS)]
            return rng.choice(sick or current)
        if risk is RiskType.DISABILITY:
            disabled = [m for m in current if m.health is Health.DISABLED]
            return rng.choice(disabled or current)
        if risk is RiskType.SCHOOLING:
            return rng.choice([m for m in current if m.in_school])
        if risk in (RiskType.UNSTABLE_EMPLOYMENT, RiskType.ACCIDENT, RiskType.FAILED_INDUSTRY):
            workers = [m for m in current if m.labour_capacity not in NO_WORKING_CAPACITY]
            return rng.choice(workers or current)
        return self.h.head

    def describe(self, risk: RiskType, person: Member, day: date,
                 disaster: DisasterKind | None) -> str:
        rng = self.rng
        if risk is RiskType.ILLNESS:
            cost = rng.randint(20, 180) * 1000
            return f"{person.name}患{rng.choice(DISEASES)}住院治疗，自付医疗费用约{cost}元"
        if risk is RiskType.DISABILITY:
            kind = rng.choice(("肢体", "视力", "精神", "智力"))
            return f"{person.name}新办理残疾证（{kind}残疾），家庭负担加重"
        if risk is RiskType.SCHOOLING:
            return f"{person.name}就读{rng.choice(('高中', '中职', '大学'))}，学杂费、生活费支出大"
        if risk is RiskType.NATURAL_DISASTER:
            what = {DisasterKind.FLOOD: "强降雨引发山洪，房屋受损、农作物绝收",
                    DisasterKind.GEOLOGICAL: "山体滑坡损毁房屋",
                    DisasterKind.METEOROLOGICAL: "冰雹灾害致玉米、谷子绝收",
                    DisasterKind.DROUGHT: "持续干旱致农作物减产"}.get(disaster, "自然灾害造成损失")
            return f"{day.month}月{day.day}日{what}"
        if risk is RiskType.ACCIDENT:
            return f"{person.name}{rng.choice(('发生交通事故受伤', '务工时坠落受伤', '家中失火'))}，损失较大"
        if risk is RiskType.FAILED_INDUSTRY:
            return rng.choice(("养殖的肉牛发生疫病死亡", "种植的柴胡、黄芩滞销",
                               "香菇大棚经营亏损")) + f"，损失约{rng.randint(8, 60) * 1000}元"
        if risk is RiskType.UNSTABLE_EMPLOYMENT:
            return f"{person.name}在外务工的工地停工，失业返乡"
        if risk is RiskType.LACK_OF_LABOUR:
            return "家中主要劳动力因病丧失劳动能力，无人务工"
        return rng.choice(("房屋出现裂缝存在安全隐患", "家庭突发困难申请救助", "网络反映家庭生活困难"))

    def episode(self, day: date, script: Script, risk: RiskType) -> None:
        """A risk befalls the household and is found through one of the three channels."""
        rng = self.rng
        current = self.current(day)
        if risk is RiskType.SCHOOLING and not any(m.in_school for m in current):
            risk = RiskType.ILLNESS
        person = self.person_for(risk, day)
        risks = [risk]
        second = SECOND_RISK.get(risk)
        if second is not None and rng.random() < 0.25 and (
            second is not RiskType.SCHOOLING or any(m.in_school for m in current)
        ):
            risks.append(second)
        disaster = None
        if RiskType.NATURAL_DISASTER in risks:
            disaster = rng.choices((DisasterKind.FLOOD, DisasterKind.GEOLOGICAL,
                                    DisasterKind.METEOROLOGICAL, DisasterKind.DROUGHT),
                                   (60, 15, 15, 10))[0]
        problems: list[Problem] = []
        if disaster in (DisasterKind.FLOOD, DisasterKind.GEOLOGICAL) and rng.random() < 0.6:
            problems.append(Problem.UNSAFE_HOUSING)
        if any(not m.insured for m in current) and rng.random() < 0.5:
            problems.append(Problem.UNINSURED_MEMBER)
        roll = rng.random()
        dept_share = 0.6 if risk in (RiskType.NATURAL_DISASTER, RiskType.ILLNESS) else 0.35
        if day < self.start:  # before the year: the village found it (no push of the year)
            channel = Channel.CADRE_SCREENING
        elif roll < dept_share or script.pushed:
            channel = Channel.DEPARTMENT_ALERT
        elif roll < dept_share + (1 - dept_share) * 0.45:
            channel = Channel.SELF_DECLARATION
        else:
            channel = Channel.CADRE_SCREENING
        script.person = person.id_number
        outcome = self.alert(day, channel, person, tuple(risks), disaster, problems)
        if outcome is None or not outcome.new_case:
            return
        self.scripts[outcome.case_number] = script
        self.schedule_identification(outcome.case_number, day, script)
        if rng.random() < 0.1 and day >= self.start:  # another source reports it days later
            self.schedule(self.days(day, 1, 6), P_ALERT, self.joining_alert,
                          outcome.case_number, person.id_number, risks[0])

    def alert(self, day: date, channel: Channel, person: Member, risks: tuple[RiskType, ...],
              disaster: DisasterKind | None, problems: list[Problem]) -> Any:
        rng = self.rng
        description = self.describe(risks[0], person, day, disaster)
        if channel is Channel.DEPARTMENT_ALERT:
            department = rng.choice(DEPARTMENTS_FOR[risks[0]])
            tier = Tier.PROVINCIAL if rng.random() < 0.6 else Tier.COUNTY
            # ① 因疫: some of 卫健局's illness alerts come from an epidemic (due within 7 days)
            epidemic = (department is Department.HEALTH and RiskType.ILLNESS in risks
                        and rng.random() < 0.2)
            if epidemic:
                description = "感染传染病住院隔离治疗，" + description
            outcome = self.department_alert(day, department, tier, person.id_number, risks,
                                            disaster, problems, description,
                                            SuddenHardship.EPIDEMIC if epidemic else None)
            if tier is Tier.PROVINCIAL and rng.random() < 0.2:
                # The county tier pushes the same (person, risk, department) again.
                self.schedule(self.days(day, 2, 8), P_ALERT, self.county_repush, department,
                              person.id_number, risks, disaster, description)
            return outcome
        by = self.village.liaison
        return self.do(by, RaiseAlert(alert_id=self.next_id("A"), channel=channel,
                                      person_id_number=person.id_number, risk_types=list(risks),
                                      description=description, disaster_kind=disaster,
                                      problems=problems, occurred_on=day))

    def department_alert(self, day: date, department: Department, tier: Tier, person_id: str,
                         risks: tuple[RiskType, ...], disaster: DisasterKind | None,
                         problems: list[Problem], description: str,
                         sudden_hardship: SuddenHardship | None = None) -> Any:
        """A row of a department's push (`application.demo.pushes`): recorded with the alert id
        and command id the push of its batch gives it, so that sending the batch later finds it."""
        batch, group = batch_for(self.window, self.seed, department, tier, day, self.h)
        row_id = self.next_id("A")
        return self.do(DEPARTMENT_ACTORS[department], RaiseAlert(
            alert_id=batch.alert_id(row_id), channel=Channel.DEPARTMENT_ALERT,
            person_id_number=person_id, risk_types=list(risks), description=description,
            period=period_of(batch), department=department, tier=batch.tier,
            batch_id=batch.batch_id, disaster_kind=disaster, problems=problems,
            target_group=group, sudden_hardship=sudden_hardship, occurred_on=day,
        ), command_id=batch.command_id(row_id))

    def county_repush(self, day: date, department: Department, person_id: str,
                      risks: tuple[RiskType, ...], disaster: DisasterKind | None,
                      description: str) -> None:
        """The county tier pushes what the province already pushed: recorded as a duplicate."""
        member = self.h.members.get(person_id)
        if member is None or not member.is_member_on(day):
            return
        self.department_alert(day, department, Tier.COUNTY, person_id, risks, disaster, [],
                              description)

    def joining_alert(self, day: date, case_number: int, person_id: str, risk: RiskType) -> None:
        case = self.h.active_case
        member = self.h.members.get(person_id)
        if case is None or case.number != case_number or member is None \
                or not member.is_member_on(day):
            return
        department = DEPARTMENTS_FOR[risk][-1]
        disaster = None
        if risk is RiskType.NATURAL_DISASTER:
            disaster = self.h.alerts[case.alert_ids[0]].disaster_kind or DisasterKind.OTHER
        self.department_alert(day, department, Tier.COUNTY, person_id, (risk,), disaster, [],
                              f"{department}排查发现{member.name}存在返贫致贫风险")

    # ---------------------------------------------------------------- identification

    def schedule_identification(self, number: int, discovered: date, script: Script) -> None:
        if script.pending or script.holds("home_visit"):
            return  # the liaison has not been to the household yet
        first = self.days(discovered, 1, 3)
        if script.late:
            first = self.days(first, 5, 11)
        self.schedule(first, P_STEP, self.verify, number)

    def schedule_steps(self, number: int, after: date, script: Script) -> None:
        notice_from = self.days(after, 1, 2)
        notice_to = self.days(notice_from, 4, 6)
        village_on = self.days(notice_to, 0, 1)
        township_on = self.days(after, 2, 7)
        if script.late:
            township_on = self.days(township_on, 6, 14)
        county_on = self.days(max(village_on, township_on), 1, 3)
        for step, day, action, args in (
                ("village_notice", village_on, self.village_step, (notice_from, notice_to)),
                ("township_review", township_on, self.township_step, ()),
                ("county_decision", county_on, self.county_step, ())):
            if not script.holds(step):  # a step held on the last day is not taken by then
                self.schedule(day, P_STEP, action, number, *args)

    def identifying(self, number: int) -> Case | None:
        case = self.h.cases[number - 1]
        return None if case.closed or case.included else case

    def verify(self, day: date, number: int) -> None:
        case = self.identifying(number)
        if case is None or case.identification.home_visit is not None:
            return
        script = self.scripts[number]
        liaison = self.village.liaison
        if script.fate == NO_RISK:
            self.do(liaison, VerifyAtHome(
                case_number=number, finding=Finding.NO_RISK, risk_clear=True,
                notes=self.rng.choice(("经入户核实，医疗费用已由大病保险报销，家庭基本生活无困难",
                                       "经入户核实，家庭收入稳定，无返贫致贫风险",
                                       "经入户核实，损失已由商业保险理赔")),
                occurred_on=day))
            return
        person = self.h.members.get(script.person)
        if (RiskType.ILLNESS in case.risk_types and person is not None and person.left_on is None
                and person.health is Health.HEALTHY):
            self.do(liaison, UpdateMember(id_number=person.id_number,
                                          changes=MemberChanges(health=Health.SERIOUS_ILLNESS),
                                          occurred_on=day))
        self.do(liaison, VerifyAtHome(case_number=number, finding=Finding.RISK_CONFIRMED,
                                      risk_clear=self.rng.random() < 0.85, notes="入户核实风险属实",
                                      occurred_on=day))
        hardship = self.green_hardship(case)
        if script.green and hardship is not None:
            opened = self.days(day, 0, 1)
            self.schedule(opened, P_STEP, self.open_green_channel, number, hardship, day)
            if not script.green_owed:
                self.schedule_steps(number, self.days(opened, 3, 10), script)
        else:
            self.schedule_steps(number, day, script)

    @staticmethod
    def green_hardship(case: Case) -> SuddenHardship | None:
        for hardship in (SuddenHardship.NATURAL_DISASTER, SuddenHardship.ACCIDENT):
            if set(case.risk_types) & GREEN_CHANNEL_RISKS[hardship]:
                return hardship
        return None

    def open_green_channel(self, day: date, number: int, hardship: SuddenHardship,
                           visited: date) -> None:
        case = self.identifying(number)
        if case is None or case.green_channel is not None:
            return
        self.do(self.village.township_actor, OpenGreenChannel(
            case_number=number, hardship=hardship, studied_on=visited, approved_on=day,
            occurred_on=day))
        self.schedule(day, P_HELP, self.analyse, number)
        causes = [r for r in case.risk_types if r in RELIEF_CAUSES]
        if causes:  # 先开展帮扶救助: 防贫保 may pay while steps 2–4 are still owed
            self.schedule(self.days(day, 1, 6), P_HELP, self.relief, number, causes[0])

    def village_step(self, day: date, number: int, notice_from: date, notice_to: date) -> None:
        case = self.identifying(number)
        if case is None or case.identification.rejected or case.identification.home_visit is None:
            return
        script = self.scripts[number]
        rejected = script.fate == REJECT_VILLAGE
        objections: list[str | ObjectionIn] = []
        if rejected or script.objection or self.rng.random() < 0.12:
            # mostly found not upheld; an upheld one rejects the case or, passed, rules out the
            # county's simplified approval
            content, why_upheld, why_not = self.rng.choice(OBJECTIONS)
            upheld = rejected or self.rng.random() < 0.2
            objections.append(ObjectionIn(
                content=content, reason=why_upheld if upheld else why_not,
                outcome=ObjectionOutcome.UPHELD if upheld else ObjectionOutcome.NOT_UPHELD))
        self.do(self.village.liaison, VillageDeliberation(
            case_number=number, decision=Decision.REJECTED if rejected else Decision.PASSED,
            notice_from=notice_from, notice_to=notice_to, objections=objections,
            reason="群众评议认为该户家庭收入较高，不符合纳入条件" if rejected else "", occurred_on=day))
        if rejected:
            self.closed(day, number)
            self.may_appeal(day, number, 0.3)

    def township_step(self, day: date, number: int) -> None:
        case = self.identifying(number)
        if case is None or case.identification.rejected or case.identification.home_visit is None:
            return
        rejected = self.scripts[number].fate == REJECT_TOWNSHIP
        reason = ""
        if rejected:
            reason = self.rng.choice(("核查发现家庭成员有财政供养人员", "核查发现家庭在城镇购有商品房",
                                      "核查发现家庭成员经营企业"))
        self.do(self.village.township_actor, TownshipReview(
            case_number=number, decision=Decision.REJECTED if rejected else Decision.PASSED,
            disqualifying_found=rejected, reason=reason, occurred_on=day))
        if rejected:
            self.closed(day, number)
            self.may_appeal(day, number, 0.3)

    def county_step(self, day: date, number: int) -> None:
        case = self.identifying(number)
        procedure = case.identification if case else None
        if case is None or procedure is None or procedure.rejected \
                or procedure.village_notice is None or procedure.township_review is None:
            return
        script = self.scripts[number]
        by = self.county_actor()
        if script.fate == REJECT_COUNTY:
            self.do(by, CountyDecision(
                case_number=number, decision=Decision.REJECTED,
                reason=self.rng.choice(("比对发现家庭名下登记有小轿车", "比对发现家庭存款超过认定标准",
                                        "比对发现家庭在县城有商品房")),
                occurred_on=day))
            self.closed(day, number)
            self.may_appeal(day, number, 0.5)
            return
        simplified = not simplified_approval_blockers(case) and self.rng.random() < 0.6
        self.do(by, CountyDecision(
            case_number=number, decision=Decision.PASSED, category=self.category_for(case),
            risk_types=list(case.risk_types[:5]), simplified=simplified,
            asset_comparison="" if simplified else "已比对存款、房产、车辆，未发现不予认定情形",
            occurred_on=day,
        ))
        self.included(day, number)

    def may_appeal(self, day: date, number: int, chance: float) -> None:
        """申诉: the household contests the refusal now and then, a few days after it — or on
        the day its script says (an appeal still waiting for its answer on the last day)."""
        script = self.scripts[number]
        if script.appeal_on is not None:
            self.schedule(max(script.appeal_on, day), P_STEP, self.appeal, number)
        elif script.appeal_late or self.rng.random() < chance:
            self.schedule(self.days(day, 2, 10), P_STEP, self.appeal, number)

    def appeal(self, day: date, number: int) -> None:
        """The household appeals against the refusal; the unit that refused answers in 5 to 20
        days (after 15 it is late), mostly upholding its refusal."""
        case = self.h.cases[number - 1]
        if case is not self.h.cases[-1] or not case.closed or case.open_appeal is not None \
                or case.identification.rejected_step is None:
            return
        said = APPEALS[refused_at(case)]
        self.do(self.village.liaison, LodgeAppeal(
            case_number=number, appeal_id=self.next_id("SS"), against=AppealSubject.REFUSAL,
            appellant=self.h.head.name, by_household=self.rng.random() < 0.7,
            content=self.rng.choice(said[0]), occurred_on=day))
        script = self.scripts[number]
        if script.appeal_on is None:  # else still waiting on the last day
            self.schedule(self.days(day, *((16, 22) if script.appeal_late else (5, 20))), P_STEP,
                          self.answer_appeal, number, case.appeals[-1].appeal_id)

    def answer_appeal(self, day: date, number: int, appeal_id: str) -> None:
        case = self.h.cases[number - 1]
        appeal = next(a for a in case.appeals if a.appeal_id == appeal_id)
        if not appeal.pending:
            return
        by = {Role.VILLAGE_LIAISON: self.village.liaison,
              Role.TOWNSHIP_WORKSTATION: self.village.township_actor}.get(appeal.deciding_role)
        reason = APPEALS[refused_at(case)][1]
        self.do(by or self.county_actor(), AnswerAppeal(
            case_number=number, appeal_id=appeal_id, outcome=ObjectionOutcome.NOT_UPHELD,
            reason=reason, occurred_on=day))

    def category_for(self, case: Case) -> Category:
        sudden = bool(set(case.risk_types) & {RiskType.NATURAL_DISASTER, RiskType.ACCIDENT})
        illness = RiskType.ILLNESS in case.risk_types
        roll = self.rng.random()
        if self.h.household_type is HouseholdType.LIFTED_OUT:
            if (sudden and roll < 0.3) or (illness and roll < 0.1):
                return Category.SUDDEN_SEVERE_HARDSHIP
            return Category.UNSTABLE_LIFTED_OUT
        if (sudden and roll < 0.6) or (illness and roll < 0.3):
            return Category.SUDDEN_SEVERE_HARDSHIP
        return Category.EDGE_OF_POVERTY

    def closed(self, day: date, number: int) -> None:
        """A case ended without inclusion: help started in the green channel stops."""
        for measure in self.h.measures.values():
            if measure.case_number == number and measure.status is not MeasureStatus.ENDED:
                self.schedule(self.days(day, 0, 3), P_HELP, self.end_measure,
                              measure.measure_id, "认定未通过，帮扶措施终止")

    def included(self, day: date, number: int) -> None:
        rng = self.rng
        case = self.h.cases[number - 1]
        script = self.scripts.get(number) or Script(INCLUDE)
        if not any(a.case_number == number for a in self.h.analyses):
            self.schedule(self.days(day, 0, 4), P_HELP, self.analyse, number)
        self.schedule(self.days(day, 1, 20), P_HELP, self.subsidise, number)
        causes = [r for r in case.risk_types if r in RELIEF_CAUSES]
        if causes and (script.green or rng.random() < 0.5):
            self.schedule(self.days(day, 5, 40), P_HELP, self.relief, number, causes[0])
        self.start_visits(self.days(day, 1, 5))
        self.helper_for_case(day, number)
        if script.eliminate:
            self.schedule(self.days(add_months(day, 6), 3, 20), P_ELIMINATE, self.eliminate, number)
        elif rng.random() < 0.6:
            self.schedule(self.days(add_months(day, 6), 3, 40), P_ELIMINATE, self.eliminate, number)


def refused_at(case: Case) -> str:
    """The step (of `STEPS`) whose refusal ended the case's identification."""
    procedure = case.identification
    return next(name for name, step in zip(STEPS, procedure.steps, strict=True)
                if step is not None and step is procedure.rejected_step)
