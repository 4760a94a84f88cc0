"""Files kept through a form error. A browser empties a form's file field when the server
answers the form with an error (a place outside the city, a name left out, an expense over
the grant), so a resident who chose six photos on a phone, or a scanned receipt, had to
find them again. Instead, each file of a refused form is checked and kept in private
storage, a photo with its metadata (location among it) already removed, a document as it
is; the form shows it as kept, and a signed token in the form brings it back with the next
try, for the same person only. Kept files are deleted once the form is saved, and by
`manage.py apply_retention` a day after they were kept (held_uploads_expire)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from mapapp.files import check_document, private_storage
from mapapp.images import process_image

FOLDER = "held-uploads"
MAX_HELD = 12  # a form takes six; more is a mistake or abuse, not a photo to keep
KEEP = dt.timedelta(days=1)
_SALT = "mapapp.held_upload"


@dataclass(frozen=True)
class HeldUpload:
    token: str  # signed: this person's, this file
    path: str  # in private storage
    name: str  # the file's name as the person chose it


def hold_photos(*, user, uploads) -> tuple[list[HeldUpload], list[str]]:
    """Keep each upload that is a photo (metadata removed, as on a saved form) for this
    person's next try; the others' reasons ("name: why"), which the form shows."""

    def photo(upload):
        image = process_image(upload, name_stem=f"u{user.pk}-held")
        return image.display.name, image.display

    return _hold(user, uploads, photo)


def hold_documents(*, user, uploads) -> tuple[list[HeldUpload], list[str]]:
    """Keep each upload that is a document the forms take (PDF, JPEG, PNG, WebP: a receipt,
    a consent) as it is, for this person's next try; the others' reasons."""

    def document(upload):
        check_document(upload)
        upload.seek(0)
        suffix = Path(upload.name or "").suffix.lower()[:10]
        return f"u{user.pk}-held-{secrets.token_urlsafe(12)}{suffix}", upload

    return _hold(user, uploads, document)


def _hold(user, uploads, checked) -> tuple[list[HeldUpload], list[str]]:
    held, errors = [], []
    for upload in list(uploads)[:MAX_HELD]:
        try:
            name, content = checked(upload)
        except ValidationError as exc:
            errors += [f"{upload.name}: {message}" for message in exc.messages]
            continue
        path = private_storage.save(f"{FOLDER}/{name}", content)
        name = (upload.name or "file")[:100]
        token = signing.dumps({"u": user.pk, "p": path, "n": name}, salt=_SALT, compress=True)
        held.append(HeldUpload(token=token, path=path, name=name))
    return held, errors


def held_uploads(*, user, tokens) -> list[HeldUpload]:
    """The files these tokens keep for this person, still there: a token of someone else's,
    a crafted one, or one whose file has expired is left out."""
    found, seen = [], set()
    for token in list(tokens)[:MAX_HELD]:
        try:
            data = signing.loads(token, salt=_SALT)
        except (signing.BadSignature, ValueError, TypeError):
            continue
        if not isinstance(data, dict) or data.get("u") != user.pk:
            continue
        path, name = str(data.get("p", "")), str(data.get("n", ""))
        # a file of the folder itself, never a path out of it (the token is signed; still)
        if path != f"{FOLDER}/{Path(path).name}" or path in seen:
            continue
        if not private_storage.exists(path):  # expired
            continue
        seen.add(path)
        found.append(HeldUpload(token=token, path=path, name=name))
    return found


def held_files(kept: list[HeldUpload]) -> list[ContentFile]:
    """The kept files as uploads again, under the names the person gave them."""
    files = []
    for upload in kept:
        with private_storage.open(upload.path, "rb") as handle:
            files.append(ContentFile(handle.read(), name=upload.name))
    return files


def release(kept: list[HeldUpload]) -> None:
    """The form is saved: its kept files are stored with it, so their copies go."""
    for upload in kept:
        private_storage.delete(upload.path)


def release_all_of(user) -> int:
    """An account is deleted: the files kept for it go at once (their names begin with its
    id), not a day later. Returns the count."""
    try:
        _folders, names = private_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    mine = [name for name in names if name.startswith(f"u{user.pk}-")]
    for name in mine:
        private_storage.delete(f"{FOLDER}/{name}")
    return len(mine)


def held_uploads_expire(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Kept files whose form was never sent again, deleted a day after they were kept.
    Returns the count."""
    now = now or timezone.now()
    try:
        _folders, names = private_storage.listdir(FOLDER)
    except FileNotFoundError:
        return 0
    count = 0
    for name in names:
        path = f"{FOLDER}/{name}"
        if private_storage.get_modified_time(path) < now - KEEP:
            count += 1
            if not dry_run:
                private_storage.delete(path)
    return count
