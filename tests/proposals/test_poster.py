"""The poster's page: the QR code and the call's rule while support is open; a notice, and no
code, once it is not; nothing of a proposal the viewer may not see."""

from django.utils import timezone

from mapapp.qr import qr_svg
from proposals.models import Proposal
from tests.proposals.conftest import close_call


def test_the_poster_while_support_is_open(client, collecting):
    html = client.get(f"/koszalin/proposals/{collecting.pk}/poster/").content.decode()
    url = f"http://testserver/koszalin/proposals/{collecting.pk}/"
    assert qr_svg(url, label="The proposal's page") in html  # the page's own address, encoded
    assert "It needs 15 supporters aged 15 or over" in html
    assert collecting.author.email not in html  # the applicant is not on the poster
    detail = client.get(f"/koszalin/proposals/{collecting.pk}/").content.decode()
    assert f'href="/koszalin/proposals/{collecting.pk}/poster/"' in detail


def test_no_poster_once_support_is_over(client, submitted):
    close_call(submitted.grant_call)
    html = client.get(f"/koszalin/proposals/{submitted.pk}/poster/").content.decode()
    assert 'id="poster-closed"' in html and "<svg" not in html
    detail = client.get(f"/koszalin/proposals/{submitted.pk}/").content.decode()
    assert 'id="poster-link"' not in detail


def test_no_poster_of_what_the_viewer_may_not_see(client, collecting, resident):
    from proposals.services import drafting

    draft = drafting.proposal_create_draft(author=resident, grant_call=collecting.grant_call)
    assert client.get(f"/koszalin/proposals/{draft.pk}/poster/").status_code == 404
    Proposal.objects.filter(pk=collecting.pk).update(hidden_at=timezone.now())
    assert client.get(f"/koszalin/proposals/{collecting.pk}/poster/").status_code == 404


def test_the_label_is_escaped_and_the_code_sized_by_css():
    svg = qr_svg("https://example.org/", label='A "quoted" <label>')
    assert svg.startswith(
        '<svg class="qr" role="img" aria-label="A &quot;quoted&quot; &lt;label&gt;"'
    )
    assert 'width="' not in svg.split(">")[0]
