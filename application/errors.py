"""Errors the application raises besides the domain's rule violations."""

from __future__ import annotations

from domain.errors import DomainError, NotFound


class HouseholdNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__("HOUSEHOLD_NOT_FOUND", f"没有户编号为 {code} 的农户", "household_code")


class HouseholdAlreadyRegistered(DomainError):
    def __init__(self, code: str) -> None:
        super().__init__("HOUSEHOLD_EXISTS", f"户编号 {code} 已登记", "code")


class ConcurrentChange(DomainError):
    """Someone else recorded on the same household between our read and our save.

    Nothing of this command was recorded; retrying it reads the new state and usually succeeds.
    """

    def __init__(self, code: str) -> None:
        super().__init__(
            "CONCURRENT_CHANGE", f"农户 {code} 的档案刚被他人更新，本次操作未保存，请重试", None
        )


class Busy(DomainError):
    """The process has as much of this kind of work waiting as it lets wait: nothing was done;
    the same request a little later is answered (503 with Retry-After over HTTP)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, None)
