"""What files the county accepts as evidence, and how large: the one table of kinds and limits.

A file's kind is what its bytes are (`application.evidence.content`), never its name or the type
a client declares. Each refusal has a stable code and a Chinese message: 413 for a file too
large (`FileTooLarge`), 415 for a kind not accepted (`KindNotAccepted`), 422 for a file that is
not what it claims to be.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import DomainError

MIB = 1024 * 1024


@dataclass(frozen=True)
class Kind:
    """An accepted kind of file: its media type, its name for people, the largest accepted,
    whether it is an image (decoded, stripped of location and device data, thumbnailed)."""

    media_type: str
    label: str
    max_bytes: int
    image: bool

    @property
    def max_label(self) -> str:
        return f"{self.max_bytes // MIB} MB"


#: Every kind accepted, by media type: photos (resized on the device, but a scan may be large)
#: and PDFs (scans of signed papers).
KINDS: dict[str, Kind] = {kind.media_type: kind for kind in (
    Kind("image/jpeg", "JPEG 照片", 10 * MIB, True),
    Kind("image/png", "PNG 图片", 10 * MIB, True),
    Kind("application/pdf", "PDF 文件", 20 * MIB, False),
)}
#: The largest image accepted, in pixels (a larger one is a decompression bomb, or a mistake):
#: a 50 MP RGBA decode took ~700 MB, so a larger scan or photo is resized before it is sent.
MAX_PIXELS = 24_000_000
#: The longer edge of a thumbnail, in pixels.
THUMBNAIL_EDGE = 320
#: The thumbnails' own kind.
THUMBNAIL_TYPE = "image/jpeg"
#: The largest upload body: the largest kind, with room for a multipart envelope.
MAX_UPLOAD_BYTES = max(kind.max_bytes for kind in KINDS.values()) + 64 * 1024
#: Declared types that say nothing about the content (the content decides).
UNSPECIFIC_TYPES = frozenset({"", "application/octet-stream"})


class FileTooLarge(DomainError):
    """A file over its kind's limit (HTTP 413)."""


class KindNotAccepted(DomainError):
    """A file of a kind not accepted, or not the kind declared (HTTP 415)."""


def accepted() -> str:
    """The accepted kinds and limits, for people: JPEG 照片（≤10 MB）、…"""
    return "、".join(f"{kind.label}（不超过 {kind.max_label}）" for kind in KINDS.values())
