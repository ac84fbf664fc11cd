"""What the commands' fields share: bounded text and numbers, and the base of every body.

The bounds are the API's first line (a body over them is refused before any handler runs);
the domain's own rules come after, on the household. Each bound is also what the API's OpenAPI
schema states (`interfaces.http.openapi`), with the patterns in ``extra_json_schema``: an
amount's, which msgspec cannot check on a `Decimal`, is held to the request's text by the API's
edge (`interfaces.http.edge`); an ID number's is the domain's to check.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from msgspec import Meta, Struct

from domain.rules import MAX_AMOUNT

Text = Annotated[str, Meta(max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Id = Annotated[str, Meta(min_length=1, max_length=100)]
#: The shape of an ID number (GB 11643: 17 digits and a check digit or X), as the schema states
#: it; the domain checks it with the birth date and the check digit (`domain.identity`: 422
#: ``ID_NUMBER_FORMAT`` and the like, in words a clerk reads), or finds no such member.
ID_NUMBER_PATTERN = r"^[0-9]{17}[0-9Xx]$"
IdNumber = Annotated[str, Meta(min_length=1, max_length=32, description="居民身份证号码（18 位）",
                               extra_json_schema={"pattern": ID_NUMBER_PATTERN})]
#: An amount as text: yuan with at most two decimals, below the domain's `MAX_AMOUNT`.
AMOUNT_PATTERN = rf"[0-9]{{1,{len(str(int(MAX_AMOUNT) - 1))}}}(\.[0-9]{{1,2}})?"
Money = Annotated[Decimal, Meta(
    description="金额（元），十进制字符串，最多两位小数，如 \"1234.50\"",
    extra_json_schema={"pattern": f"^{AMOUNT_PATTERN}$"})]
#: A change of an amount (a visit's income or spending change): an amount, or minus one.
MoneyChange = Annotated[Decimal, Meta(
    description="金额变化（元），十进制字符串，可为负，如 \"-300.00\"",
    extra_json_schema={"pattern": f"^-?{AMOUNT_PATTERN}$"})]
Year = Annotated[int, Meta(ge=2000, le=2100)]
CaseNumber = Annotated[int, Meta(ge=1, le=1_000_000, description="案件序号（户内从 1 起）")]
Happened = Annotated[date, Meta(description="事情发生之日（不是录入之日）")]
MAX_LIST = 100
#: A finding the one recording must state: such a field has no default, so a body without it is
#: refused (400 naming it) and the schema lists it as required; the workbench's form asks it
#: (请选择, 是/否) and refuses it left unstated (`interfaces.web.forms`), and an import's column
#: for it is required (`application.intake`).
STATED = Meta(extra={"stated": True})


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused (a typo never passes silently).

    A list default (``= []``) is safe: msgspec copies it for each body. Ruff cannot see that a
    subclass in another module is a Struct, hence the ``noqa: RUF012`` on those fields."""
