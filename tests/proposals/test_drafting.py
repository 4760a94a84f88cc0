"""Drafts, geometry rules, publishing and submission: every refusal says why, saves nothing."""

import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from proposals import messages as msg
from proposals.models import GrantCall, Organisation, Proposal, Representative
from proposals.services import drafting
from tests.proposals.conftest import RYNEK, add_supporters, make_user, square


def message_of(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def fmt(message, **params) -> str:
    return str(message) % params if params else str(message)


def test_draft_is_private_and_saved(draft):
    assert draft.status == Proposal.Status.DRAFT
    assert not draft.is_public
    assert draft.requested_amount == Decimal("20000.50")
    assert draft.budget_lines.count() == 2


def test_area_stores_point_on_its_surface(draft):
    # SQL check: ST_Covers(area, geom)
    assert Proposal.objects.filter(pk=draft.pk, area__covers=draft.geom).exists()


def test_pin_only(resident, grant_call):
    proposal = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    point = {"type": "Point", "coordinates": list(RYNEK)}
    proposal = drafting.proposal_save(
        actor=resident, proposal=proposal, fields={}, point_geojson=json.dumps(point)
    )
    assert (proposal.geom.x, proposal.geom.y) == pytest.approx(RYNEK)
    assert proposal.area is None


BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[16.18, 54.19], [16.181, 54.1905], [16.181, 54.19], [16.18, 54.1905], [16.18, 54.19]]
    ],
}


@pytest.mark.parametrize(
    ("area", "point", "expected"),
    [
        pytest.param(
            json.dumps(BOWTIE), None, "redraw it without crossing lines", id="self-intersecting"
        ),
        pytest.param(
            json.dumps(square(18.2925, 49.8355)),
            None,
            fmt(msg.GEOMETRY_OUTSIDE_CITY, city="Koszalin"),
            id="in-another-city",
        ),
        pytest.param(
            None,
            json.dumps({"type": "Point", "coordinates": [RYNEK[1], RYNEK[0]]}),
            fmt(msg.GEOMETRY_OUTSIDE_CITY, city="Koszalin"),
            id="lat-lon-swapped",
        ),
        pytest.param(
            json.dumps(square(*RYNEK, d_lon=0.003, d_lat=0.002)),
            None,
            "projects in this call may cover at most 10,000 m²",
            id="too-large",
        ),
        pytest.param(
            json.dumps({"type": "LineString", "coordinates": [list(RYNEK), [16.182, 54.191]]}),
            None,
            "not a LineString",
            id="line",
        ),
        pytest.param("{not json", None, "could not be read", id="garbage"),
        pytest.param(
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[16.18 + i * 1e-6, 54.19 + (i % 2) * 1e-6] for i in range(400)]
                        + [[16.18, 54.19]]
                    ],
                }
            ),
            None,
            "at most 300 are allowed",
            id="too-many-vertices",
        ),
    ],
)
def test_bad_geometry_is_refused_and_nothing_saved(draft, resident, area, point, expected):
    before = Proposal.objects.values().get(pk=draft.pk)
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_save(
            actor=resident,
            proposal=draft,
            fields={"title": "Changed title"},
            area_geojson=area,
            point_geojson=point,
        )
    assert expected in message_of(exc)
    assert "geom" in exc.value.message_dict
    assert Proposal.objects.values().get(pk=draft.pk) == before


def test_budget_lines_read_as_people_type_and_refusals_say_which_line(draft, resident):
    from django.utils import translation

    lines = [("Bench", "1 250,50"), ("Paint", "1,000.00")]
    saved = drafting.proposal_save(actor=resident, proposal=draft, fields={}, budget_lines=lines)
    assert saved.requested_amount == Decimal("2250.50")
    with translation.override("pl"), pytest.raises(ValidationError) as exc:
        drafting.proposal_save(actor=resident, proposal=draft, fields={},
                               budget_lines=[("Bench", "100"), ("Paint", "1.500"),
                                             ("", "20"), ("Soil", "12a")])  # fmt: skip
    errors = exc.value.message_dict["budget"]
    assert len(errors) == 3
    assert errors[0].startswith("Pozycja budżetu 2:") and "1.500" in errors[0]
    assert errors[1].startswith("Pozycja budżetu 3 ")
    assert errors[2].startswith("Pozycja budżetu 4:") and "12a" in errors[2]
    assert draft.budget_lines.count() == 2  # nothing half-saved


