"""Evidence files as the API answers them: an upload's answer, and the evidence in a case file."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from msgspec import Meta, Struct

from domain.codes import Role


class AttachmentOut(Struct):
    """A file kept as evidence: name it by ``sha256`` in ``attachments`` of a command."""

    sha256: Annotated[str, Meta(description="文件内容的 SHA-256（去除位置信息后）：附件的名字")]
    size: Annotated[int, Meta(description="字节数")]
    media_type: Annotated[str, Meta(description="按内容判定的类型：image/jpeg、image/png 或 application/pdf")]


class EvidenceFileOut(Struct):
    sha256: str
    media_type: Annotated[str | None, Meta(description="类型（文件不在库中时为空）")]
    size: int | None
    url: Annotated[str, Meta(description="读取文件（与档案相同的权限，并记入查阅日志）")]
    thumbnail_url: Annotated[str | None, Meta(description="缩略图（仅图片）")]


class AttachedBy(Struct):
    user: str
    role: Role


class EvidenceOut(Struct):
    """Files attached as evidence of one recorded fact."""

    fact: Annotated[str, Meta(description="所属事实：visit:走访编号、alert:预警编号、step:案件号:程序:环节…")]
    fact_label: Annotated[str, Meta(description="所属事实（中文）")]
    note: str
    occurred_on: date
    attached_by: AttachedBy
    files: list[EvidenceFileOut]
