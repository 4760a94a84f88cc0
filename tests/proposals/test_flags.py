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
    assert flags.count() == 1 and "Automatic: 5 supports" in flags.get().note
    assert Proposal.objects.get(pk=collecting.pk).hidden_at is None  # nothing automatic


def test_hidden_content_leaves_the_analysis_too(client, submitted, officer):
    from geodata.analysis import Params, analyse

    def counted():
        return analyse(Params(city=submitted.city)).coverage["proposals"]

    before = counted()
    Proposal.objects.filter(pk=submitted.pk).update(hidden_at=submitted.created_at)
    assert counted() == before - 1
