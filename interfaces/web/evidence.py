"""Evidence files on the workbench: a household's photos and scans, shown as thumbnails on its
page and its timeline, read with the session's user under the case file's own access rule and
access log (`interfaces.http.evidence.evidence_file`, the API's own)."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from interfaces.http.evidence import evidence_file
from interfaces.web.session import signed_in


def _file(request: Request, code: str, sha256: str, *, thumbnail: bool) -> Response[bytes]:
    user = signed_in(request)
    user.require_read("households")
    state = request.app.state
    return evidence_file(user, state.case_files, state.access_log, code, sha256, request.url.path,
                         thumbnail=thumbnail)


@get("/web/households/{code:str}/attachments/{sha256:str}", sync_to_thread=True)
def attachment(request: Request, code: FromPath[str], sha256: FromPath[str]) -> Response[bytes]:
    return _file(request, code, sha256, thumbnail=False)


@get("/web/households/{code:str}/attachments/{sha256:str}/thumbnail", sync_to_thread=True)
def thumbnail(request: Request, code: FromPath[str], sha256: FromPath[str]) -> Response[bytes]:
    return _file(request, code, sha256, thumbnail=True)


HANDLERS = [attachment, thumbnail]
