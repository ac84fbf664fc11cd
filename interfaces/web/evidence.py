"""Evidence files on the workbench: a household's photos and scans, shown as thumbnails on its
page and its timeline, read with the session's user under the case file's own access rule and
access log (`interfaces.http.evidence.evidence_file`, the API's own).

The attach form takes files picked on the page, not digests typed: the form is sent as
multipart, each file is kept as the API's upload keeps it (`AttachmentStore.receive`: its kind,
size and content checked), and the attach command is then run with their digests, as the API
runs it. Files kept before a refusal ride along hidden, so the form sent again needs no new pick.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
from litestar import Request, Response, get
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.params import FromPath

from application.accounts.access import User
from application.evidence.kinds import KINDS, MAX_UPLOAD_BYTES, accepted
from domain.errors import DomainError
from domain.household import Household
from interfaces.http.evidence import evidence_file
from interfaces.web.forms import Field
from interfaces.web.session import signed_in

#: The attach form's field of files: the digests a command names, files picked on the page.
FILES = "attachments"
#: The attach form's field naming the fact the files show.
FACT = "fact"
#: The input the files are picked in.
PICKED = f"{FILES}-files"
#: The largest attach form: a few files of the largest kind at once.
FORM_MAX_BYTES = 4 * MAX_UPLOAD_BYTES


def file_picker(fields: list[Field], household: Household | None = None) -> list[Field]:
    """The form's list of digests as a file picker (the kinds accepted, from the one table),
    and the fact they are attached to as a choice of the household's facts, in words."""
    for f in fields:
        if f.name == FILES and f.kind == "lines":
            f.kind, f.options = "files", list(KINDS)
            f.hint = f"可上传：{accepted()}。"
        if f.name == FACT and household is not None:
            f.kind, f.labelled = "select", household.evidence_facts()
            f.hint = "证据附于本户档案中已记录的一项事实。"
    return fields


async def keep_picked(request: Request, user: User, form: FormMultiDict, fields: list[Field],
                      values: dict[str, Any]) -> None:
    """Keep each file picked on the form, its digest added to the form's files (``values``, and
    the field shown again); a file refused (its kind, size or content) refuses the form, naming
    the file, with those kept before it kept."""
    field = next((f for f in fields if f.kind == "files"), None)
    picked = [u for u in form.getall(PICKED, []) if isinstance(u, UploadFile) and u.filename]
    if field is None or not picked:
        return
    store = request.app.state.case_files.attachments()
    for upload in picked:
        receive = partial(store.receive, await upload.read(), upload.content_type, by=user.name)
        try:
            kept = await anyio.to_thread.run_sync(receive)
        except DomainError as refused:
            raise type(refused)(refused.code, f"{upload.filename}：{refused.message}", FILES) from None
        values[FILES] = field.value = [*values.get(FILES, []), kept.sha256]


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
