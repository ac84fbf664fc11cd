"""Registering a household (domain.md §3) and members joining and leaving."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import NAMESPACE_URL, uuid5

import pytest
from household_kit import (
    COUNTY,
    REGISTERED_ON,
    VILLAGE,
    at,
    make_id,
    member,
    other_members,
    refused,
    registered,
    when,
)

from domain.codes import (
    HouseholdType,
    JoinReason,
    LabourCapacity,
    LeaveReason,
    Relation,
    Sex,
)
from domain.errors import DomainError, InvalidValue
from domain.household import HOUSEHOLD_NAMESPACE, Household, household_id
from domain.values import MemberDetails


def family() -> list[MemberDetails]:
    return [
        member("王建国", make_id(date(1970, 5, 4)), Relation.HEAD),
        member("李秀英", make_id(date(1972, 8, 9), male=False), Relation.SPOUSE),
    ]


def register(**overrides):
    fields = {
        "code": "130630101001",
        "township": "银坊镇",
        "village": "东村",
        "address": "东村12号",
        "household_type": HouseholdType.ORDINARY,
        "members": family(),
        **when(REGISTERED_ON, COUNTY),
    }
    fields.update(overrides)
    return Household.register(**fields)


def refused_registration(error_code: str, field: str | None = None, **overrides) -> DomainError:
    with pytest.raises(DomainError) as info:
        register(**overrides)
    assert info.value.code == error_code
    if field is not None:
        assert info.value.field == field
    assert info.value.message
    return info.value


class TestRegisterHousehold:
    def test_given_valid_details_when_registered_then_the_case_file_holds_them(self):
        people = family()
        household = register(members=people, address="  东村12号 ")
        assert household.code == "130630101001"
        assert (household.township, household.village) == ("银坊镇", "东村")
        assert household.address == "东村12号"
        assert household.household_type is HouseholdType.ORDINARY
        assert household.lifted_out_year is None
        assert set(household.members) == {p.id_number for p in people}
        assert household.head.name == "王建国"
        assert household.cases == [] and not household.is_monitoring_object
        assert household.version == 1
        assert [type(e).__name__ for e in household.pending_events] == ["Registered"]

    def test_members_get_sex_and_birth_date_from_their_id_numbers(self):
        household = register()
        spouse = next(m for m in household.members.values() if m.relation is Relation.SPOUSE)
        assert spouse.sex is Sex.FEMALE
        assert spouse.birth_date == date(1972, 8, 9)
        assert household.head.sex is Sex.MALE

    def test_a_lower_case_x_in_an_id_number_is_stored_upper_case(self):
        people = [member("王建国", "11010519491231002x", Relation.HEAD)]
        household = register(members=people)
        assert "11010519491231002X" in household.members

    def test_given_a_lifted_out_household_with_its_year_then_registered(self):
        household = register(household_type=HouseholdType.LIFTED_OUT, lifted_out_year=2016)
        assert household.household_type is HouseholdType.LIFTED_OUT
        assert household.lifted_out_year == 2016

    @pytest.mark.parametrize("year", [None, 2012, REGISTERED_ON.year + 1])
    def test_given_a_lifted_out_household_without_a_plausible_year_then_LIFTED_OUT_YEAR(self, year):
        refused_registration(
            "LIFTED_OUT_YEAR",
            "lifted_out_year",
            household_type=HouseholdType.LIFTED_OUT,
            lifted_out_year=year,
        )

    def test_given_an_ordinary_household_with_a_lifted_out_year_then_LIFTED_OUT_YEAR(self):
        refused_registration("LIFTED_OUT_YEAR", "lifted_out_year", lifted_out_year=2016)

    def test_given_no_head_then_HEAD_REQUIRED(self):
        people = [member("李秀英", make_id(male=False), Relation.SPOUSE)]
        refused_registration("HEAD_REQUIRED", "members", members=people)

    def test_given_two_heads_then_HEAD_REQUIRED(self):
        people = [member("甲", make_id(), Relation.HEAD), member("乙", make_id(), Relation.HEAD)]
        error = refused_registration("HEAD_REQUIRED", "members", members=people)
        assert "户主" in error.message

    def test_given_no_members_then_MEMBERS_REQUIRED(self):
        refused_registration("MEMBERS_REQUIRED", "members", members=[])

    def test_given_the_same_id_twice_then_MEMBER_DUPLICATE(self):
        number = make_id()
        people = [member("甲", number, Relation.HEAD), member("乙", number, Relation.SON)]
        error = refused_registration("MEMBER_DUPLICATE", "members", members=people)
        assert number in error.message

    def test_given_the_same_id_once_with_lower_case_x_then_MEMBER_DUPLICATE(self):
        people = [
            member("甲", "11010519491231002X", Relation.HEAD),
            member("乙", "11010519491231002x", Relation.SON),
        ]
        refused_registration("MEMBER_DUPLICATE", "members", members=people)

    @pytest.mark.parametrize("name", ["", "   "])
    def test_given_an_empty_member_name_then_REQUIRED_naming_the_member(self, name):
        people = [*family(), member(name, make_id(), Relation.SON)]
        refused_registration("REQUIRED", "members[2].name", members=people)

    def test_given_an_invalid_member_id_then_the_id_error_names_the_member(self):
        people = [*family(), member("张小", "13063020100901001Y", Relation.SON)]
        error = refused_registration("ID_NUMBER_FORMAT", "members[2].id_number", members=people)
        assert isinstance(error, InvalidValue)

    @pytest.mark.parametrize(
        ("field", "label"), [("code", "户编号"), ("township", "乡镇"), ("village", "行政村")]
    )
    def test_given_an_empty_code_township_or_village_then_REQUIRED(self, field, label):
        error = refused_registration("REQUIRED", field, **{field: " "})
        assert label in error.message

    def test_given_an_occurred_on_after_the_recording_day_then_DATE_IN_FUTURE(self):
        refused_registration(
            "DATE_IN_FUTURE",
            "occurred_on",
            occurred_on=REGISTERED_ON + timedelta(1),
            at=at(REGISTERED_ON),
        )

    def test_the_recording_day_is_the_county_calendar_day(self):
        """Given a recording time late on 1 March UTC (already 2 March in China), a fact dated
        2 March is not in the future."""
        late_utc = datetime(2023, 3, 1, 20, 0, tzinfo=UTC)
        household = register(occurred_on=date(2023, 3, 2), at=late_utc)
        assert household.version == 1
        refused_registration(
            "DATE_IN_FUTURE",
            occurred_on=date(2023, 3, 3),
            at=late_utc,
        )


class TestHouseholdId:
    def test_the_id_is_uuid5_of_the_household_code(self):
        expected_namespace = uuid5(NAMESPACE_URL, "https://fangpin.example/household")
        assert expected_namespace == HOUSEHOLD_NAMESPACE
        assert household_id("130630101001") == uuid5(expected_namespace, "130630101001")
        assert register().id == household_id("130630101001")

    def test_same_code_gives_the_same_id_and_another_code_another_id(self):
        assert register().id == register(members=family()).id
        assert register(code="130630101002").id != register().id

    def test_the_code_is_trimmed_before_the_id_is_derived(self):
        assert register(code=" 130630101001 ").id == household_id("130630101001")


class TestMembersJoin:
    def test_given_a_birth_when_the_child_joins_then_they_are_a_member_from_that_day(self):
        household = registered()
        baby = make_id(date(2023, 2, 1))
        household.join_member(
            member("张宝", baby, Relation.SON, labour_capacity=LabourCapacity.NONE),
            JoinReason.BIRTH,
            **when(date(2023, 2, 3)),
        )
        joined = household.members[baby]
        assert joined.joined_on == date(2023, 2, 3)
        assert joined.join_reason is JoinReason.BIRTH
        assert household.household_size_on(date(2023, 2, 2)) == 3
        assert household.household_size_on(date(2023, 2, 3)) == 4

    def test_given_a_current_member_when_they_join_again_then_MEMBER_ALREADY_PRESENT(self):
        household = registered()
        again = member("李四", other_members(household)[0], Relation.SPOUSE)
        with refused(household, "MEMBER_ALREADY_PRESENT", "member.id_number"):
            household.join_member(again, JoinReason.MARRIAGE, **when(date(2023, 2, 3)))

    def test_given_a_new_member_as_head_then_HEAD_EXISTS(self):
        household = registered()
        with refused(household, "HEAD_EXISTS", "member.relation"):
            household.join_member(
                member("新人", make_id(), Relation.HEAD),
                JoinReason.MOVED_IN,
                **when(date(2023, 2, 3)),
            )

    def test_given_an_invalid_id_or_empty_name_then_refused(self):
        household = registered()
        with refused(household, "ID_NUMBER_CHECK_DIGIT", "member.id_number"):
            bad = make_id()
            bad = bad[:17] + ("1" if bad[-1] != "1" else "2")
            household.join_member(
                member("新人", bad, Relation.SON), JoinReason.BIRTH, **when(date(2023, 2, 3))
            )
        with refused(household, "REQUIRED", "member.name"):
            household.join_member(
                member(" ", make_id(), Relation.SON), JoinReason.BIRTH, **when(date(2023, 2, 3))
            )


class TestMembersLeave:
    def test_given_a_member_who_died_then_they_leave_and_the_size_drops_from_that_day(self):
        household = registered()
        spouse = other_members(household)[0]
        household.leave_member(spouse, LeaveReason.DEATH, **when(date(2023, 5, 1)))
        gone = household.members[spouse]
        assert gone.left_on == date(2023, 5, 1) and gone.leave_reason is LeaveReason.DEATH
        assert spouse not in {m.id_number for m in household.current_members()}
        assert household.household_size_on(date(2023, 4, 30)) == 3
        assert household.household_size_on(date(2023, 5, 1)) == 2

    def test_given_the_head_leaves_with_a_new_head_named_then_that_member_is_head(self):
        household = registered()
        old_head = household.head.id_number
        spouse = other_members(household)[0]
        household.leave_member(
            old_head, LeaveReason.DEATH, new_head_id_number=spouse, **when(date(2023, 5, 1))
        )
        assert household.head.id_number == spouse
        assert household.members[spouse].relation is Relation.HEAD
        assert household.household_size_on(date(2023, 5, 1)) == 2

    def test_given_the_head_leaves_without_a_new_head_then_NEW_HEAD_REQUIRED(self):
        household = registered()
        with refused(household, "NEW_HEAD_REQUIRED", "new_head_id_number"):
            household.leave_member(household.head.id_number, LeaveReason.MOVED_OUT, **when(date(2023, 5, 1)))

    def test_given_a_new_head_who_is_not_a_member_then_MEMBER_NOT_FOUND(self):
        household = registered()
        with refused(household, "MEMBER_NOT_FOUND", "new_head_id_number"):
            household.leave_member(
                household.head.id_number,
                LeaveReason.MOVED_OUT,
                new_head_id_number=make_id(),
                **when(date(2023, 5, 1)),
            )

    def test_given_the_leaving_head_named_as_new_head_then_MEMBER_NOT_FOUND(self):
        household = registered()
        head = household.head.id_number
        with refused(household, "MEMBER_NOT_FOUND", "new_head_id_number"):
            household.leave_member(
                head, LeaveReason.MOVED_OUT, new_head_id_number=head, **when(date(2023, 5, 1))
            )

    def test_given_a_non_head_leaves_with_a_new_head_named_then_NEW_HEAD_NOT_NEEDED(self):
        household = registered()
        spouse, child = other_members(household)
        with refused(household, "NEW_HEAD_NOT_NEEDED", "new_head_id_number"):
            household.leave_member(
                spouse, LeaveReason.MOVED_OUT, new_head_id_number=child, **when(date(2023, 5, 1))
            )

    def test_given_the_last_member_when_they_leave_then_LAST_MEMBER(self):
        household = registered(members=[member("独居", make_id(), Relation.HEAD)])
        with refused(household, "LAST_MEMBER", "id_number"):
            household.leave_member(household.head.id_number, LeaveReason.DEATH, **when(date(2023, 5, 1)))

    def test_given_a_member_who_already_left_then_MEMBER_NOT_FOUND(self):
        household = registered()
        spouse = other_members(household)[0]
        household.leave_member(spouse, LeaveReason.DEATH, **when(date(2023, 5, 1)))
        with refused(household, "MEMBER_NOT_FOUND", "id_number"):
            household.leave_member(spouse, LeaveReason.DEATH, **when(date(2023, 5, 2)))

    def test_given_a_stranger_then_MEMBER_NOT_FOUND(self):
        household = registered()
        with refused(household, "MEMBER_NOT_FOUND", "id_number"):
            household.leave_member(make_id(), LeaveReason.MOVED_OUT, **when(date(2023, 5, 1)))

    def test_given_a_leave_date_before_the_join_date_then_DATE_ORDER(self):
        household = registered()
        newcomer = make_id(date(1995, 1, 1), male=False)
        household.join_member(
            member("儿媳", newcomer, Relation.OTHER), JoinReason.MARRIAGE, **when(date(2023, 6, 1))
        )
        with refused(household, "DATE_ORDER", "occurred_on"):
            household.leave_member(
                newcomer,
                LeaveReason.MOVED_OUT,
                occurred_on=date(2023, 5, 1),
                by=VILLAGE,
                at=at(date(2023, 6, 2)),
            )

    def test_given_a_leave_dated_after_the_recording_day_then_DATE_IN_FUTURE(self):
        household = registered()
        with refused(household, "DATE_IN_FUTURE", "occurred_on"):
            household.leave_member(
                other_members(household)[0],
                LeaveReason.DEATH,
                occurred_on=date(2023, 5, 2),
                by=VILLAGE,
                at=at(date(2023, 5, 1)),
            )


class TestHouseholdSizeOnADate:
    def test_size_follows_joins_and_leaves_over_time(self):
        household = registered()
        spouse = other_members(household)[0]
        baby = make_id(date(2023, 3, 1), male=False)
        household.join_member(
            member("张妞", baby, Relation.DAUGHTER), JoinReason.BIRTH, **when(date(2023, 3, 5))
        )
        household.leave_member(spouse, LeaveReason.MOVED_OUT, **when(date(2023, 7, 1)))
        sizes = [
            household.household_size_on(d)
            for d in (
                REGISTERED_ON,
                date(2023, 3, 4),
                date(2023, 3, 5),
                date(2023, 6, 30),
                date(2023, 7, 1),
            )
        ]
        assert sizes == [3, 3, 4, 4, 3]

    def test_members_registered_count_before_the_registration_day_too(self):
        """Founding members have no join date: they count on any earlier day (income years)."""
        household = registered()
        assert household.household_size_on(date(2020, 1, 1)) == 3

    def test_given_a_member_who_left_and_rejoined_then_earlier_days_still_count_them(self):
        household = registered()
        child = other_members(household)[1]
        household.leave_member(child, LeaveReason.MOVED_OUT, **when(date(2023, 5, 1)))
        household.join_member(
            member("张小", child, Relation.SON), JoinReason.MOVED_IN, **when(date(2023, 8, 1))
        )
        assert household.household_size_on(date(2023, 4, 1)) == 3  # was a member then
        assert household.household_size_on(date(2023, 6, 1)) == 2
        assert household.household_size_on(date(2023, 9, 1)) == 3


class TestUpdateMember:
    def test_given_a_change_in_health_then_the_member_record_follows(self):
        household = registered()
        spouse = other_members(household)[0]
        household.update_member(
            spouse, {"health": "患有大病", "labour_capacity": "丧失劳动力"}, **when(date(2023, 4, 1))
        )
        assert household.members[spouse].health == "患有大病"
        assert household.members[spouse].labour_capacity is LabourCapacity.LOST

    def test_given_a_name_change_then_FIELD_NOT_CORRECTABLE(self):
        household = registered()
        with refused(household, "FIELD_NOT_CORRECTABLE", "changes.name"):
            household.update_member(household.head.id_number, {"name": "张三丰"}, **when(date(2023, 4, 1)))

    def test_given_no_changes_then_CHANGES_REQUIRED(self):
        household = registered()
        with refused(household, "CHANGES_REQUIRED", "changes"):
            household.update_member(household.head.id_number, {}, **when(date(2023, 4, 1)))

    def test_given_an_unknown_code_value_then_CORRECTION_VALUE(self):
        household = registered()
        with refused(household, "CORRECTION_VALUE", "changes.health"):
            household.update_member(household.head.id_number, {"health": "很好"}, **when(date(2023, 4, 1)))
