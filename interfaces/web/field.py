"""The grid worker's offline app (网格员移动走访, issue 23): an installable web app under
``/app/`` that keeps the worker's households on the phone and records visits, alerts and
self-reports taken down at the door with no signal, sending them when the network returns.

The server's part is small: the app's files (``interfaces/web/field/``: page, scripts, service
worker, manifest, icons — nothing from a CDN), the code tables its forms offer
(``/app/forms.json``, from `domain.codes` and `domain.rules`), and signing in and out. Signing
in checks the workbench's password (`Logins.login`, with its lock-out) and opens a *device
session* (`Logins.open_session(device=True)`), whose id the app sends as the API's bearer
token; every read and command then goes through the API itself, with its roles, areas,
masking, ``Idempotency-Key`` and ``Household-Version`` (`interfaces.http.commands`).
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import anyio
from litestar import Request, Response, Router, get, post
from litestar.params import JSONBody
from litestar.static_files import create_static_files_router
from msgspec import Meta, Struct

from application.accounts.access import AccessDenied
from application.accounts.logins import DEVICE_PREFIX, LoginRefused, Logins
from application.evidence.kinds import KINDS
from domain.codes import Channel, Check, DisasterKind, Problem, RiskType, Role, SuddenHardship
from domain.rules import FAILED_CHECK_SIGNALS
from interfaces.http.problems import problem

FIELD_FILES = Path(__file__).resolve().parent / "field"
mimetypes.add_type("application/manifest+json", ".webmanifest")


class SignIn(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class DeviceUser(Struct):
    name: str
    display_name: str
    township: str | None
    village: str | None
    grid_worker: Annotated[str | None, Meta(description="关联的网格员姓名；未关联时为全村")]


class DeviceSession(Struct):
    token: Annotated[str, Meta(description="设备会话：作为接口的 Bearer 令牌")]
    expires_at: datetime
    user: DeviceUser


@post("/session", status_code=201)
async def sign_in(request: Request, data: JSONBody[SignIn]) -> Response[Any]:
    """A grid worker signs in on the phone: the workbench's password, a device session back."""
    logins: Logins = request.app.state.logins
    try:  # argon2 takes tens of milliseconds on purpose: off the event loop
        user = await anyio.to_thread.run_sync(logins.login, data.name.strip(), data.password)
    except LoginRefused as refused:
        return problem(401, refused.code, refused.message, field="password", request=request)
    if user.role is not Role.VILLAGE_LIAISON:
        raise AccessDenied("ROLE_FORBIDDEN", "移动走访仅供村联络站（网格员）使用；其他角色请用工作台",
                           "name")
    token = await anyio.to_thread.run_sync(lambda: logins.open_session(user, device=True))
    expires = await anyio.to_thread.run_sync(logins.session_expires, token)
    worker = await anyio.to_thread.run_sync(request.app.state.my_work.grid_worker, user)
    return Response(DeviceSession(token=token, expires_at=expires, user=DeviceUser(
        name=user.name, display_name=user.display_name or user.name, township=user.township,
        village=user.village, grid_worker=worker)), status_code=201)


@post("/session/end", status_code=204, sync_to_thread=True)
def sign_out(request: Request) -> None:
    """The phone signs out: its device session ends (the app wipes its own copy)."""
    _, _, token = request.headers.get("authorization", "").partition(" ")
    if token.strip().startswith(DEVICE_PREFIX):
        request.app.state.logins.close_session(token.strip())


@get("/forms.json", sync_to_thread=False)
def forms(request: Request) -> dict[str, Any]:
    """The code tables the app's forms offer, which risk and problem each failed check of a
    visit signals (the rule a visit's own alert follows: `domain.rules.FAILED_CHECK_SIGNALS`),
    and how the phone treats a photo: the county's setting on location and device data
    (``FANGPIN_KEEP_PHOTO_METADATA``) and the limits the server holds each kind to."""
    return {
        "photos": {
            "keep_metadata": request.app.state.settings.keep_photo_metadata,
            "max_bytes": {kind.media_type: kind.max_bytes for kind in KINDS.values() if kind.image},
        },
        "checks": [c.value for c in Check],
        "risk_types": [r.value for r in RiskType],
        "problems": [p.value for p in Problem],
        "disaster_kinds": [k.value for k in DisasterKind],
        "sudden_hardships": [h.value for h in SuddenHardship],
        "failed_check_signals": {c.value: {"risk_type": risk.value,
                                           "problem": found.value if found else None}
                                 for c, (risk, found) in FAILED_CHECK_SIGNALS.items()},
        "channels": {"alert": Channel.CADRE_SCREENING.value,
                     "self_report": Channel.SELF_DECLARATION.value},
    }


def field_routers() -> list[Router]:
    """The app's API under ``/app`` and its files (``/app/`` is its page)."""
    return [
        Router("/app", route_handlers=[sign_in, sign_out, forms], include_in_schema=False),
        create_static_files_router("/app", directories=[FIELD_FILES], html_mode=True,
                                   name="field-app", include_in_schema=False),
    ]
