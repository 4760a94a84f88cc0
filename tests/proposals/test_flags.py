"""Flags: residents report content, officers review; upheld content disappears from every
public page and interface but is kept as it was, and can be shown again."""

import json

from django.contrib.gis.geos import Point

from mapapp.models import AuditEvent, Flag
from proposals.models import Proposal
from sites.models import Site


def public_everywhere(client, proposal) -> dict[str, bool]:
    pk = proposal.pk
    api = json.loads(client.get("/api/v1/koszalin/proposals/").content)
    ogc = json.loads(
        client.get("/ogcapi/koszalin/collections/proposals/items", HTTP_ACCEPT="*/*").content
    )
    export = client.get("/api/v1/koszalin/export/proposals/", {"format": "csv"})
    csv_text = b"".join(export.streaming_content).decode()
    return {
        "page": client.get(f"/koszalin/proposals/{pk}/").status_code == 200,
        "list": proposal.title in client.get("/koszalin/proposals/").content.decode(),
        "api": any(f["id"] == pk for f in api["features"]),
        "ogcapi": any(f["id"] == pk for f in ogc["features"]),
        "export": f"\n{pk}," in csv_text,
    }


def test_an_upheld_flag_hides_the_proposal_everywhere_and_keeps_it(
    client, submitted, resident, supporters, officer
):
    reporter = supporters[0]
    client.force_login(reporter)
    form = {"target_type": "proposal", "target_id": submitted.pk, "reason": "personal_data",
            "note": "It shows my neighbour's phone number", "next": "/koszalin/"}  # fmt: skip
    assert client.post("/koszalin/flag/", form).status_code == 302
    client.post("/koszalin/flag/", form)  # the same person again: refused, not counted twice
    assert Flag.objects.filter(state="open", flagged_by=reporter).count() == 1
    client.logout()
    assert all(public_everywhere(client, submitted).values())

    client.force_login(reporter)
    assert client.get("/koszalin/flags/").status_code == 403  # residents do not review
    client.force_login(officer)
    page = client.get("/koszalin/flags/").content.decode()
    assert "neighbour&#x27;s phone number" in page
    flag = Flag.objects.get(flagged_by=reporter)
    client.post("/koszalin/flags/", {"flag": flag.pk, "action": "uphold", "note": "Phone shown"})
    client.logout()
    assert not any(public_everywhere(client, submitted).values())
    kept = Proposal.objects.get(pk=submitted.pk)
    assert kept.title == submitted.title and kept.description == submitted.description
    client.force_login(resident)  # the author still sees it, with the reason why
    own = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert 'class="notice" role="status"' in own  # "hidden from the public", in any language

    client.force_login(officer)
    client.post("/koszalin/flags/", {"action": "show", "target_type": "proposal",
                                     "target_id": submitted.pk})  # fmt: skip
    client.logout()
    assert all(public_everywhere(client, submitted).values())
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"flag.create", "flag.upheld", "content.shown"} <= actions


def test_a_dismissed_flag_leaves_a_site_public(client, koszalin, supporters, officer):
    site = Site.objects.create(city=koszalin, name="Bench", geom=Point(16.18, 54.19),
                               moderation="accepted")  # fmt: skip
    client.force_login(supporters[1])
    client.post("/koszalin/flag/", {"target_type": "site", "target_id": site.pk,
                                    "reason": "spam"})  # fmt: skip
    client.force_login(officer)
    flag = Flag.objects.get()
    client.post("/koszalin/flags/", {"flag": flag.pk, "action": "dismiss"})
    assert Flag.objects.get().state == "dismissed"
    # a second moderator's click on the same report, from a page opened before: refused
    # with the reason, the first decision stands
    late = client.post("/koszalin/flags/", {"flag": flag.pk, "action": "uphold"}, follow=True)
    assert "This report has already been reviewed." in late.content.decode()
    assert Flag.objects.get().state == "dismissed"
    client.logout()
    assert client.get(f"/koszalin/sites/{site.pk}/").status_code == 200
    # anonymous visitors cannot flag; an unknown target is refused with a message
    assert client.post("/koszalin/flag/", {"target_type": "site", "target_id": site.pk,
                                           "reason": "spam"}).status_code == 302  # fmt: skip
    assert Flag.objects.count() == 1


