"""Members joining and leaving a demo household: births, marriages (a daughter of the county
marrying a later household's son moves to it), deaths, moving out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from application.commands import (
    JoinMember,
    LeaveMember,
    MemberChanges,
    MemberIn,
    SubsidiseMedicalInsurance,
    UpdateMember,
)
from application.demo.county import DEPARTMENT_ACTORS, full_name
from application.demo.families import Bride, age_on, birth_day, child_relation
from application.demo.tables import P_MEMBERS, SUBSIDY
from application.demo.year import YearAgenda
from domain.codes import Department, Health, JoinReason, LabourCapacity, LeaveReason, Relation, Sex


class Members(YearAgenda):
    """Births, marriages in and out, deaths and moves of a household's members."""

    def plan_member_changes(self) -> None:
        rng, start = self.rng, self.start
        changes: list[tuple[date, Callable[..., None], tuple[Any, ...]]] = []
        wedding: list[tuple[date, Callable[..., None], tuple[Any, ...]]] = []

        def some_day() -> date:
            return start + timedelta(days=rng.randint(0, 360))

        members = list(self.h.members.values())
        couple = [m for m in members if m.relation in (Relation.HEAD, Relation.SPOUSE)]
        mother = next((m for m in couple if m.sex is Sex.FEMALE
                       and 22 <= age_on(m.birth_date, start) <= 40), None)
        if (mother is not None and len(couple) == 2 and len(members) < 6
                and rng.random() < 0.06):
            changes.append((some_day(), self.birth, ()))
        for m in members:
            age = age_on(m.birth_date, start)
            if m.relation is Relation.DAUGHTER and 20 <= age <= 32 and not m.in_school:
                if rng.random() < 0.06:
                    changes.append((some_day(), self.leave, (m.id_number, LeaveReason.MARRIAGE)))
            elif m.relation is Relation.SON and 24 <= age <= 34 and not m.in_school:
                bride = None if wedding else self.weddings.take(start, self.end)
                if bride is not None:  # a daughter of the county who left to marry: she moves
                    wedding = [(bride.left_on, self.marry_in, (m.id_number, bride))]
                elif rng.random() < 0.05:
                    changes.append((some_day(), self.marry_in, (m.id_number,)))
            if age >= 65 and rng.random() < (0.05 if age >= 75 else 0.02):
                changes.append((some_day(), self.leave, (m.id_number, LeaveReason.DEATH)))
            elif (m.relation in (Relation.SON, Relation.DAUGHTER) and 18 <= age <= 30
                  and not m.in_school and rng.random() < 0.02):
                changes.append((some_day(), self.leave, (m.id_number, LeaveReason.MOVED_OUT)))
        changes.sort(key=lambda c: c[0])
        for day, action, args in wedding + changes[:2]:
            self.schedule(day, P_MEMBERS, action, *args)

    def birth(self, day: date) -> None:
        current = self.current(day)
        couple = [m for m in current if m.relation in (Relation.HEAD, Relation.SPOUSE)]
        if len(couple) != 2 or len(current) >= 6:
            return
        father = next((m for m in couple if m.sex is Sex.MALE), couple[0])
        sex = Sex.MALE if self.rng.random() < 0.52 else Sex.FEMALE
        child = MemberIn(
            name=full_name(self.rng, sex, day.year, father.name[0]),
            id_number=self.ids.allocate(day, sex), relation=child_relation(sex),
            health=Health.HEALTHY, labour_capacity=LabourCapacity.NONE, insured=False,
        )
        self.do(self.village.liaison, JoinMember(member=child, reason=JoinReason.BIRTH, occurred_on=day))
        # Enrolled in resident medical insurance a few weeks later.
        self.schedule(self.days(day, 15, 50), P_MEMBERS, self.enrol, child.id_number)

    def enrol(self, day: date, id_number: str) -> None:
        member = self.h.members.get(id_number)
        if member is None or member.left_on is not None or member.insured:
            return
        self.do(self.village.liaison, UpdateMember(id_number=id_number,
                                                   changes=MemberChanges(insured=True), occurred_on=day))
        case = self.h.monitored_case
        if case is not None and f"{id_number}:{day.year}" not in self.h.subsidies:
            self.do(DEPARTMENT_ACTORS[Department.MEDICAL_INSURANCE], SubsidiseMedicalInsurance(
                id_number=id_number, year=day.year, amount=SUBSIDY[case.category], occurred_on=day))

    def marry_in(self, day: date, son_id: str, moving: Bride | None = None) -> None:
        """A son marries: his bride joins the household — a daughter of another household of
        the county (``moving``, who left hers that day), or one from outside it."""
        son = self.h.members.get(son_id)
        if son is None or son.left_on is not None or len(self.current(day)) >= 6:
            return
        if moving is not None:
            her = moving.member
            bride = MemberIn(name=her.name, id_number=her.id_number, relation=Relation.OTHER,
                             health=her.health, labour_capacity=her.labour_capacity,
                             insured=her.insured)
        else:
            born = birth_day(self.rng, self.rng.randint(21, 30), day)
            bride = MemberIn(
                name=full_name(self.rng, Sex.FEMALE, born.year),
                id_number=self.ids.allocate(born, Sex.FEMALE),
                relation=Relation.OTHER,  # 儿媳
                health=Health.HEALTHY, labour_capacity=LabourCapacity.ORDINARY, insured=True,
            )
        self.do(self.village.liaison, JoinMember(member=bride, reason=JoinReason.MARRIAGE, occurred_on=day))

    def leave(self, day: date, id_number: str, reason: LeaveReason) -> None:
        member = self.h.members.get(id_number)
        current = self.current(day)
        if member is None or member.left_on is not None or len(current) < 2:
            return
        new_head = None
        if member.relation is Relation.HEAD:
            others = [m for m in current if m.id_number != id_number]
            spouse = next((m for m in others if m.relation is Relation.SPOUSE), None)
            adults = sorted((m for m in others if age_on(m.birth_date, day) >= 18),
                            key=lambda m: m.birth_date)
            new_head = (spouse or (adults[0] if adults else others[0])).id_number
        self.do(self.village.liaison, LeaveMember(id_number=id_number, reason=reason,
                                                  new_head_id_number=new_head, occurred_on=day))
        if reason is LeaveReason.MARRIAGE and member.relation is Relation.DAUGHTER:
            self.weddings.offer(Bride(self.h.members[id_number], day, self.code))
