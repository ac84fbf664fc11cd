"""Bearer tokens in, a `User` out; guards that hold every route to its roles.

Each route says in its ``opt`` what it is: ``command`` (an application command's name) or
``read`` (a kind of read of `application.accounts.access.READ_ROLES`). The guard refuses a role that the
tables do not allow, before the handler runs; handlers check the household's area themselves,
since only they know the household.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, ValidationException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)

from application.accounts.access import User
from application.accounts.logins import DEVICE_PREFIX
from domain.codes import Role
from projections.queries import COUNTY, Area

#: Paths served without a token: the API's own documentation, the liveness check, the web
#: workbench (its pages sign in with a session cookie instead) and the grid worker's offline app
#: (its shell; it signs in for a device session and then calls the API with it).
PUBLIC_PATHS = ["^/schema", "^/static", "^/health$", "^/$", "^/favicon.ico$", "^/web", "^/api/public/",
                "^/app"]


class SessionRefused(NotAuthorizedException):
    """A phone's device token no longer taken, with why (`SessionEnd`: the phone keeps its
    unsent queue when the session expired, and wipes its copy otherwise)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class TokenAuthentication(AbstractAuthenticationMiddleware):
    """Reads ``Authorization: Bearer <token>`` and finds the enabled user it belongs to: an API
    token's, or a phone's device session's (`Logins.device_user`)."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any],
                                   ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("缺少 Bearer 令牌")
        token = token.strip()
        state = connection.app.state
        # an API token, or a phone's session (the grid worker's offline app, `interfaces.web.field`)
        user = state.users.authenticate(token) or state.logins.device_user(token)
        if user is None and token.startswith(DEVICE_PREFIX):
            ended = state.logins.device_refusal(token)
            raise SessionRefused(ended.value, ended.message)
        if user is None:
            raise NotAuthorizedException("令牌无效或已停用")
        return AuthenticationResult(user=user, auth=token)


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler,
                     ) -> None:
    """Refuse a caller whose role may not use this route (403 with the rule's code).

    Asynchronous only so that litestar runs it on the event loop: it does no I/O, and a
    synchronous guard would cost every request a trip through the thread pool."""
    if handler.opt.get("web"):
        return  # the workbench's pages check their user and role themselves
    command, read = handler.opt.get("command"), handler.opt.get("read")
    if command:
        connection.user.require(command)
    if read:
        connection.user.require_read(read)
    unknown = set(connection.query_params) - _parameter_names(handler)
    if unknown:  # a misspelt filter would be ignored silently and the whole list returned
        raise ValidationException(
            f"未知的查询参数：{'、'.join(sorted(unknown))}；"
            f"可用：{'、'.join(sorted(_parameter_names(handler) - _RESERVED)) or '无'}")
    names = [name for name, _ in connection.query_params.multi_items()]
    if len(names) != len(set(names)):  # one of two values would be dropped silently
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise ValidationException(f"查询参数重复：{'、'.join(repeated)}；每个参数只能给一个值")


_RESERVED = frozenset({"request", "data", "state", "scope", "headers", "cookies", "query", "socket"})


def _parameter_names(handler: BaseRouteHandler) -> frozenset[str]:
    """The names a route's handler takes (its query parameters among them)."""
    # Keyed by the function: litestar hands the guard a fresh copy of the handler per
    # request, and a cache keyed by those copies kept every one of them alive.
    names = _PARAMETER_NAMES.get(handler.fn)
    if names is None:
        names = _PARAMETER_NAMES[handler.fn] = frozenset(handler.parsed_fn_signature.parameters)
    return names


_PARAMETER_NAMES: dict[Any, frozenset[str]] = {}


def area_of(user: User) -> Area:
    """The read-model area a user's queries are confined to."""
    if user.role is Role.TOWNSHIP_WORKSTATION:
        return Area("township", township=user.township)
    if user.role is Role.VILLAGE_LIAISON:
        return Area("village", township=user.township, village=user.village)
    if user.role is Role.DEPARTMENT:
        return Area("department", department=user.department)
    return COUNTY
