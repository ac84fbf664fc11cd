"""Ending a demo household's risk (risk elimination in four steps, and re-entries) and
correcting facts recorded wrongly."""

from __future__ import annotations

from datetime import date
from typing import Any

from application.commands import (
    Correct,
    EliminationCountyDecision,
    EliminationNotice,
    EliminationTownshipReview,
    RecordVisit,
    VerifyElimination,
)
from application.demo.county import COUNTY_NAME, full_name, income_line_on
from application.demo.tables import INCLUDE, P_ALERT, P_ELIMINATE, P_HELP, Script
from application.demo.year import YearAgenda
from domain.codes import Check, Decision, EliminationMode, MeasureStatus, RiskType, Sex
from domain.rules import elimination_blockers
from domain.values import Case


class Elimination(YearAgenda):
    """Risk elimination when the rules of §9 allow it; corrections."""

    # ---------------------------------------------------------------- risk elimination

    def eliminate(self, day: date, number: int) -> None:
        """Propose eliminating the risk when the rules of §9 allow it (else try again later)."""
        case = self.h.monitored_case
        if case is None or case.number != number or case.eliminating:
            return
        script = self.scripts.setdefault(number, Script(INCLUDE))
        script.eliminate_attempts += 1
        line = income_line_on(day)
        fixed = {"ELIMINATION_TOO_EARLY", "ELIMINATION_NO_MEASURE",
                 "ELIMINATION_PROTECTION_DEPENDENT", "ELIMINATION_INCOME_NOT_STABLE"}
        if any(code in fixed for code, _ in elimination_blockers(self.h, case, day, line)):
            self.retry_elimination(day, number)
            return
        # Check the income and the guarantees on the day, as the procedure asks.
        if not any(a.occurred_on == day for a in self.h.assessments):
            self.assess(day, day.year, self.rng.uniform(1.15, 1.9))
        visit = self.h.latest_visit(day)
        if (visit is None or visit.failed_checks or visit.occurred_on < (case.included_on or day)) \
                and not any(v.occurred_on == day for v in self.h.visits):
            self.do(self.village.liaison, RecordVisit(
                visit_id=self.next_id("V"), visitor=self.village.liaison_name,
                checks=dict.fromkeys(Check, True), notes="风险消除前入户核实",
                per_capita_income=self.visit_income(day), occurred_on=day))
        if elimination_blockers(self.h, case, day, line):
            self.retry_elimination(day, number)
            return
        mode = EliminationMode.NATURAL if self.rng.random() < 0.15 else EliminationMode.BY_HELP
        self.do(self.village.liaison, VerifyElimination(
            mode=mode, notes="收入持续稳定超过监测标准，“三保障”和饮水安全有保障", occurred_on=day))
        notice_from = self.days(day, 1, 3)
        notice_to = self.days(notice_from, 4, 6)
        self.schedule(self.days(notice_to, 0, 1), P_ELIMINATE, self.elimination_notice,
                      number, notice_from, notice_to)
        self.schedule(self.days(day, 2, 8), P_ELIMINATE, self.elimination_review, number)

    def retry_elimination(self, day: date, number: int) -> None:
        if self.scripts[number].eliminate_attempts < 5:  # income must be stable six months
            self.schedule(self.days(day, 25, 40), P_ELIMINATE, self.eliminate, number)

    def eliminating(self, number: int) -> Case | None:
        case = self.h.monitored_case
        if case is None or case.number != number or not case.eliminating:
            return None
        return case

    def elimination_notice(self, day: date, number: int, notice_from: date, notice_to: date) -> None:
        case = self.eliminating(number)
        if case is None or case.elimination is None or case.elimination.village_notice is not None:
            return
        rejected = not self.scripts[number].eliminate and self.rng.random() < 0.03
        self.do(self.village.liaison, EliminationNotice(
            decision=Decision.REJECTED if rejected else Decision.PASSED, notice_from=notice_from,
            notice_to=notice_to, reason="群众评议认为该户收入尚不稳定" if rejected else "",
            occurred_on=day))
        if rejected:
            self.retry_elimination(day, number)
        else:
            self.after_elimination_step(day, number)

    def elimination_review(self, day: date, number: int) -> None:
        case = self.eliminating(number)
        if case is None or case.elimination is None or case.elimination.township_review is not None:
            return
        rejected = not self.scripts[number].eliminate and self.rng.random() < 0.03
        self.do(self.village.township_actor, EliminationTownshipReview(
            decision=Decision.REJECTED if rejected else Decision.PASSED,
            reason="核查发现帮扶措施效果尚不稳定" if rejected else "", occurred_on=day))
        if rejected:
            self.retry_elimination(day, number)
        else:
            self.after_elimination_step(day, number)

    def after_elimination_step(self, day: date, number: int) -> None:
        case = self.eliminating(number)
        procedure = case.elimination if case else None
        if procedure is not None and procedure.village_notice and procedure.township_review:
            self.schedule(self.days(day, 1, 5), P_ELIMINATE, self.elimination_decision, number)

    def elimination_decision(self, day: date, number: int) -> None:
        case = self.eliminating(number)
        if case is None or case.elimination is None or case.elimination.county_decision is not None:
            return
        blockers = elimination_blockers(self.h, case, day, income_line_on(day))
        script = self.scripts[number]
        reason = "；".join(message for _, message in blockers)
        if not reason and not script.eliminate and self.rng.random() < 0.04:
            reason = "收入来源不稳定，继续帮扶观察"
        by = self.county_actor()
        if reason:
            self.do(by, EliminationCountyDecision(decision=Decision.REJECTED, reason=reason,
                                                  occurred_on=day))
            self.retry_elimination(day, number)
            return
        self.do(by, EliminationCountyDecision(decision=Decision.PASSED, occurred_on=day))
        self.schedule(self.days(day, 0, 10), P_HELP, self.release_helper)
        for measure in list(self.h.measures.values()):
            if measure.case_number == number and measure.status is not MeasureStatus.ENDED \
                    and (measure.status is MeasureStatus.PLANNED or self.rng.random() < 0.5):
                self.schedule(self.days(day, 0, 10), P_HELP, self.end_measure,
                              measure.measure_id, "风险已消除，措施到期结束")
        if script.reentry or self.rng.random() < 0.03:
            again = Script(INCLUDE) if script.reentry else self.random_script()
            risk = self.rng.choice((RiskType.ILLNESS, RiskType.UNSTABLE_EMPLOYMENT,
                                    RiskType.ACCIDENT, RiskType.FAILED_INDUSTRY))
            later = (60, 200) if self.plan.history else (15, 45)  # a history's falls in the year
            self.schedule(self.days(day, *later), P_ALERT, self.episode, again, risk)

    # ---------------------------------------------------------------- corrections

    def correct(self, day: date) -> None:
        """Correct a recorded fact that was entered wrongly (the event stays as it was)."""
        rng = self.rng
        subjects = self.h.subjects
        kinds = ("visit", "measure", "alert", "household")
        candidates = {kind: [v for v, s in subjects.items() if s.split(":", 1)[0] == kind]
                      for kind in kinds}
        kind = next((k for k in kinds if candidates[k] and rng.random() < 0.7), "household")
        version = rng.choice(candidates[kind])
        subject = subjects[version]
        if kind == "visit":
            changes: dict[str, Any] = {"visitor": full_name(rng, Sex.MALE, 1978)}
            reason = "走访人姓名录入错误"
        elif kind == "measure":
            changes = {"responsible_person": full_name(rng, Sex.FEMALE, 1985)}
            reason = "帮扶责任人录入错误"
        elif kind == "alert":
            alert = self.h.subject_record(subject)
            changes = {"description": f"{alert.description}（经核实补充：已入户了解详细情况）"}
            reason = "预警描述不完整"
        else:
            self.house_number += rng.randint(1, 9)
            changes = {"address": f"{COUNTY_NAME}{self.village.township}{self.village.name}"
                                  f"{self.house_number}号"}
            reason = "门牌号录入错误"
        self.do(self.village.township_actor, Correct(corrects_version=version, changes=changes,
                                                     reason=reason, occurred_on=day))
