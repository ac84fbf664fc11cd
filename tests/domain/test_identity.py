"""Resident ID numbers (GB 11643-1999): format, birth date, check digit, derived facts, masking."""

from __future__ import annotations

from datetime import date

import pytest
from household_kit import make_id

from domain.codes import Sex
from domain.errors import InvalidValue
from domain.identity import (
    birth_date_of,
    check_digit,
    mask_id_number,
    sex_of,
    validate_id_number,
)
from domain.values import Member

#: The textbook example of GB 11643 whose check digit is X.
WITH_X = "11010519491231002X"


class TestCheckDigit:
    def test_given_first_17_digits_then_the_iso_7064_mod_11_2_character_is_returned(self):
        assert check_digit("11010519491231002") == "X"
        assert check_digit("13063019700517001") == "X"
        assert check_digit("13063019700517011") == "6"

    def test_given_every_remainder_then_check_character_table_is_10X98765432(self):
        seen = {check_digit(f"130630197005170{i:02d}") for i in range(100)}
        assert seen == set("10X98765432")


class TestValidateIdNumber:
    def test_given_a_valid_number_then_it_is_returned_unchanged(self):
        number = make_id(date(1985, 2, 28))
        assert validate_id_number(number) == number

    def test_given_a_check_digit_x_then_it_is_valid(self):
        assert validate_id_number(WITH_X) == WITH_X

    def test_given_lower_case_x_and_spaces_then_canonical_upper_case_is_returned(self):
        assert validate_id_number("  11010519491231002x ") == WITH_X

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "1101051949123100",  # 16 characters
            "1101051949123100211",  # 19 characters
            "110105194912310X2X",  # X before the end
            "11010519491231002Y",  # not a digit or X
            "110105 19491231002X",
            "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
            None,
            110105194912310021,
        ],
    )
    def test_given_a_malformed_value_then_ID_NUMBER_FORMAT(self, value):
        with pytest.raises(InvalidValue) as info:
            validate_id_number(value)  # type: ignore[arg-type]
        assert info.value.code == "ID_NUMBER_FORMAT"
        assert info.value.field == "id_number"
        assert "18位" in info.value.message

    @pytest.mark.parametrize("birth", ["19700230", "19701301", "19700000", "20230229"])
    def test_given_an_impossible_birth_date_then_ID_NUMBER_BIRTH_DATE(self, birth):
        first_17 = f"130630{birth}001"
        with pytest.raises(InvalidValue) as info:
            validate_id_number(first_17 + check_digit(first_17), "members[0].id_number")
        assert info.value.code == "ID_NUMBER_BIRTH_DATE"
        assert info.value.field == "members[0].id_number"
        assert birth in info.value.message

    def test_given_a_leap_day_birth_date_then_it_is_valid(self):
        first_17 = "13063020000229001"
        assert validate_id_number(first_17 + check_digit(first_17))

    def test_given_a_wrong_check_digit_then_ID_NUMBER_CHECK_DIGIT(self):
        number = make_id()
        wrong = next(c for c in "0123456789X" if c != number[-1])
        with pytest.raises(InvalidValue) as info:
            validate_id_number(number[:17] + wrong)
        assert info.value.code == "ID_NUMBER_CHECK_DIGIT"
        assert "校验码" in info.value.message

    def test_given_a_digit_where_x_belongs_then_ID_NUMBER_CHECK_DIGIT(self):
        with pytest.raises(InvalidValue) as info:
            validate_id_number("110105194912310020")
        assert info.value.code == "ID_NUMBER_CHECK_DIGIT"

    def test_given_two_adjacent_digits_swapped_then_the_check_digit_catches_it(self):
        number = make_id(date(1991, 7, 13))
        swapped = number[:6] + number[7] + number[6] + number[8:]  # 1991 → 9191, still a date
        with pytest.raises(InvalidValue) as info:
            validate_id_number(swapped)
        assert info.value.code == "ID_NUMBER_CHECK_DIGIT"


class TestDerivedFacts:
    def test_birth_date_is_digits_7_to_14(self):
        assert birth_date_of(WITH_X) == date(1949, 12, 31)
        assert birth_date_of(make_id(date(2010, 9, 1))) == date(2010, 9, 1)

    def test_odd_17th_digit_is_male_and_even_is_female(self):
        assert sex_of(WITH_X) is Sex.FEMALE  # 17th digit 2
        assert sex_of(make_id(male=True)) is Sex.MALE
        assert sex_of(make_id(male=False)) is Sex.FEMALE

    def test_a_member_record_derives_sex_and_birth_date_from_the_id(self):
        number = make_id(date(1972, 3, 1), male=False)
        person = Member("李四", number, "配偶", "健康", "普通劳动力", False, True)  # type: ignore[arg-type]
        assert person.sex is Sex.FEMALE
        assert person.birth_date == date(1972, 3, 1)


class TestMasking:
    def test_given_a_number_then_only_first_4_and_last_4_show(self):
        assert mask_id_number(WITH_X) == "1101**********002X"

    def test_masked_form_keeps_the_length_and_hides_the_birth_date(self):
        number = make_id(date(1970, 5, 17))
        masked = mask_id_number(number)
        assert len(masked) == 18
        assert "19700517" not in masked
        assert masked.startswith("1306") and masked.endswith(number[-4:])
