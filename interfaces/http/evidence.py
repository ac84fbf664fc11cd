"""Evidence files over HTTP: upload one (``POST /api/attachments``), then name its digest in
``attachments`` of ``POST /api/households/{code}/evidence``; read one back with the case file's
own rule (the household in the caller's area, every read in the access log).

The upload is the file itself as the body (its ``Content-Type`` the file's), or a multipart
form with the file in field ``file``. What it is, is judged from its bytes
(`application.evidence.content`): 413, 415 or 422 with the reason in Chinese.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import PathParameter

from application.accounts.access import User
from application.accounts.access_log import AccessLog
from application.app import CaseFiles
from application.commands import AttachEvidence
from application.evidence.kinds import MAX_UPLOAD_BYTES, THUMBNAIL_TYPE
from domain.errors import InvalidValue, NotFound
from interfaces.http.problems import PROBLEMS
from interfaces.http.queries import readable_household
from interfaces.http.schemas.evidence import AttachmentOut

Digest = Annotated[str, PathParameter(min_length=64, max_length=64, pattern="^[0-9a-f]{64}$",
                                      description="文件的 SHA-256")]
Code = Annotated[str, PathParameter(min_length=1, max_length=40, description="户编号")]

#: What a browser may do with a file shown: nothing active (a PDF's scripts, an SVG's…).
_FILE_HEADERS = {"X-Content-Type-Options": "nosniff",
                 "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox"}
_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


@post("/api/attachments", opt={"command": AttachEvidence.name}, status_code=201,
      summary="上传证据文件（照片、扫描件、PDF）：答复其 SHA-256，再在 /evidence 中引用",
      request_max_body_size=MAX_UPLOAD_BYTES, responses=PROBLEMS, tags=["命令"])
async def upload_attachment(request: Request) -> Response[AttachmentOut]:
    """Keep a file sent as evidence (once, however often it is sent) and answer its digest."""
    if request.content_type[0] == "multipart/form-data":
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidValue("ATTACHMENT_FILE_MISSING", "请在表单字段 file 中上传文件", "file")
        data, declared = await upload.read(), upload.content_type
    else:
        data, declared = await request.body(), request.content_type[0]
    user: User = request.user
    store = request.app.state.case_files.attachments()
    kept = await anyio.to_thread.run_sync(lambda: store.receive(data, declared, by=user.name))
    return Response(AttachmentOut(sha256=kept.sha256, size=kept.size, media_type=kept.media_type),
                    status_code=201)


def evidence_file(user: User, app: CaseFiles, log: AccessLog, code: str, digest: str,
                  route: str, *, thumbnail: bool = False) -> Response[bytes]:
    """A file attached as evidence to the household ``code``, for a user who may read its case
    file (the read goes to the access log under ``route``, as a case file's does); the API and
    the workbench both answer with it."""
    household = readable_household(user, log, app.household(code), route)
    kept = app.attachments().content(digest) if household.attached(digest) else None
    if kept is None:
        raise NotFound("ATTACHMENT_NOT_FOUND", f"农户 {code} 的档案中没有此附件", "sha256")
    data, media_type = kept
    if thumbnail:
        small = app.attachments().thumbnail(digest)
        if small is None:
            raise NotFound("THUMBNAIL_NOT_FOUND", "此附件不是图片，没有缩略图", "sha256")
        data, media_type = small, THUMBNAIL_TYPE
    name = f"{digest[:16]}.{_EXTENSIONS.get(kept[1], 'bin')}"
    disposition = "inline" if media_type.startswith("image/") else "attachment"
    return Response(data, media_type=media_type, headers={
        **_FILE_HEADERS, "Content-Disposition": f'{disposition}; filename="{name}"'})


@get("/api/households/{code:str}/attachments/{sha256:str}", opt={"read": "households"},
     summary="读取农户档案中的证据文件", sync_to_thread=True, responses=PROBLEMS, tags=["查询"],
     media_type="application/octet-stream")
def attachment(request: Request, code: Code, sha256: Digest) -> Response[bytes]:
    return evidence_file(request.user, request.app.state.case_files, request.app.state.access_log,
                         code, sha256, request.url.path)


@get("/api/households/{code:str}/attachments/{sha256:str}/thumbnail", opt={"read": "households"},
     summary="证据图片的缩略图", sync_to_thread=True, responses=PROBLEMS, tags=["查询"],
     media_type=THUMBNAIL_TYPE)
def attachment_thumbnail(request: Request, code: Code, sha256: Digest) -> Response[bytes]:
    return evidence_file(request.user, request.app.state.case_files, request.app.state.access_log,
                         code, sha256, request.url.path, thumbnail=True)


HANDLERS = [upload_attachment, attachment, attachment_thumbnail]