def test_a_burst_of_supports_from_new_accounts_is_flagged_once(collecting, supporters, settings):
    from proposals.services.support import support_add

    settings.SUPPORT_BURST_COUNT = 5

    def add(i):
        support_add(user=supporters[i], proposal=collecting, full_name=f"Person {i}",
                    address=f"Street {i}, Koszalin", age_confirmed=True)  # fmt: skip

    for i in range(4):
        add(i)
    assert not Flag.objects.exists()
    for i in range(4, 8):
        add(i)
    flags = Flag.objects.filter(target_id=collecting.pk, flagged_by=None)
    assert flags.count() == 1
    assert flags.get().reason == "support_burst" and flags.get().details["supports"] == 5
    assert Proposal.objects.get(pk=collecting.pk).hidden_at is None  # nothing automatic


def test_hidden_content_leaves_the_analysis_too(client, submitted, officer):
    from geodata.analysis import Params, analyse

    def counted():
        return analyse(Params(city=submitted.city)).coverage["proposals"]

    before = counted()
    Proposal.objects.filter(pk=submitted.pk).update(hidden_at=submitted.created_at)
    assert counted() == before - 1


def test_officers_queue_names_what_was_reported_in_their_language(
    client, collecting, supporters, officer, resident, koszalin, settings
):
    """The queue names the proposal or site (escaped), not only its number; the automatic
    burst flag is explained in the officer's language, links to the supporters, and is
    closed as checked (hiding the proposal is not the answer to it)."""
    from proposals.services.support import support_add

    settings.SUPPORT_BURST_COUNT = 3
    for i in range(3):
        support_add(user=supporters[i], proposal=collecting, full_name=f"Person {i}",
                    address=f"Street {i}, Koszalin", age_confirmed=True)  # fmt: skip
    Proposal.objects.filter(pk=collecting.pk).update(title="<i>Swings</i> for the yard")
    site = Site.objects.create(city=koszalin, name="Broken <b>fence</b>",
                               geom=Point(16.18, 54.19, srid=4326))  # fmt: skip
    client.force_login(resident)
    client.post("/koszalin/flag/", {"target_type": "site", "target_id": site.pk,
                                    "reason": "offensive", "note": "Rude words"})  # fmt: skip
    client.force_login(officer)

    client.cookies["django_language"] = "en"
    page = client.get("/koszalin/flags/").content.decode()
    burst = page[page.index("&lt;i&gt;Swings&lt;/i&gt; for the yard") :]
    burst = burst[: burst.index("</section>")]
    assert "3 supports within 60 minutes came from accounts made in the last 24 hours." in burst
    assert f'href="/koszalin/officer/proposals/{collecting.pk}/"' in burst
    assert 'value="dismiss">Checked</button>' in burst and 'value="uphold"' not in burst
    reported = page[page.index("Broken &lt;b&gt;fence&lt;/b&gt;") :]
    reported = reported[: reported.index("</section>")]
    assert "It is offensive or hateful" in reported and "Rude words" in reported
    assert 'value="uphold"' in reported and "officer/proposals" not in reported

    client.cookies["django_language"] = "cs"
    page = client.get("/koszalin/flags/").content.decode()
    assert "supports within" not in page and "Automatic" not in page
    assert "3 " in page and "60" in page


def test_residents_cannot_file_an_automatic_reason(client, submitted, supporters):
    client.force_login(supporters[0])
    page = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert 'value="spam"' in page and 'value="support_burst"' not in page
    before = Flag.objects.count()
    client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": submitted.pk,
                                    "reason": "support_burst"})  # fmt: skip
    assert Flag.objects.count() == before


def test_migration_turns_old_automatic_notes_into_the_burst_reason(submitted, resident):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("mapapp.migrations.0006_flag_support_burst")
    note = ("Automatic: 12 supports within 60 minutes from accounts created in the last 24 "
            "hours. Check them before counting.")  # fmt: skip
    old = Flag.objects.create(city=submitted.city, target_type="proposal",
                              target_id=submitted.pk, reason="other", note=note)  # fmt: skip
    residents = Flag.objects.create(city=submitted.city, target_type="proposal",
                                    target_id=submitted.pk, reason="other",
                                    note="Automatic: sprinklers flood the path",
                                    flagged_by=resident)  # fmt: skip
    migration.to_support_burst(apps, None)
    old.refresh_from_db()
    residents.refresh_from_db()
    assert (old.reason, old.details, old.note) == (
        "support_burst",
        {"supports": 12, "minutes": 60},
        "",
    )
    assert (residents.reason, residents.note) == ("other", "Automatic: sprinklers flood the path")


