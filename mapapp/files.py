"""Documents uploaded by residents and officers (landowner consents, receipts, signature
sheets): accepted as PDF, JPEG, PNG or WebP by their content, and kept in private storage
that the web server never serves; views hand them out after a permission check."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from mapapp.errors import NotFound

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
NOT_A_DOCUMENT = _("Upload a PDF, JPEG, PNG or WebP file.")
DOCUMENT_TOO_BIG = _("The file is larger than %(mb)s MB.")
# Pillow's own limit (about 89 megapixels; A3 scanned at 600 dpi is 70): a larger image, or a
# small file that unpacks to a huge one (a decompression bomb), would tie up the server now
# and the officer's computer that opens it later
DOCUMENT_MAX_PIXELS = Image.MAX_IMAGE_PIXELS
DOCUMENT_TOO_MANY_PIXELS = _(
    "The scan has too many pixels (at most %(mp)s megapixels): scan it at a lower resolution."
)


@deconstructible
class PrivateFileStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT (read when used, so tests and deployments can move it),
    which is outside MEDIA_ROOT and has no URL: only permission-checked views serve them."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None

    def url(self, name):
        raise ValueError("private files have no public URL")


private_storage = PrivateFileStorage()
logger = logging.getLogger(__name__)


def delete_after_commit(*field_files) -> None:
    """The stored files go once the transaction that stops naming them commits: a
    rollback keeps both the rows and the files. Empty fields are skipped."""
    for field_file in field_files:
        if field_file:
            name, storage = field_file.name, field_file.storage
            transaction.on_commit(lambda s=storage, n=name: s.delete(n))


def file_response(field, *, filename: str | None = None, **kwargs) -> FileResponse:
    """A stored file as a download. A file that the database names but the storage no longer
    holds (lost media, a restore without its files) answers 404 and is logged as an error for
    the operators, instead of failing the request with a 500."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        logger.error("stored file missing: %s (%s)", field.name, field.instance._meta.label)
        raise NotFound(_("The file is missing from storage.")) from None
    kwargs.setdefault("as_attachment", True)
    return FileResponse(handle, filename=filename or field.name.split("/")[-1], **kwargs)


def check_document(upload) -> None:
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError(DOCUMENT_TOO_BIG, params={"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)})
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head == b"%PDF-":
        return
    too_many = ValidationError(
        DOCUMENT_TOO_MANY_PIXELS, params={"mp": DOCUMENT_MAX_PIXELS // 1_000_000}
    )
    try:
        with Image.open(upload) as image:
            if image.format not in ("JPEG", "PNG", "WEBP"):
                raise ValidationError(NOT_A_DOCUMENT)
            if image.width * image.height > DOCUMENT_MAX_PIXELS:
                raise too_many
            image.verify()
    except Image.DecompressionBombError as exc:  # twice the limit: Pillow refuses to open it
        raise too_many from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(NOT_A_DOCUMENT) from exc
    finally:
        upload.seek(0)
