"""Paths of the applicant's drafting that the journeys do not take: a place listed by another
city or not yet accepted, a budget of too many lines, a proposal pinned as a point proposed
again, and a copy into another city's call. Each refusal names the field and saves nothing."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone

from proposals import messages as msg
from proposals.models import Proposal
from proposals.services import calls, drafting
from sites.models import Site
from tests.proposals.conftest import RYNEK

pytestmark = pytest.mark.django_db


def _site(city, **kw):
    return Site.objects.create(city=city, name="Empty lot", geom=Point(*RYNEK, srid=4326), **kw)


def test_a_place_listed_by_another_city_or_not_yet_accepted_is_refused(
    draft, resident, koszalin, ostrava
):
    elsewhere = Site.objects.create(
        city=ostrava, name="Ostrava lot", geom=Point(18.29, 49.83, srid=4326),
        moderation="accepted",
    )  # fmt: skip
    pending = _site(koszalin, moderation="pending")
    for site in (elsewhere, pending):
        with pytest.raises(ValidationError) as exc:
            drafting.proposal_save(actor=resident, proposal=draft, site=site,
                                   fields={"title": "Renamed with the site"})  # fmt: skip
        assert exc.value.message_dict["site"] == [str(msg.NOT_ALLOWED)]
        draft.refresh_from_db()
        assert draft.site_id is None and draft.title == "Community garden by the square"
    accepted = _site(koszalin, moderation="accepted")
    saved = drafting.proposal_save(actor=resident, proposal=draft, site=accepted, fields={})
    assert saved.site_id == accepted.pk


def test_a_budget_of_too_many_lines_is_refused(draft, resident):
    lines = [(f"Item {n}", "10") for n in range(drafting.MAX_BUDGET_LINES + 1)]
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_save(actor=resident, proposal=draft, fields={}, budget_lines=lines)
    assert str(drafting.MAX_BUDGET_LINES) in exc.value.message_dict["budget"][0]
    assert draft.budget_lines.count() == 2  # as it was


def test_a_proposal_pinned_as_a_point_is_proposed_again_at_the_same_point(
    resident, grant_call, officer, koszalin, ostrava
):
    proposal = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    point = {"type": "Point", "coordinates": [16.181734, 54.190312]}
    drafting.proposal_save(actor=resident, proposal=proposal, fields={"title": "A bench"},
                           budget_lines=[("Bench", "1500")],
                           point_geojson=json.dumps(point))  # fmt: skip
    withdrawn = drafting.proposal_withdraw(actor=resident, proposal=proposal)
    assert withdrawn.status == Proposal.Status.WITHDRAWN
    now = timezone.now()
    later = calls.grant_call_create(
        actor=officer, city=koszalin, title={"en": "Spaces 2028"},
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30),
        total_budget=Decimal("100000"), project_cap=Decimal("40000"),
    )  # fmt: skip
    copy = drafting.proposal_copy(author=resident, source=withdrawn, grant_call=later)
    assert copy.area is None and list(copy.geom.coords) == point["coordinates"]
    assert copy.requested_amount == Decimal("1500")
    # never into another city's call
    from mapapp.models import CityRole, Role

    ostrava_officer = officer
    CityRole.objects.get_or_create(user=ostrava_officer, city=ostrava,
                                   role=Role.PROGRAMME_OFFICER)  # fmt: skip
    theirs = calls.grant_call_create(
        actor=ostrava_officer, city=ostrava, title={"en": "Ostrava 2028"},
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30),
        total_budget=Decimal("100000"), project_cap=Decimal("40000"),
    )  # fmt: skip
    drafts = Proposal.objects.count()
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_copy(author=resident, source=withdrawn, grant_call=theirs)
    assert exc.value.messages == [str(msg.NOT_ALLOWED)]
    assert Proposal.objects.count() == drafts
