"""Uploaded photos: checked by content, auto-rotated, stripped of all metadata, resized.

EXIF GPS in a resident's photo would reveal where they live, so nothing of the original file
is kept: the pixels are decoded and written anew as JPEG (display size and thumbnail).
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000  # ~ 7700 x 5200; a larger image (or a decompression bomb) is refused
DISPLAY_SIZE = 1600
THUMB_SIZE = 400

NOT_AN_IMAGE = _("The file is not a JPEG, PNG or WebP image.")
TOO_BIG_FILE = _("The image is larger than %(mb)s MB.")
TOO_MANY_PIXELS = _("The image has too many pixels (at most %(mp)s megapixels).")


@dataclass
class ProcessedImage:
    display: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _encode(image: Image.Image, size: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=85, optimize=True)  # no exif= : nothing carried over
    return out.getvalue()


def check_image(upload) -> None:
    """The cheap checks, without decoding the pixels: size, format, pixel count, structure.
    Raises ValidationError with the reason (an importer checks a whole file's photos first,
    then decodes them one by one as it stores them)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError(TOO_BIG_FILE, params={"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            fmt = probe.format
            width, height = probe.size
            if fmt not in ALLOWED_FORMATS:
                raise ValidationError(NOT_AN_IMAGE)
            if width * height > MAX_PIXELS:
                raise ValidationError(TOO_MANY_PIXELS, params={"mp": MAX_PIXELS // 1_000_000})
            probe.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError as exc:
        raise ValidationError(TOO_MANY_PIXELS, params={"mp": MAX_PIXELS // 1_000_000}) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(NOT_AN_IMAGE) from exc
    finally:
        upload.seek(0)


def process_image(upload, *, name_stem: str = "photo") -> ProcessedImage:
    check_image(upload)
    try:
        with Image.open(upload) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                background = Image.new("RGB", image.size, "white")
                rgba = image.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                image = background
            elif image.mode == "L":
                image = image.convert("RGB")
            display = _encode(image, DISPLAY_SIZE)
            thumb = _encode(image, THUMB_SIZE)
            width, height = image.size
    except Image.DecompressionBombError as exc:
        raise ValidationError(TOO_MANY_PIXELS, params={"mp": MAX_PIXELS // 1_000_000}) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(NOT_AN_IMAGE) from exc
    # an unguessable name: a draft's photo must not be found by counting ids
    stem = f"{name_stem}-{secrets.token_urlsafe(12)}"
    return ProcessedImage(
        display=ContentFile(display, name=f"{stem}.jpg"),
        thumbnail=ContentFile(thumb, name=f"{stem}-thumb.jpg"),
        width=width,
        height=height,
    )