def test_each_decision_is_told_to_the_author_and_the_reporters(
    client, submitted, resident, supporters, officer, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """The author of hidden content gets the reasons and where to object, in their own
    language; whoever reported it learns the outcome; the note for the record stays
    internal. Showing it again is told too."""
    resident.preferred_language = "pl"
    resident.save(update_fields=["preferred_language"])
    for reporter, reason in ((supporters[0], "personal_data"), (supporters[1], "offensive")):
        client.force_login(reporter)
        client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": submitted.pk,
                                        "reason": reason})  # fmt: skip
    client.force_login(officer)
    flag = Flag.objects.filter(flagged_by=supporters[0]).get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/koszalin/flags/", {
            "flag": flag.pk, "action": "uphold", "note": "Internal: called the author",
            "statement": "The photo shows a car's number plate <b>clearly</b>."})  # fmt: skip
    to_author = [m for m in mailoutbox if m.to == [resident.email]]
    assert len(to_author) == 1
    text = to_author[0].body
    assert submitted.title in to_author[0].subject and "ukryli" in text  # Polish
    assert "dane osobowe" in text.lower() and "obraźliw" in text  # both reports' reasons
    assert "car's number plate <b>clearly</b>" in text and "Internal" not in text
    assert "/koszalin/about/" in text and f"/koszalin/proposals/{submitted.pk}/" in text
    told = {m.to[0]: m.body for m in mailoutbox if m.to != [resident.email]}
    assert set(told) == {supporters[0].email, supporters[1].email}
    assert all("Internal" not in body and "number plate" not in body for body in told.values())
    assert Flag.objects.filter(state="upheld", flagged_by__isnull=False).count() == 2  # both

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/koszalin/flags/", {"action": "show", "target_type": "proposal",
                                         "target_id": submitted.pk})  # fmt: skip
    assert [m.to for m in mailoutbox] == [[resident.email]]
    assert "ponownie" in mailoutbox[0].body  # "public again", in Polish


def test_a_dismissed_report_is_told_to_its_reporter_only(
    client, submitted, resident, supporters, officer, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client.force_login(supporters[2])
    client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": submitted.pk,
                                    "reason": "wrong"})  # fmt: skip
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        flag = Flag.objects.get(flagged_by=supporters[2])
        client.post("/koszalin/flags/", {"flag": flag.pk, "action": "dismiss"})
    assert [m.to for m in mailoutbox] == [[supporters[2].email]]
    assert "stays public" in mailoutbox[0].body or "publiczn" in mailoutbox[0].body


def _hide(client, officer, reporter, proposal, capture):
    client.force_login(reporter)
    client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": proposal.pk,
                                    "reason": "offensive"})  # fmt: skip
    client.force_login(officer)
    flag = Flag.objects.get(flagged_by=reporter, state="open")
    with capture(execute=True):
        client.post("/koszalin/flags/", {"flag": flag.pk, "action": "uphold"})


def _object(client, proposal, note="The photo shows our own garden, with our consent."):
    form = {"target_type": "proposal", "target_id": proposal.pk, "reason": "objection",
            "note": note, "next": f"/koszalin/proposals/{proposal.pk}/"}  # fmt: skip
    return client.post("/koszalin/flag/", form)


