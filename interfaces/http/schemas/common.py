"""What the bodies share: bounded text and numbers and the base of request bodies (the
commands' own, from `application.commands.fields`), and an error as problem details
(`interfaces.http.problems`)."""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from application.commands.fields import (  # noqa: F401  the bodies' shared field types
    MAX_LIST,
    Body,
    CaseNumber,
    Happened,
    Id,
    IdNumber,
    Money,
    Name,
    Text,
    Year,
)

# ---------------------------------------------------------------------- errors


class ProblemDetails(Struct):
    """An error as RFC 9457 problem details, with a stable ``code`` and the offending field."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
