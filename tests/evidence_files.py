"""Files the evidence tests send: a phone photo with its GPS position and camera, a PNG with
text chunks, a fake image, a PDF, and files over the limits."""

from __future__ import annotations

import io

from PIL import Image

GPS_IFD, MAKE, MODEL, ORIENTATION = 0x8825, 0x010F, 0x0110, 0x0112


def phone_photo(orientation: int = 6, colour: str = "green", size: tuple[int, int] = (640, 480),
                ) -> bytes:
    """A JPEG as a phone takes it: camera make and model, GPS position, rotated."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Xiaomi", "Redmi Note 12", orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (39.0, 20.0, 15.0), 3: "E", 4: (114.0, 41.0, 2.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def labelled_png() -> bytes:
    """A PNG carrying a text chunk (where editors write device and place)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Location", "39.3375N 114.6839E")
    out = io.BytesIO()
    Image.new("RGBA", (200, 100), (255, 0, 0, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def fake_png() -> bytes:
    """A PNG header followed by junk: named like an image, not one."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"junk" * 200


def scanned_pdf(padding: int = 0) -> bytes:
    return (b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\n" + b"%" + b"0" * padding
            + b"\ntrailer <</Root 1 0 R>>\n%%EOF\n")


def oversized_jpeg() -> bytes:
    """Eleven megabytes that begin like a JPEG: over the 10 MB a photo may have."""
    return b"\xff\xd8\xff\xe0" + b"\x00" * (11 * 1024 * 1024)


def exif_of(data: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(data)).getexif()
