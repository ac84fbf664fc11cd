"""Typed domain errors: a stable code, a Chinese message and, where one is to blame, the field."""

from __future__ import annotations


class DomainError(Exception):
    """A command refused by a rule. Nothing is recorded when one is raised."""

    code: str = "DOMAIN_RULE"

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field


class InvalidValue(DomainError):
    """A value that breaks a format rule (ID number check digit, empty name, negative amount…)."""


class RuleViolation(DomainError):
    """A command that the rules of the notice do not allow in the case's present state."""


class NotFound(DomainError):
    """A command names a member, case, alert or measure that the household does not have."""