def test_the_author_objects_and_the_officers_keep_it_hidden_saying_why(
    client, submitted, resident, supporters, officer, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """The author of hidden content objects from its page; the objection waits in the
    officers' queue; kept hidden, the author is told with what the officer wrote."""
    _hide(client, officer, supporters[0], submitted, django_capture_on_commit_callbacks)
    client.force_login(resident)
    page = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert 'id="objection-form"' in page
    _object(client, submitted, note="No.")
    assert not Flag.objects.filter(reason="objection").exists()  # too short: refused
    _object(client, submitted)
    objection = Flag.objects.get(reason="objection")
    assert objection.flagged_by == resident and objection.state == "open"
    page = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert 'id="objection-waiting"' in page and 'id="objection-form"' not in page
    _object(client, submitted)  # twice: refused, still one
    assert Flag.objects.filter(reason="objection").count() == 1
    client.force_login(supporters[1])  # not the author
    assert _object(client, submitted).status_code == 403

    client.force_login(officer)
    queue = client.get("/koszalin/flags/").content.decode()
    assert "our own garden" in queue and 'value="dismiss"' in queue
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decision = {"flag": objection.pk, "action": "dismiss", "note": "internal",
                    "statement": "A child's face."}  # fmt: skip
        client.post("/koszalin/flags/", decision)
    objection.refresh_from_db()
    assert objection.state == "dismissed"
    assert Proposal.objects.get(pk=submitted.pk).hidden_at is not None
    assert [m.to for m in mailoutbox] == [[resident.email]]
    assert "A child's face." in mailoutbox[0].body and "internal" not in mailoutbox[0].body


def test_one_objection_to_one_decision(
    client, submitted, resident, supporters, officer, django_capture_on_commit_callbacks
):
    """Kept hidden after an objection, the decision stands: the page says so, and a second
    objection is refused with where to ask. A later decision to keep it hidden (another
    report upheld), or hiding it again after it was shown, the author may object to."""
    capture = django_capture_on_commit_callbacks
    _hide(client, officer, supporters[0], submitted, capture)
    client.force_login(resident)
    _object(client, submitted)
    client.force_login(officer)
    with capture(execute=True):
        client.post("/koszalin/flags/", {"flag": Flag.objects.get(reason="objection").pk,
                                         "action": "dismiss"})  # fmt: skip
    client.force_login(resident)
    url = f"/koszalin/proposals/{submitted.pk}/"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="objection-decided"' in page and 'id="objection-form"' not in page
    assert "/koszalin/about/" in page
    answer = client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": submitted.pk,
                                             "reason": "objection", "note": "Please look again.",
                                             "next": url}, follow=True)  # fmt: skip
    assert "reviewed your objection to this decision" in answer.content.decode()
    assert Flag.objects.filter(reason="objection").count() == 1
    # another report upheld while it is still hidden: a new decision, with its own reasons,
    # told to the author with the objection form, which must then take the objection
    _hide(client, officer, supporters[2], submitted, capture)
    client.force_login(resident)
    assert 'id="objection-form"' in client.get(url).content.decode()
    _object(client, submitted)
    assert Flag.objects.filter(reason="objection", state="open").count() == 1
    _hide(client, officer, supporters[3], submitted, capture)  # while the objection waits
    client.force_login(resident)
    page = client.get(url).content.decode()
    assert 'id="objection-waiting"' in page and 'id="objection-form"' not in page
    client.force_login(officer)
    with capture(execute=True):
        client.post("/koszalin/flags/", {"flag": Flag.objects.get(reason="objection",
                                         state="open").pk, "action": "dismiss"})  # fmt: skip
    # shown again, then hidden again after another report: a new decision
    client.force_login(officer)
    client.post("/koszalin/flags/", {"action": "show", "target_type": "proposal",
                                     "target_id": submitted.pk})  # fmt: skip
    _hide(client, officer, supporters[1], submitted, capture)
    client.force_login(resident)
    assert 'id="objection-form"' in client.get(url).content.decode()
    _object(client, submitted)
    assert Flag.objects.filter(reason="objection", state="open").count() == 1


