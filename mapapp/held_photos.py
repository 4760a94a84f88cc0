"""Photos kept through a form error. A browser empties a form's file field when the server
answers the form with an error (a place outside the city, a name left out), so a resident
who chose six photos on a phone had to find them again. Instead, each photo of a refused
form is checked and kept, its metadata (location among it) already removed, in private
storage; the form shows it as kept, and a signed token in the form brings it back with the
next try. Kept photos are deleted once the form is saved, and by `manage.py
apply_retention` a day after they were kept (held_photos_expire)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from mapapp.files import private_storage
from mapapp.images import process_image

FOLDER = "held-photos"
MAX_HELD = 12  # a form takes six; more is a mistake or abuse, not a photo to keep
KEEP = dt.timedelta(days=1)
_SALT = "mapapp.held_photo"


@dataclass(frozen=True)
class HeldPhoto:
    token: str  # signed: this person's, this file
    path: str  # in private storage
    name: str  # the file's name as the person chose it


def hold_photos(*, user, uploads) -> tuple[list[HeldPhoto], list[str]]:
    """Keep each upload that is a photo (metadata removed, as on a saved form) for this
    person's next try; the others' reasons ("name: why"), which the form shows."""
    held, errors = [], []
    for upload in list(uploads)[:MAX_HELD]:
        try:
            image = process_image(upload, name_stem="held")
        except ValidationError as exc:
            errors += [f"{upload.name}: {message}" for message in exc.messages]
            continue
        path = private_storage.save(f"{FOLDER}/{image.display.name}", image.display)
        name = (upload.name or "photo.jpg")[:100]
        token = signing.dumps({"u": user.pk, "p": path, "n": name}, salt=_SALT, compress=True)
        held.append(HeldPhoto(token=token, path=path, name=name))
    return held, errors


def held_photos(*, user, tokens) -> list[HeldPhoto]:
    """The photos these tokens keep for this person, still there: a token of someone else's,
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
        if not path.startswith(f"{FOLDER}/") or path in seen or not private_storage.exists(path):
            continue
        seen.add(path)
        found.append(HeldPhoto(token=token, path=path, name=name))
    return found


def held_files(photos: list[HeldPhoto]) -> list[ContentFile]:
    """The kept photos as uploads again, under the names the person gave them."""
    files = []
    for photo in photos:
        with private_storage.open(photo.path, "rb") as handle:
            files.append(ContentFile(handle.read(), name=photo.name))
    return files


def release(photos: list[HeldPhoto]) -> None:
    """The form is saved: its kept photos are stored with it, so their copies go."""
    for photo in photos:
        private_storage.delete(photo.path)


def held_photos_expire(*, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Kept photos whose form was never sent again, deleted a day after they were kept.
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
