"""Public notices in the domain (domain.md §13): who a notice lists, what it shows, and what
publishing it records on a case."""

from __future__ import annotations

from datetime import date

from household_kit import VILLAGE, at, raise_alert, refused, registered, replay, when

from domain.codes import Decision, Finding, Health, Relation
from domain.notices import NoticeKind, NoticeTerms, build_notice
from domain.values import PublishedNotice

TERMS = NoticeTerms("涞源县", "公示期间如有异议，请向村民委员会反映。")
FROM, TO = date(2023, 3, 3), date(2023, 3, 7)
DIGEST = "a" * 64


def _verified(on: date = date(2023, 3, 2)):
    household = registered()
    household.update_member(household.head.id_number, {"health": Health.SERIOUS_ILLNESS},
                            **when(date(2023, 2, 1)))
    number = raise_alert(household, date(2023, 3, 1)).case_number
    household.verify_at_home(number, Finding.RISK_CONFIRMED, **when(on))
    return household


def _publish(household, digest: str = DIGEST, notice_from: date = FROM, notice_to: date = TO):
    return household.publish_notice("identification", 1, notice_from=notice_from,
                                    notice_to=notice_to, digest=digest, by=VILLAGE,
                                    at=at(date(2023, 3, 3)))


class TestWhoANoticeLists:
    def test_cases_whose_visit_confirmed_the_risk_not_yet_deliberated(self) -> None:
        waiting, unvisited = _verified(), registered()
        raise_alert(unvisited, date(2023, 3, 1))
        notice = build_notice(NoticeKind.IDENTIFICATION, TERMS, "王安镇", "王安村", FROM, TO,
                              [waiting, unvisited])
        assert [c.household_code for c in notice.cases] == [waiting.code]
        row = notice.content.rows[0]
        assert (row.head_name, row.category, row.reason) == ("张三", "拟纳入监测对象", "因病")
        assert notice.content.columns == ("序号", "户主姓名", "公示事项", "返贫致贫风险类型")

    def test_the_content_holds_no_id_number_health_or_phone(self) -> None:
        household = _verified()
        content = build_notice(NoticeKind.IDENTIFICATION, TERMS, "王安镇", "王安村", FROM, TO,
                               [household]).content
        shown = repr(content)
        for member in household.current_members():
            assert member.id_number not in shown and member.id_number[-4:] not in shown
        assert "患有大病" not in shown and str(Relation.HEAD) not in shown

    def test_a_published_notice_keeps_its_cases_and_others_wait_for_the_next(self) -> None:
        first = _verified()
        _publish(first)
        later = _verified(date(2023, 3, 4))
        same = build_notice(NoticeKind.IDENTIFICATION, TERMS, "王安镇", "王安村", FROM, TO,
                            [first, later])
        assert [c.household_code for c in same.cases] == [first.code] and same.published
        following = build_notice(NoticeKind.IDENTIFICATION, TERMS, "王安镇", "王安村",
                                 date(2023, 3, 5), date(2023, 3, 9), [first, later])
        assert [c.household_code for c in following.cases] == [later.code]

    def test_a_period_shorter_than_the_minimum_is_refused(self) -> None:
        household = _verified()
        with refused(household, "NOTICE_TOO_SHORT", "notice_to"):
            build_notice(NoticeKind.IDENTIFICATION, TERMS, "王安镇", "王安村", FROM,
                         date(2023, 3, 6), [household])


class TestPublishing:
    def test_records_the_period_and_digest_once(self) -> None:
        household = _verified()
        assert _publish(household) is True
        assert _publish(household) is False  # the same notice again: nothing new
        events = household.collect_events()
        published = [e for e in events if isinstance(e, type(household).NoticePublished)]
        assert len(published) == 1 and published[0].occurred_on == FROM
        assert replay(events).cases[0].identification.notice == PublishedNotice(FROM, TO, DIGEST)

    def test_a_case_on_another_notice_or_moved_on_is_refused(self) -> None:
        household = _verified()
        _publish(household)
        with refused(household, "NOTICE_ALREADY_PUBLISHED", "cases"):
            _publish(household, digest="b" * 64)
        household.conclude_village_deliberation(1, Decision.PASSED, notice_from=FROM,
                                                notice_to=TO, **when(date(2023, 3, 8)))
        with refused(household, "NOTICE_CASE_MOVED_ON", "cases"):
            _publish(household)

    def test_the_step_then_carries_the_published_dates(self) -> None:
        household = _verified()
        _publish(household)
        with refused(household, "NOTICE_DATES_DIFFER", "notice_from"):
            household.conclude_village_deliberation(
                1, Decision.PASSED, notice_from=date(2023, 3, 4), notice_to=date(2023, 3, 8),
                **when(date(2023, 3, 9)))

    def test_not_before_the_notice_is_up_nor_with_a_bad_digest(self) -> None:
        household = _verified()
        with refused(household, "DATE_IN_FUTURE", "notice_from"):
            _publish(household, notice_from=date(2023, 3, 4), notice_to=date(2023, 3, 8))
        with refused(household, "DIGEST_INVALID", "digest"):
            _publish(household, digest="not-a-digest")
        with refused(household, "DATE_ORDER", "notice_from"):
            _publish(household, notice_from=date(2023, 3, 1), notice_to=date(2023, 3, 5))