def test_bad_budget_line_refused(draft, resident):
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_save(
            actor=resident, proposal=draft, fields={}, budget_lines=[("Bench", "-5")]
        )
    assert "budget" in exc.value.message_dict
    assert draft.budget_lines.count() == 2


def test_only_the_author_edits(draft, koszalin):
    other = make_user("other@example.org", city=koszalin)
    with pytest.raises(PermissionDenied):
        drafting.proposal_save(actor=other, proposal=draft, fields={"title": "Mine now"})


def test_draft_outside_window_refused(resident, grant_call):
    GrantCall.objects.filter(pk=grant_call.pk).update(
        opens_at=timezone.now() + timedelta(days=1), closes_at=timezone.now() + timedelta(days=9)
    )
    grant_call.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    assert "The call is not open" in message_of(exc)


def test_ngo_applies_only_through_verified_representative(resident, grant_call, koszalin):
    ngo = Organisation.objects.create(city=koszalin, name="Green Koszalin", registration_number="1")
    rep = Representative.objects.create(organisation=ngo, user=resident)
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_create_draft(
            author=resident, grant_call=grant_call, applicant_kind="ngo", organisation=ngo
        )
    assert message_of(exc) == str(msg.NGO_NOT_VERIFIED)
    rep.verified_at = timezone.now()
    rep.save()
    proposal = drafting.proposal_create_draft(
        author=resident, grant_call=grant_call, applicant_kind="ngo", organisation=ngo
    )
    assert proposal.organisation == ngo


def test_call_for_ngos_only_refuses_individuals(resident, grant_call):
    grant_call.allow_individuals = False
    grant_call.save()
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    assert message_of(exc) == str(msg.CALL_NGOS_ONLY)


def test_a_call_for_individuals_only_refuses_an_ngo_on_the_start_page(
    client, resident, grant_call, koszalin
):
    """Even the verified representative of an NGO: the call's rule, said on the form, and
    no draft made."""
    ngo = Organisation.objects.create(city=koszalin, name="Green Koszalin", registration_number="1")
    Representative.objects.create(organisation=ngo, user=resident, verified_at=timezone.now())
    grant_call.allow_ngos = False
    grant_call.save()
    client.force_login(resident)
    refused = client.post(
        "/koszalin/proposals/new/",
        {"grant_call": grant_call.pk, "applicant_kind": "ngo", "organisation": ngo.pk},
    )
    assert refused.status_code == 400
    assert "This call accepts applications from individuals only." in refused.content.decode()
    assert not Proposal.objects.filter(author=resident).exists()


def test_publish_needs_location(resident, grant_call):
    proposal = drafting.proposal_create_draft(author=resident, grant_call=grant_call)
    drafting.proposal_save(
        actor=resident, proposal=proposal, fields={"title": "T", "description": "D"}
    )
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_publish(actor=resident, proposal=proposal)
    assert "location" in message_of(exc)


def test_submit_refused_until_enough_supporters(collecting, resident, supporters):
    add_supporters(collecting, supporters[:12])
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert message_of(exc) == fmt(msg.TOO_FEW_SUPPORTERS, missing=3, have=12, need=15)
    collecting.refresh_from_db()
    assert collecting.status == Proposal.Status.COLLECTING_SUPPORT


def test_submit_refused_over_cap(collecting, resident, supporters):
    add_supporters(collecting, supporters[:15])
    drafting.proposal_save(
        actor=resident, proposal=collecting, fields={}, budget_lines=[("Pavilion", "45000")]
    )
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert message_of(exc) == fmt(msg.OVER_CAP, total=Decimal("45000.00"), cap=Decimal("40000.00"))


def test_submit_refused_when_incomplete(collecting, resident, supporters):
    add_supporters(collecting, supporters[:15])
    drafting.proposal_save(actor=resident, proposal=collecting, fields={"maintenance_plan": ""})
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert "maintenance plan" in message_of(exc)


@pytest.mark.parametrize(
    ("landowner", "drop_document", "expected"),
    [("unknown", False, msg.LANDOWNER_UNKNOWN), ("private", True, msg.CONSENT_MISSING)],
)
def test_submit_requires_landowner_consent(
    collecting, resident, supporters, landowner, drop_document, expected
):
    add_supporters(collecting, supporters[:15])
    drafting.proposal_save(actor=resident, proposal=collecting, fields={"landowner": landowner})
    if drop_document:
        Proposal.objects.filter(pk=collecting.pk).update(consent_document="")
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert message_of(exc) == str(expected)


