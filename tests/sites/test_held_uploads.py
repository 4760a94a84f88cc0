"""Photos chosen on a form the server refused are not lost: kept (their metadata removed)
and sent again with the next try, for the person who chose them only, deleted once the
form is saved or a day later (mapapp.held_uploads)."""

import datetime as dt
import io
import os
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from mapapp.files import private_storage
from mapapp.held_uploads import FOLDER
from sites.models import Site
from tests.proposals.conftest import jpeg_bytes, jpeg_upload, make_user
from tests.sites.conftest import PIN

pytestmark = pytest.mark.django_db
URL = "/koszalin/sites/report/"
OUTSIDE = '{"type": "Point", "coordinates": [18.29, 49.83]}'  # Ostrava


def _gps_photo(name):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (54.0, 11.0, 25.0)}  # where the photographer stood
    return SimpleUploadedFile(name, jpeg_bytes("red", exif=exif.tobytes()), "image/jpeg")


def _held(page: str) -> list[tuple[str, str]]:
    return re.findall(r'name="held" value="([^"]+)" checked> ([^<]+)</label>', page)


def _kept_files() -> list[str]:
    try:
        return private_storage.listdir(FOLDER)[1]
    except FileNotFoundError:
        return []


def test_photos_of_a_refused_report_are_kept_and_sent_with_the_next_try(client, resident, koszalin):
    client.force_login(resident)
    refused = client.post(URL, {
        "name": "Broken bench", "description": "By the pond.", "geom": OUTSIDE,
        "photos": [_gps_photo("bench.jpg"), jpeg_upload("pond.jpg", color="blue")],
    })  # fmt: skip
    page = refused.content.decode()
    assert refused.status_code == 400 and "must lie inside Koszalin" in page
    held = _held(page)
    assert [name for _token, name in held] == ["bench.jpg", "pond.jpg"]
    assert "Photos kept from your last try" in page and 'value="Broken bench"' in page
    assert len(_kept_files()) == 2 and not Site.objects.exists()
    for name in _kept_files():  # kept without the place it was taken
        with private_storage.open(f"{FOLDER}/{name}") as kept, Image.open(kept) as image:
            assert not image.getexif()

    # the next try: the bench photo kept, the pond one unticked, one more chosen
    saved = client.post(URL, {
        "name": "Broken bench", "description": "By the pond.", "geom": PIN,
        "held": [held[0][0]], "photos": [jpeg_upload("more.jpg", color="green")],
    })  # fmt: skip
    assert saved.status_code == 302, saved.content.decode()[:500]
    site = Site.objects.get()
    assert site.photos.count() == 2
    reds = 0
    for photo in site.photos.all():
        with photo.image.open("rb") as stored, Image.open(stored) as image:
            reds += image.getpixel((5, 5))[0] > 200
    assert reds == 1  # the kept bench photo is among them
    assert len(_kept_files()) == 1  # the bench copy went; the unticked one waits to expire


def test_a_file_that_is_no_photo_is_named_and_the_others_kept(client, resident, koszalin):
    client.force_login(resident)
    answer = client.post(URL, {
        "name": "", "description": "x", "geom": PIN,
        "photos": [jpeg_upload("ok.jpg"), SimpleUploadedFile("notes.pdf", b"%PDF-1.4 x")],
    })  # fmt: skip
    page = answer.content.decode()
    assert answer.status_code == 400 and "notes.pdf: " in page
    assert [name for _token, name in _held(page)] == ["ok.jpg"]


def test_only_the_person_who_chose_them_gets_them_back(client, resident, koszalin):
    client.force_login(resident)
    page = client.post(URL, {"name": "x", "description": "", "geom": OUTSIDE,
                             "photos": [jpeg_upload("mine.jpg")]}).content.decode()  # fmt: skip
    [(token, _name)] = _held(page)
    other = make_user("other-reporter@example.org")
    client.force_login(other)
    saved = client.post(URL, {"name": "Theirs", "description": "", "geom": PIN,
                              "held": [token, "forged-token"]})  # fmt: skip
    assert saved.status_code == 302
    assert Site.objects.get(name="Theirs").photos.count() == 0
    assert len(_kept_files()) == 1  # still the first person's, until it expires


def test_kept_photos_are_deleted_a_day_later(client, resident, koszalin):
    client.force_login(resident)
    for name in ("old.jpg", "new.jpg"):
        client.post(URL, {"name": "x", "description": "", "geom": OUTSIDE,
                          "photos": [jpeg_upload(name)]})  # fmt: skip
    old, new = sorted(
        _kept_files(), key=lambda n: private_storage.get_modified_time(f"{FOLDER}/{n}")
    )
    day_ago = time.time() - dt.timedelta(days=1, minutes=1).total_seconds()
    os.utime(private_storage.path(f"{FOLDER}/{old}"), (day_ago, day_ago))
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 photos kept from refused forms" in out.getvalue()
    assert _kept_files() == [new]


def test_too_many_photos_are_said_under_the_photos_and_kept_to_choose_from(
    client, resident, koszalin
):
    client.force_login(resident)
    answer = client.post(URL, {"name": "Seven", "description": "", "geom": PIN,
                               "photos": [jpeg_upload(f"{n}.jpg") for n in range(7)]})  # fmt: skip
    page = answer.content.decode()
    assert answer.status_code == 400 and not Site.objects.exists()
    field = page.split('id="id_photos"')[1].split("</p>")[0]
    assert "At most 6 photos." in field and 'class="errorlist"' in field
    held = _held(page)
    assert len(held) == 7
    saved = client.post(URL, {"name": "Six", "description": "", "geom": PIN,
                              "held": [token for token, _name in held[:6]]})  # fmt: skip
    assert saved.status_code == 302 and Site.objects.get().photos.count() == 6


def test_a_signed_token_cannot_reach_out_of_the_folder(resident, koszalin):
    """Defence in depth: even a token signed with the site's key (never given out for
    such a path) does not reach another private file."""
    from django.core import signing
    from django.core.files.base import ContentFile

    from mapapp.held_uploads import held_uploads

    secret = private_storage.save("consents/someone.pdf", ContentFile(b"%PDF-1.4 private"))
    for path in (f"{FOLDER}/../{secret}", secret, f"{FOLDER}/sub/../../{secret}"):
        token = signing.dumps({"u": resident.pk, "p": path, "n": "x.pdf"},
                              salt="mapapp.held_upload", compress=True)  # fmt: skip
        assert held_uploads(user=resident, tokens=[token]) == []


def test_kept_photos_go_with_the_account(client, resident, koszalin):
    from mapapp.privacy import account_delete

    client.force_login(resident)
    client.post(URL, {"name": "x", "description": "", "geom": OUTSIDE,
                      "photos": [jpeg_upload("mine.jpg")]})  # fmt: skip
    other = make_user("keeps@example.org")
    client.force_login(other)
    client.post(URL, {"name": "y", "description": "", "geom": OUTSIDE,
                      "photos": [jpeg_upload("theirs.jpg")]})  # fmt: skip
    assert len(_kept_files()) == 2
    account_delete(user=resident)
    assert [name.startswith(f"u{other.pk}-") for name in _kept_files()] == [True]
