"""Fixtures for a grant call run end to end: they compose city -> call -> proposal -> ..."""

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from mapapp.models import CityRole, Role, User
from proposals.models import GrantCall
from proposals.services import assessment, calls, drafting, support

# Koszalin, Rynek Staromiejski (inside the city; shared/data/README.md)
RYNEK = (16.1817, 54.1903)


def square(lon, lat, d_lon=0.0006, d_lat=0.0004):
    """A ~40 x 45 m square (about 0.18 ha) with its south-west corner at lon/lat."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon, lat],
                [lon + d_lon, lat],
                [lon + d_lon, lat + d_lat],
                [lon, lat + d_lat],
                [lon, lat],
            ]
        ],
    }


def make_user(email, *roles, city=None, verified=True):
    user = User.objects.create_user(email=email, password="a-long-enough-passphrase-42")
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    for role in roles:
        CityRole.objects.create(user=user, city=city, role=role)
    return user


def projects_news_people(city, applicant, *, radius_m):
    """Who asked for news of projects (funded or completed) in `city`, reading English: one
    for the whole city, one within `radius_m` of the Rynek; one who asked for proposals and
    sites only; and the `applicant`, who asked for projects too. Returns the first three."""
    from django.contrib.gis.geos import Point

    from proposals.services import alerts

    people = [make_user(f"news-{n}@example.org") for n in ("city", "near", "other")]
    for person in people:
        person.preferred_language = "en"
        person.save(update_fields=["preferred_language"])
    projects = {"proposals": False, "sites": False, "projects": True}
    whole_city, near, other = people
    alerts.alert_set(user=whole_city, city=city, district="", **projects)
    alerts.alert_set(user=near, city=city, district="", near=Point(*RYNEK), radius_m=radius_m,
                     **projects)  # fmt: skip
    alerts.alert_set(user=other, city=city, district="", proposals=True, sites=True)
    alerts.alert_set(user=applicant, city=city, district="", **projects)
    return whole_city, near, other


def jpeg_bytes(color="green", size=(64, 48), exif=None):
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def jpeg_upload(name="photo.jpg", **kw):
    return SimpleUploadedFile(name, jpeg_bytes(**kw), content_type="image/jpeg")


def png_claiming(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header claims width x height pixels: a decompression bomb
    as the server first sees it (a few bytes that would unpack to gigabytes), its header's
    checksum right."""
    import zlib

    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    png = out.getvalue()
    at = png.index(b"IHDR")  # the header chunk: its 13 bytes start with the size, then a CRC
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + png[at + 12 : at + 17]
    crc = zlib.crc32(b"IHDR" + header).to_bytes(4, "big")
    return png[: at + 4] + header + crc + png[at + 21 :]


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """Koszalin's pages default to Polish; these tests read them in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def officer(koszalin):
    return make_user("officer@example.org", Role.PROGRAMME_OFFICER, city=koszalin)


@pytest.fixture
def committee(koszalin):
    return [
        make_user(f"member{i}@example.org", Role.COMMITTEE_MEMBER, city=koszalin) for i in range(6)
    ]


@pytest.fixture
def resident(koszalin):
    return make_user("resident@example.org", Role.RESIDENT, city=koszalin)


@pytest.fixture
def supporters(koszalin):
    return [make_user(f"neighbour{i}@example.org", city=koszalin) for i in range(16)]


@pytest.fixture
def grant_call(koszalin, officer, committee):
    now = timezone.now()
    call = calls.grant_call_create(
        actor=officer,
        city=koszalin,
        title={"en": "We Create Space 2027", "pl": "Tworzymy przestrzeń 2027"},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=30),
        total_budget=Decimal("100000"),
        project_cap=Decimal("40000"),
    )
    calls.grant_call_set_committee(actor=officer, grant_call=call, members=committee)
    return call


def close_call(call: GrantCall) -> GrantCall:
    """The deadline passes (test set-up: move the window into the past)."""
    now = timezone.now()
    GrantCall.objects.filter(pk=call.pk).update(
        opens_at=now - timedelta(days=40), closes_at=now - timedelta(minutes=1)
    )
    call.refresh_from_db()
    return call


def complete_fields(**overrides):
    fields = {
        "title": "Community garden by the square",
        "description": "Raised beds, a compost bin and a bench.",
        "category": "community_garden",
        "neighbour_involvement": "Neighbours build the beds on two Saturdays.",
        "maintenance_plan": "A rota of ten households waters and weeds.",
        "landowner": "city",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def draft(resident, grant_call):
    proposal = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    return drafting.proposal_save(
        actor=resident,
        proposal=proposal,
        fields=complete_fields(),
        budget_lines=[("Timber for raised beds", "12000"), ("Soil and plants", "8000.50")],
        area_geojson=json.dumps(square(*RYNEK)),
        consent_document=SimpleUploadedFile("consent.pdf", b"%PDF-1.4 consent", "application/pdf"),
    )


@pytest.fixture
def collecting(draft, resident):
    return drafting.proposal_publish(actor=resident, proposal=draft)


def add_supporters(proposal, people):
    for i, person in enumerate(people):
        support.support_add(
            user=person,
            proposal=proposal,
            full_name=f"Neighbour Number {i}",
            address=f"Ulica Zwycięstwa {i + 1}, Koszalin",
            age_confirmed=True,
        )


def publish_another(author, grant_call, supporters, title="Benches", **applicant):
    """One more proposal of the call, complete, published and supported by 15 people, not
    submitted; `applicant` may name applicant_kind and organisation."""
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    p = drafting.proposal_create_draft(author=author, grant_call=grant_call, **applicant)
    p = drafting.proposal_save(
        actor=author, proposal=p, fields=complete_fields(title=title),
        budget_lines=[("Benches", "9000")], area_geojson=json.dumps(square(*RYNEK)),
        consent_document=SimpleUploadedFile("c.pdf", b"%PDF-1.4 consent", "application/pdf"),
    )  # fmt: skip
    p = drafting.proposal_publish(actor=author, proposal=p)
    add_supporters(p, supporters[:15])
    return p


def submit_another(author, grant_call, supporters, title="Benches"):
    """One more proposal of the call, complete, supported and submitted by `author`."""
    p = publish_another(author, grant_call, supporters, title=title)
    return drafting.proposal_submit(actor=author, proposal=p)


@pytest.fixture
def submitted(collecting, resident, supporters):
    add_supporters(collecting, supporters[:15])
    return drafting.proposal_submit(actor=resident, proposal=collecting)


@pytest.fixture
def in_assessment(submitted, officer):
    close_call(submitted.grant_call)
    return assessment.proposal_formal_check(actor=officer, proposal=submitted, eligible=True)


def score_all(proposal, members, value):
    criteria = list(proposal.grant_call.criteria.all())
    for member in members:
        assessment.scores_save(
            member=member,
            proposal=proposal,
            scores={c.pk: (value, f"{c.key} ok") for c in criteria},
        )


def run_rounds(call, officer, committee, proposals_and_scores):
    """Hold every round of the call; each proposal gets the same score from every member."""
    for _ in range(call.rounds):
        assessment.round_open(actor=officer, grant_call=call)
        for proposal, value in proposals_and_scores:
            score_all(proposal, committee, value)
        assessment.round_close(actor=officer, grant_call=call)
    call.refresh_from_db()
    return call