def test_submit_after_deadline_refused(collecting, resident, supporters):
    from tests.proposals.conftest import close_call

    add_supporters(collecting, supporters[:15])
    close_call(collecting.grant_call)
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_submit(actor=resident, proposal=collecting)
    assert "The call is not open" in message_of(exc)


def test_submit_keeps_version_one_and_mails_applicant(
    collecting, resident, supporters, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://grants.example.org"
    add_supporters(collecting, supporters[:15])
    with django_capture_on_commit_callbacks(execute=True):
        proposal = drafting.proposal_submit(actor=resident, proposal=collecting)
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.versions.get().number == 1
    assert [m.to for m in mailoutbox] == [["resident@example.org"]]
    # in the applicant's language, here Koszalin's default: Polish
    assert "Złożony" in mailoutbox[0].subject
    # a link that works from a mail program: absolute, at the site's address
    assert f"https://grants.example.org/koszalin/proposals/{proposal.pk}/" in mailoutbox[0].body


def test_submitted_proposal_cannot_be_edited(submitted, resident):
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_save(actor=resident, proposal=submitted, fields={"title": "Late change"})
    assert message_of(exc) == fmt(msg.OUT_OF_TURN, status="Submitted")


def test_withdraw_is_an_end_state(submitted, resident):
    drafting.proposal_withdraw(actor=resident, proposal=submitted)
    with pytest.raises(ValidationError) as exc:
        drafting.proposal_withdraw(actor=resident, proposal=submitted)
    assert "Withdrawn" in message_of(exc)


def test_call_copy_keeps_rules_criteria_and_committee(grant_call, officer):
    from proposals.services import calls

    grant_call.min_supporters = 20
    grant_call.save()
    criterion = grant_call.criteria.get(key="community")
    criterion.weight = Decimal("2.5")
    criterion.save()
    now = timezone.now()
    copy = calls.grant_call_copy(
        actor=officer,
        source=grant_call,
        title={"en": "Next year"},
        opens_at=now + timedelta(days=300),
        closes_at=now + timedelta(days=360),
    )
    assert copy.copied_from == grant_call
    assert (copy.min_supporters, copy.total_budget, copy.project_cap) == (20, 100000, 40000)
    assert copy.criteria.get(key="community").weight == Decimal("2.5")
    assert set(copy.committee.all()) == set(grant_call.committee.all())
    assert copy.current_round == 0


def test_call_rules_are_checked(officer, koszalin):
    from proposals.services import calls

    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        calls.grant_call_create(
            actor=officer,
            city=koszalin,
            title={"en": "Bad"},
            opens_at=now,
            closes_at=now - timedelta(days=1),
            total_budget=Decimal("1000"),
            project_cap=Decimal("5000"),
        )
    assert "__all__" in exc.value.message_dict
    assert not GrantCall.objects.exists()


def test_only_officers_create_calls(resident, koszalin):
    from proposals.services import calls

    now = timezone.now()
    with pytest.raises(PermissionDenied):
        calls.grant_call_create(
            actor=resident,
            city=koszalin,
            title={"en": "x"},
            opens_at=now,
            closes_at=now + timedelta(days=1),
            total_budget=Decimal("10"),
            project_cap=Decimal("5"),
        )


def test_proposals_not_submitted_when_the_call_closes_expire(
    client, collecting, resident, supporters, officer, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """A proposal still gathering support when its call closed was never submitted: the
    daily job expires it, so it leaves the public pages, no longer holds up the call's
    decision and its supporters' erasure, and the applicant is told in their language."""
    from django.core.management import call_command

    from mapapp.models import AuditEvent
    from mapapp.privacy import call_final_decision
    from tests.proposals.conftest import close_call, submit_another

    call = collecting.grant_call
    draft_of_another = drafting.proposal_create_draft(author=resident, grant_call=call)
    submitted_other = submit_another(resident, call, supporters)

    resident.preferred_language = "pl"
    resident.save(update_fields=["preferred_language"])
    call_command("notify_overdue_reports")
    assert Proposal.objects.get(pk=collecting.pk).status == "collecting_support"  # still open

    close_call(collecting.grant_call)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports")
    assert Proposal.objects.get(pk=collecting.pk).status == "expired"
    assert Proposal.objects.get(pk=draft_of_another.pk).status == "draft"  # the owner's
    assert Proposal.objects.get(pk=submitted_other.pk).status == "submitted"
    [told] = [m for m in mailoutbox if m.to == [resident.email]]
    assert "Nie złożono w terminie" in told.subject and "w późniejszym naborze" in told.body
    assert AuditEvent.objects.filter(action="proposal.expired", actor=None).count() == 1

    assert client.get(f"/koszalin/proposals/{collecting.pk}/").status_code == 404
    assert collecting.title not in client.get("/koszalin/proposals/").content.decode()
    client.force_login(resident)
    assert "Not submitted in time" in client.get("/me/proposals/").content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_overdue_reports")  # again: nothing more
    assert [m for m in mailoutbox if m.to == [resident.email]] == []
    # the call is decided once its submitted proposals are: the expired one waits for nothing
    Proposal.objects.filter(pk=submitted_other.pk).update(
        status="rejected", decided_at=timezone.now()
    )
    assert call_final_decision(call) is not None


def test_opening_the_first_round_expires_what_the_daily_job_has_not(collecting, officer):
    from proposals.services import assessment
    from tests.proposals.conftest import close_call

    close_call(collecting.grant_call)
    assessment.round_open(actor=officer, grant_call=collecting.grant_call)
    assert Proposal.objects.get(pk=collecting.pk).status == "expired"


def test_too_large_area_is_said_with_the_readers_grouping(draft, resident):
    from django.utils import translation

    area = json.dumps(square(*RYNEK, d_lon=0.003, d_lat=0.002))
    with translation.override("pl"), pytest.raises(ValidationError) as exc:
        drafting.proposal_save(actor=resident, proposal=draft, fields={}, area_geojson=area)
    text = " ".join(exc.value.messages).replace("\u00a0", " ")
    assert "10 000 m²" in text and "10,000" not in text


def test_an_expired_proposal_is_proposed_again_in_the_next_call(
    client, collecting, resident, officer, supporters
):
    """Its text, place and budget come into a new draft of an open call; not its supporters
    or consent; a place the new call refuses is left to draw again."""
    from mapapp.models import AuditEvent
    from proposals.services import calls
    from tests.proposals.conftest import close_call

    add_supporters(collecting, supporters[:3])
    close_call(collecting.grant_call)
    drafting.expire_unsubmitted()
    expired = Proposal.objects.get(pk=collecting.pk)
    client.force_login(resident)
    page = client.get(f"/koszalin/proposals/{expired.pk}/").content.decode()
    assert "When a call opens, you can propose it again" in page and "copy-form" not in page

    now = timezone.now()
    later = calls.grant_call_create(
        actor=officer, city=expired.city, title={"en": "Spaces 2028"},
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30),
        total_budget=Decimal("100000"), project_cap=Decimal("40000"), max_area_m2=100,
    )  # fmt: skip
    page = client.get(f"/koszalin/proposals/{expired.pk}/").content.decode()
    assert 'id="copy-form"' in page and "Spaces 2028" in page
    response = client.post(f"/koszalin/proposals/{expired.pk}/copy/", {"grant_call": later.pk})
    copy = Proposal.objects.exclude(pk=expired.pk).get(author=resident, grant_call=later)
    assert response["Location"] == f"/koszalin/proposals/{copy.pk}/edit/"
    assert copy.status == "draft" and copy.title == expired.title
    assert copy.maintenance_plan == expired.maintenance_plan
    assert [(b.item, b.amount) for b in copy.budget_lines.order_by("position")] == [
        (b.item, b.amount) for b in expired.budget_lines.order_by("position")
    ]
    assert copy.requested_amount == expired.requested_amount
    assert copy.area is None  # the new call allows 100 m²: drawn again
    assert not copy.consent_document and copy.supports.count() == 0
    assert AuditEvent.objects.filter(action="proposal.copy", object_id=str(copy.pk)).exists()

    roomy = calls.grant_call_create(
        actor=officer, city=expired.city, title={"en": "Big spaces 2028"},
        opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=30),
        total_budget=Decimal("100000"), project_cap=Decimal("40000"),
    )  # fmt: skip
    kept = drafting.proposal_copy(author=resident, source=expired, grant_call=roomy)
    assert kept.area.equals_exact(expired.area, 0) and kept.geom.equals_exact(expired.geom, 0)

    other = make_user("other@example.org", city=expired.city)
    client.force_login(other)
    assert client.post(
        f"/koszalin/proposals/{expired.pk}/copy/", {"grant_call": later.pk}
    ).status_code in (403, 404)
    with pytest.raises(ValidationError):  # only what went nowhere is copied
        drafting.proposal_copy(author=resident, source=copy, grant_call=later)


