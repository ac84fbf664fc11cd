"""The department roster table (domain.rosters): what it accepts, what it refuses, and how a
person is cut to a duty's fields."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from application.rosters import Rosters
from domain.codes import Department
from domain.errors import InvalidValue
from domain.rosters import age_on, parse_rosters

ENTRY = {"department": "医保局", "households": ["脱贫户"], "fields": ["household_code", "name"]}
PERSON = {"code": "130630000001", "township": "银坊镇", "name": "王建国",
          "id_number": "13063019700504001X", "birth_date": date(1970, 5, 4), "insured": True}


def test_the_shipped_table_gives_medical_insurance_full_numbers_and_nobody_else():
    duties = Rosters.load().duties
    assert duties[Department.MEDICAL_INSURANCE].full_id_number
    assert not any(d.full_id_number for dep, d in duties.items()
                   if dep is not Department.MEDICAL_INSURANCE)


@pytest.mark.parametrize(("change", "field"), [
    ({"department": "财政局"}, "department"),
    ({"households": ["一般农户"]}, "households"),
    ({"households": []}, "households"),
    ({"fields": ["household_code", "name", "income"]}, "fields"),
    ({"fields": ["household_code", "name", "name"]}, "fields"),
    ({"fields": ["household_code"]}, "fields"),
    ({"full_id_number": True}, "full_id_number"),
    ({"ages": [18, 6]}, "ages"),
    ({"health": ["很好"]}, "health"),
    ({"phone": True}, "phone"),
])
def test_a_table_it_cannot_follow_is_refused_naming_the_entry_and_key(change, field):
    with pytest.raises(InvalidValue) as refused:
        parse_rosters({"roster": [{**ENTRY, **change}]})
    assert refused.value.code == "ROSTER_INVALID" and refused.value.field == field
    assert "roster[0]" in refused.value.message


def test_one_entry_per_department():
    with pytest.raises(InvalidValue, match="已在前面定义"):
        parse_rosters({"roster": [ENTRY, ENTRY]})


def test_a_person_shows_only_the_duty_fields_masked_unless_the_duty_needs_the_number():
    fields = ["name", "household_code", "id_number", "age"]  # shown in the table's order
    masked = parse_rosters({"roster": [{**ENTRY, "fields": fields}]})[Department.MEDICAL_INSURANCE]
    row = masked.row(PERSON, date(2025, 5, 3))
    assert row == {"household_code": "130630000001", "name": "王建国",
                   "id_number": "1306**********001X", "age": 54}
    full = parse_rosters({"roster": [{**ENTRY, "fields": fields, "full_id_number": True}]})
    shown = full[Department.MEDICAL_INSURANCE].row(PERSON, date(2025, 5, 4))
    assert shown["id_number"] == PERSON["id_number"]


def test_an_age_range_is_the_birth_dates_of_those_ages_on_the_day():
    duty = parse_rosters({"roster": [{**ENTRY, "ages": [6, 18]}]})[Department.MEDICAL_INSURANCE]
    earliest, latest = duty.born_between(date(2025, 9, 1))
    assert (earliest, latest) == (date(2006, 9, 2), date(2019, 9, 1))
    assert age_on(earliest, date(2025, 9, 1)) == 18 and age_on(latest, date(2025, 9, 1)) == 6
    assert age_on(earliest - timedelta(days=1), date(2025, 9, 1)) == 19
