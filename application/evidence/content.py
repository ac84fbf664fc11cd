"""Checking a file for real before it is kept as evidence, and what is kept of it.

The kind comes from the bytes (magic numbers), then an image must decode whole (Pillow): a PNG
header followed by junk is refused. Unless the county keeps them (`Settings.keep_photo_metadata`),
a photo's location and device data go before the digest is taken, so the digest names the bytes
kept: the EXIF, XMP and IPTC segments of a JPEG (its orientation is written back alone) and the
text and EXIF chunks of a PNG are dropped without decoding the pixels again, so nothing else of
the picture changes. Images get a JPEG thumbnail; PDFs are checked for their header and end.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from application.evidence.kinds import (
    KINDS,
    MAX_PIXELS,
    THUMBNAIL_EDGE,
    UNSPECIFIC_TYPES,
    FileTooLarge,
    Kind,
    KindNotAccepted,
    accepted,
)
from domain.errors import InvalidValue

_JPEG, _PNG, _PDF = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"%PDF-"
_ORIENTATION = 0x0112


@dataclass(frozen=True)
class CheckedFile:
    """A file fit to keep: its bytes as kept, their digest, its kind and its thumbnail."""

    content: bytes
    sha256: str
    media_type: str
    thumbnail: bytes | None


def checked_file(data: bytes, declared: str | None = None, *, keep_metadata: bool = False,
                 field: str = "file") -> CheckedFile:
    """The file as it will be kept, or the reason it is refused (413, 415 or 422)."""
    if not data:
        raise InvalidValue("ATTACHMENT_EMPTY", "文件是空的", field)
    kind = _kind_of(data, field)
    declared = (declared or "").split(";")[0].strip().lower()
    if declared not in UNSPECIFIC_TYPES and declared != kind.media_type:
        raise KindNotAccepted("ATTACHMENT_TYPE_MISMATCH",
                              f"文件内容是{kind.label}，与声明的类型 {declared} 不符", field)
    if len(data) > kind.max_bytes:
        raise FileTooLarge("ATTACHMENT_TOO_LARGE",
                           f"{kind.label}不能超过 {kind.max_label}（此文件 {len(data) / 2**20:.1f} MB）",
                           field)
    thumbnail = None
    if kind.image:
        image = _decoded(data, kind, field)
        if not keep_metadata:
            try:
                data = _stripped(data, kind, image)
            except (ValueError, IndexError, struct.error):
                raise InvalidValue("ATTACHMENT_UNREADABLE", f"{kind.label}的结构有误，无法去除位置信息",
                                   field) from None
            image = _decoded(data, kind, field)
        thumbnail = _thumbnail(image)
    else:
        _check_pdf(data, field)
    return CheckedFile(data, hashlib.sha256(data).hexdigest(), kind.media_type, thumbnail)


def _kind_of(data: bytes, field: str) -> Kind:
    for magic, media_type in ((_JPEG, "image/jpeg"), (_PNG, "image/png"), (_PDF, "application/pdf")):
        if data.startswith(magic):
            return KINDS[media_type]
    raise KindNotAccepted("ATTACHMENT_TYPE", f"只接受{accepted()}；此文件的内容不是其中之一", field)


def _decoded(data: bytes, kind: Kind, field: str) -> Image.Image:
    """The image decoded whole, or refused as not the picture it claims to be."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind.media_type.split("/")[1].upper()])
            if image.width * image.height > MAX_PIXELS:
                raise FileTooLarge("ATTACHMENT_TOO_LARGE",
                                   f"图片不能超过 {MAX_PIXELS // 1_000_000} 百万像素"
                                   f"（此图 {image.width}×{image.height}）", field)
            image.load()
    except FileTooLarge:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own words are English and name its internals: the reader gets the rule only
        raise InvalidValue("ATTACHMENT_UNREADABLE", f"文件开头像{kind.label}，但无法完整解码（已损坏或伪造）",
                           field) from None
    return image


def _stripped(data: bytes, kind: Kind, image: Image.Image) -> bytes:
    if kind.media_type == "image/jpeg":
        return _stripped_jpeg(data, image.getexif().get(_ORIENTATION, 1))
    return _stripped_png(data)


#: JPEG segments kept: JFIF (APP0), ICC colour profiles (APP2 "ICC_PROFILE") and Adobe's
#: colour transform (APP14). EXIF and XMP (APP1), IPTC (APP13), comments, the other
#: application segments and anything after the image's end go.
_KEPT_APP = {0xE0, 0xEE}


def _stripped_jpeg(data: bytes, orientation: int) -> bytes:
    out = bytearray(data[:2])
    if orientation != 1:
        exif = Image.Exif()
        exif[_ORIENTATION] = orientation
        payload = exif.tobytes()
        out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    i = 2
    while i + 2 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("JPEG marker expected")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image: what follows is not the picture
            out += data[i:i + 2]
            return bytes(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            out += data[i:i + 2]
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        end = i + 2 + length
        segment = data[i:end]
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next marker
            end = _scan_end(data, end)
            out += data[i:end]
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker in _KEPT_APP or (marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\0"):
                out += segment
        else:
            out += segment
        i = end
    raise ValueError("JPEG without its end marker")


def _scan_end(data: bytes, i: int) -> int:
    """Where the entropy-coded data starting at ``i`` ends: the next marker that is not a
    stuffed 0xFF00 nor a restart marker."""
    while True:
        i = data.index(b"\xff", i)
        following = data[i + 1] if i + 1 < len(data) else 0xD9
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            i += 1 if following == 0xFF else 2
            continue
        return i


#: PNG chunks that carry text, EXIF or times (where cameras and editors put location and device).
_DROPPED_PNG = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def _stripped_png(data: bytes) -> bytes:
    out = bytearray(_PNG)
    i = len(_PNG)
    while i + 8 <= len(data):
        (length,) = struct.unpack(">I", data[i:i + 4])
        chunk_type = data[i + 4:i + 8]
        end = i + 12 + length
        if chunk_type not in _DROPPED_PNG:
            out += data[i:end]
        if chunk_type == b"IEND":
            break
        i = end
    return bytes(out)


def _thumbnail(image: Image.Image) -> bytes:
    """A small JPEG of the image, upright, on white where it was transparent."""
    shown = ImageOps.exif_transpose(image)
    shown.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    if shown.mode not in ("RGB", "L"):
        rgba = shown.convert("RGBA")
        shown = Image.new("RGB", rgba.size, "white")
        shown.paste(rgba, mask=rgba.getchannel("A"))
    out = io.BytesIO()
    shown.save(out, "JPEG", quality=75)
    return out.getvalue()


def _check_pdf(data: bytes, field: str) -> None:
    """A PDF has a version after its header and ends with ``%%EOF`` (a truncated upload does
    not)."""
    if not (len(data) > 8 and data[5:6].isdigit() and data[6:7] == b"." and data[7:8].isdigit()
            and b"%%EOF" in data[-2048:]):
        raise InvalidValue("ATTACHMENT_UNREADABLE", "文件开头像 PDF，但不是完整的 PDF 文件（已损坏或伪造）",
                           field)