@pytest.mark.django_db(transaction=True)
def test_unsubmitted_proposals_expire_at_the_deadline_not_at_the_next_daily_job(
    collecting, officer, admin_client, settings
):
    """Creating a call, or moving its deadline in the admin, queues its expiry for the
    deadline itself: the real worker leaves it alone before then and runs it after."""
    from django_tasks_db.models import DBTaskResult

    from proposals.services.calls import schedule_expiry
    from tests.support import run_worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call = collecting.grant_call
    schedule_expiry(call)  # as grant_call_create does, outside a transaction: queued now
    [queued] = DBTaskResult.objects.filter(task_path="proposals.tasks.expire_call")
    assert queued.args_kwargs["args"] == [call.pk]
    assert abs((queued.run_after - call.closes_at).total_seconds() - 1) < 0.01
    run_worker()
    assert Proposal.objects.get(pk=collecting.pk).status == "collecting_support"  # not yet

    # an officer closes the call early in the admin: expiry is queued for now
    form = (
        admin_client.get(f"/admin/proposals/grantcall/{call.pk}/change/").context["adminform"].form
    )
    data = {k: v for k, v in form.initial.items() if v is not None and k != "committee"}
    closes = timezone.localtime(timezone.now() - timedelta(minutes=1), ZoneInfo("Europe/Warsaw"))
    opens = closes - timedelta(days=30)
    data |= {
        "title": json.dumps(call.title), "opens_at_0": opens.date().isoformat(),
        "opens_at_1": opens.strftime("%H:%M:%S"), "closes_at_0": closes.date().isoformat(),
        "closes_at_1": closes.strftime("%H:%M:%S"), "city": call.city_id,
        "criteria-TOTAL_FORMS": 0, "criteria-INITIAL_FORMS": 0,
    }  # fmt: skip
    response = admin_client.post(f"/admin/proposals/grantcall/{call.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert DBTaskResult.objects.filter(task_path="proposals.tasks.expire_call").count() == 2
    run_worker()
    assert Proposal.objects.get(pk=collecting.pk).status == "expired"


def test_a_title_is_kept_on_one_line(draft, resident):
    drafting.proposal_save(
        actor=resident, proposal=draft, fields={"title": "  Raised\r\nbeds\t on  the Rynek "}
    )
    assert Proposal.objects.get(pk=draft.pk).title == "Raised beds on the Rynek"


def test_the_person_who_reported_a_place_hears_of_a_proposal_for_it(
    draft, resident, koszalin, mailoutbox, django_capture_on_commit_callbacks
):
    """Published with the site, or a public proposal linked to it later: the reporter is
    e-mailed once, in their language, with the proposal's page to support it. Not while it
    is a draft, not when saved again, not the applicant who reported the place."""
    from django.contrib.gis.geos import Point

    from sites.models import Site
    from tests.proposals.conftest import make_user

    reporter = make_user("reporter@example.org", city=koszalin)
    reporter.preferred_language = "cs"
    reporter.save(update_fields=["preferred_language"])
    site = Site.objects.create(city=koszalin, name="Empty lot", geom=Point(16.18, 54.19),
                               moderation="accepted", reported_by=reporter)  # fmt: skip
    own = Site.objects.create(city=koszalin, name="My street", geom=Point(16.181, 54.19),
                              moderation="accepted", reported_by=resident)  # fmt: skip

    def told():
        return [m for m in mailoutbox if m.to == [reporter.email]]

    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_save(actor=resident, proposal=draft, fields={}, site=site)
    assert told() == []  # a draft is nobody's business yet
    with django_capture_on_commit_callbacks(execute=True):
        public = drafting.proposal_publish(actor=resident, proposal=draft)
    [mail] = told()
    assert mail.subject == "Návrh pro místo, které jste oznámili, „Empty lot“"
    assert f"/koszalin/proposals/{public.pk}/" in mail.body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_save(actor=resident, proposal=public, fields={"title": "Lot garden"})
        drafting.proposal_save(actor=resident, proposal=public, fields={}, site=own)
    assert mailoutbox == []  # saved again; then linked to a place the applicant reported
    with django_capture_on_commit_callbacks(execute=True):
        drafting.proposal_save(actor=resident, proposal=public, fields={}, site=site)
    assert len(told()) == 1  # linked to it (again) while public
