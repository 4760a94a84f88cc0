"""Photo uploads: checked by content, metadata stripped, size and pixel limits."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mapapp import images
from sites.models import Site, SitePhoto
from sites.services import site_report
from tests.sites.conftest import PIN


def upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def image_bytes(fmt="JPEG", size=(320, 240), exif=None, mode="RGB"):
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, "green").save(out, format=fmt, **kwargs)
    return out.getvalue()


def report(resident, koszalin, *files):
    return site_report(
        reporter=resident,
        city=koszalin,
        name="Site",
        description="",
        point_geojson=PIN,
        photos=list(files),
    )


def test_metadata_is_gone_after_upload(resident, koszalin):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (54.0, 11.0, 25.0)}  # GPS latitude
    site = report(resident, koszalin, upload("gps.jpg", image_bytes(exif=exif.tobytes())))
    photo = site.photos.get()
    for field in (photo.image, photo.thumbnail):  # read both back from storage
        with field.open("rb") as stored, Image.open(stored) as image:
            assert not image.getexif()
            assert "exif" not in image.info
    with photo.thumbnail.open("rb") as stored, Image.open(stored) as thumb:
        assert max(thumb.size) <= images.THUMB_SIZE


def test_png_renamed_jpg_is_handled_by_content(resident, koszalin):
    site = report(resident, koszalin, upload("photo.jpg", image_bytes("PNG", mode="RGBA")))
    with site.photos.get().image.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"


def test_text_renamed_jpg_is_refused_and_nothing_saved(resident, koszalin):
    with pytest.raises(ValidationError) as exc:
        report(resident, koszalin, upload("photo.jpg", b"this is a text file\n" * 20))
    assert "not a JPEG, PNG or WebP" in exc.value.message_dict["photos"][0]
    assert not Site.objects.exists() and not SitePhoto.objects.exists()


def test_oversized_images_are_refused(resident, koszalin, settings):
    # too many pixels (a small file: one colour compresses well)
    big = image_bytes("PNG", size=(8000, 6000))
    with pytest.raises(ValidationError) as exc:
        report(resident, koszalin, upload("big.png", big, "image/png"))
    assert "too many pixels" in exc.value.message_dict["photos"][0]
    # too many bytes
    heavy = upload("heavy.jpg", image_bytes())
    heavy.size = images.MAX_UPLOAD_BYTES + 1
    with pytest.raises(ValidationError) as exc:
        report(resident, koszalin, heavy)
    assert "larger than" in exc.value.message_dict["photos"][0]
    assert not Site.objects.exists()


def test_decompression_bomb_is_refused():
    # a PNG header claiming 50,000 x 50,000 pixels
    bomb = image_bytes("PNG", size=(50000, 1))
    bomb = bomb.replace(
        (50000).to_bytes(4, "big") + (1).to_bytes(4, "big"),
        (50000).to_bytes(4, "big") + (50000).to_bytes(4, "big"),
        1,
    )
    with pytest.raises(ValidationError):
        images.process_image(upload("bomb.png", bomb, "image/png"))


def test_stored_names_are_not_guessable(resident, koszalin):
    site = report(
        resident, koszalin, upload("a.jpg", image_bytes()), upload("b.jpg", image_bytes())
    )
    names = [p.image.name for p in site.photos.all()]
    assert len({n.rsplit("/", 1)[-1].split("-")[0] for n in names}) == 1  # same prefix...
    assert len(set(names)) == 2 and all(len(n.rsplit("/", 1)[-1]) > 20 for n in names)
