"""What the commands' fields share: bounded text and numbers, and the base of every body.

The bounds are the API's first line (a body over them is refused before any handler runs);
the domain's own rules come after, on the household.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from msgspec import Meta, Struct

Text = Annotated[str, Meta(max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Id = Annotated[str, Meta(min_length=1, max_length=100)]
IdNumber = Annotated[str, Meta(min_length=1, max_length=32, description="居民身份证号码（18 位）")]
Money = Annotated[Decimal, Meta(description="金额（元），十进制字符串，如 \"1234.50\"")]
Year = Annotated[int, Meta(ge=2000, le=2100)]
CaseNumber = Annotated[int, Meta(ge=1, le=1_000_000, description="案件序号（户内从 1 起）")]
Happened = Annotated[date, Meta(description="事情发生之日（不是录入之日）")]
MAX_LIST = 100


class Body(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused (a typo never passes silently).

    A list default (``= []``) is safe: msgspec copies it for each body. Ruff cannot see that a
    subclass in another module is a Struct, hence the ``noqa: RUF012`` on those fields."""