def test_an_upheld_objection_shows_it_again_and_tells_the_author(
    client, submitted, resident, supporters, officer, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    _hide(client, officer, supporters[0], submitted, django_capture_on_commit_callbacks)
    client.force_login(resident)
    _object(client, submitted)
    objection = Flag.objects.get(reason="objection")
    client.force_login(officer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/koszalin/flags/", {"flag": objection.pk, "action": "uphold"})
    assert Proposal.objects.get(pk=submitted.pk).hidden_at is None
    assert Flag.objects.get(pk=objection.pk).state == "upheld"
    assert [m.to for m in mailoutbox] == [[resident.email]]
    client.logout()
    assert client.get(f"/koszalin/proposals/{submitted.pk}/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"flag.objection", "flag.objection_upheld"} <= actions


def test_showing_it_again_answers_the_waiting_objection_and_public_content_has_none(
    client, submitted, resident, supporters, officer, django_capture_on_commit_callbacks
):
    client.force_login(resident)
    _object(client, submitted)  # public: nothing to object to
    assert not Flag.objects.filter(reason="objection").exists()
    _hide(client, officer, supporters[0], submitted, django_capture_on_commit_callbacks)
    client.force_login(resident)
    _object(client, submitted)
    client.force_login(officer)
    client.post("/koszalin/flags/", {"action": "show", "target_type": "proposal",
                                     "target_id": submitted.pk})  # fmt: skip
    assert Flag.objects.get(reason="objection").state == "upheld"
    assert "our own garden" not in client.get("/koszalin/flags/").content.decode()
    # residents cannot choose "objection" as a report's reason
    reasons = dict(Flag.resident_reasons())
    assert "objection" not in reasons


def test_a_report_of_nothing_gets_a_message_not_an_error(client, supporters):
    client.force_login(supporters[0])
    for target_id in ("abc", "", "-3", "1e9"):
        r = client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": target_id,
                                            "reason": "spam"}, follow=True)  # fmt: skip
        assert r.status_code == 200
        assert "There is nothing to report here." in r.content.decode()
    assert not Flag.objects.exists()


def test_a_hidden_sites_reporter_objects_from_its_page(client, koszalin, resident, officer):
    from django.utils import timezone

    site = Site.objects.create(city=koszalin, name="Dumped tyres", reported_by=resident,
                               geom=Point(16.1823, 54.1903, srid=4326), moderation="accepted",
                               hidden_at=timezone.now())  # fmt: skip
    client.force_login(resident)
    url = f"/koszalin/sites/{site.pk}/"
    assert 'id="objection-form"' in client.get(url).content.decode()
    client.post("/koszalin/flag/", {"target_type": "site", "target_id": site.pk,
                                    "reason": "objection", "note": "The tyres are still there.",
                                    "next": url})  # fmt: skip
    assert 'id="objection-waiting"' in client.get(url).content.decode()
    client.force_login(officer)
    client.post("/koszalin/flags/", {"flag": Flag.objects.get(reason="objection").pk,
                                     "action": "dismiss"})  # fmt: skip
    client.force_login(resident)
    assert 'id="objection-decided"' in client.get(url).content.decode()


def test_a_site_reported_through_open311_has_its_reporter_told_without_an_account(
    client, koszalin, supporters, officer, mailoutbox, django_capture_on_commit_callbacks
):
    """Someone who reported through an Open311 application gave only an address: they are
    told the decision in the city's language, with where to write, not a page they cannot
    see or a form they cannot use."""
    import uuid

    from sites.models import Open311Client, Open311Request

    site = Site.objects.create(
        city=koszalin,
        name="Graffiti on the wall",
        geom=Point(16.1823, 54.1903, srid=4326),
        moderation="accepted",
    )
    app = Open311Client.objects.create(city=koszalin, name="Naprawmy to")
    Open311Request.objects.create(token=uuid.uuid4(), site=site, client=app,
                                  email="reporter@example.net")  # fmt: skip
    client.force_login(supporters[0])
    client.post("/koszalin/flag/", {"target_type": "site", "target_id": site.pk,
                                    "reason": "personal_data"})  # fmt: skip
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/koszalin/flags/",
            {
                "flag": Flag.objects.get().pk,
                "action": "uphold",
                "statement": "A car's number plate is readable.",
            },
        )
    [told] = [m for m in mailoutbox if m.to == ["reporter@example.net"]]
    assert "Graffiti on the wall" in told.subject
    assert "A car's number plate is readable." in told.body
    assert "/koszalin/about/" in told.body
    assert f"/koszalin/sites/{site.pk}/" not in told.body  # hidden: a page they cannot see
    assert "Urzędnicy" in told.body or "urzędnicy" in told.body  # Koszalin's language
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/koszalin/flags/", {"action": "show", "target_type": "site",
                                         "target_id": site.pk})  # fmt: skip
    [told] = [m for m in mailoutbox if m.to == ["reporter@example.net"]]
    assert f"/koszalin/sites/{site.pk}/" in told.body


def test_reports_are_promised_a_decision_in_days_and_overdue_ones_are_marked(
    client, submitted, supporters, officer, koszalin, mailoutbox, settings
):
    """Whoever reports is told when to expect a decision (FLAG_REVIEW_DAYS); a report left
    longer is marked on the officers' queue and page, and counted in their digest."""
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    settings.FLAG_REVIEW_DAYS = 5
    Flag.objects.update(state="dismissed")  # the fixtures' supports burst
    client.force_login(supporters[0])
    told = client.post("/koszalin/flag/", {"target_type": "proposal", "target_id": submitted.pk,
                                           "reason": "spam"}, follow=True)  # fmt: skip
    assert "an officer will look at it within 5 days" in told.content.decode()
    fresh = Flag.objects.get(state="open")
    old = Flag.objects.create(city=koszalin, target_type="proposal", target_id=submitted.pk,
                              reason="offensive", flagged_by=supporters[1])  # fmt: skip
    Flag.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=6))
    client.force_login(officer)
    queue = client.get("/koszalin/flags/").content.decode()
    marks = {
        pk: "waiting longer than 5 days" in queue.split(f'data-flag="{pk}"')[1].split("</p>")[0]
        for pk in (fresh.pk, old.pk)
    }
    assert marks == {fresh.pk: False, old.pk: True}
    page = client.get("/koszalin/officer/").content.decode()
    assert "1 of them waits longer than 5 days" in page and 'id="flags-overdue"' in page
    officer.preferred_language = "en"
    officer.save(update_fields=["preferred_language"])
    call_command("notify_overdue_reports")
    [digest] = [m for m in mailoutbox if m.to == [officer.email]]
    assert "1 has waited longer than the 5 days the programme promises." in digest.body
