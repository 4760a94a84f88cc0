"""Officers set a call's assessment criteria and weights on its pages, until the call
opens (applicants read them on the call's page from then on); the committee then scores
them and the ranking weighs them."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mapapp.models import AuditEvent
from proposals import messages as msg
from proposals.models import GrantCall
from proposals.services import calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def unopened(grant_call):
    GrantCall.objects.filter(pk=grant_call.pk).update(
        opens_at=timezone.now() + timedelta(days=10), closes_at=timezone.now() + timedelta(days=40)
    )
    grant_call.refresh_from_db()
    return grant_call


def _rows(page: str) -> list[tuple[str, str]]:
    """The criteria form's rows as (English name, weight)."""
    names = re.findall(r'name="criteria-(\d+)-name_en"(?: value="([^"]*)")?', page)
    weights = dict(re.findall(r'name="criteria-(\d+)-weight" value="([^"]*)"', page))
    return [(value, weights.get(n, "")) for n, value in names]


def test_the_service_sets_names_weights_and_order_and_keeps_kept_keys(unopened, officer):
    before = {c.key: c.pk for c in unopened.criteria.all()}
    saved = calls.criteria_set(actor=officer, grant_call=unopened, criteria=[
        ("benefit", {"en": "  Benefit  to the\nstreet ", "pl": "Korzyść", "xx": "dropped"}, "2.5"),
        (None, {"cs": "Zeleň"}, Decimal("1")),
        (None, {"en": "Greenery"}, Decimal("0.5")),
    ])  # fmt: skip
    assert [(c.key, c.name, c.weight) for c in saved] == [
        ("benefit", {"en": "Benefit to the street", "pl": "Korzyść"}, Decimal("2.50")),
        ("zelen", {"cs": "Zeleň"}, Decimal("1.00")),
        ("greenery", {"en": "Greenery"}, Decimal("0.50")),
    ]
    assert saved[0].pk == before["benefit"]  # the same criterion, renamed
    twice = calls.criteria_set(actor=officer, grant_call=unopened, criteria=[
        ("benefit", {"en": "One"}, 1), ("benefit", {"en": "Benefit"}, 1)])  # fmt: skip
    assert [c.key for c in twice] == ["benefit", "benefit-2"]  # a key sent twice: a new one
    event = AuditEvent.objects.filter(action="call.criteria").order_by("pk").first()
    assert len(event.before["criteria"]) == 5 and len(event.after["criteria"]) == 3


@pytest.mark.parametrize(
    "criteria, message",
    [
        ([], msg.CRITERIA_NONE),
        ([(None, {"en": " "}, 1)], msg.CRITERION_UNNAMED),
        ([(None, {"en": "A"}, 0)], msg.CRITERION_WEIGHT),
        ([(None, {"en": "A"}, 100)], msg.CRITERION_WEIGHT),
        ([(None, {"en": "A"}, None)], msg.CRITERION_WEIGHT),
        ([(None, {"en": "A"}, "NaN")], msg.CRITERION_WEIGHT),
        ([(None, {"en": "A"}, "a lot")], msg.CRITERION_WEIGHT),
        ([(None, {"en": "Same"}, 1), (None, {"en": "same"}, 1)], msg.CRITERION_TWICE),
        ([(None, {"en": f"C{n}"}, 1) for n in range(13)], msg.CRITERIA_TOO_MANY),
    ],
)
def test_the_service_refuses_bad_criteria_and_changes_nothing(unopened, officer, criteria,
                                                              message):  # fmt: skip
    kept = [(c.key, c.name, c.weight) for c in unopened.criteria.all()]
    with pytest.raises(ValidationError) as exc:
        calls.criteria_set(actor=officer, grant_call=unopened, criteria=criteria)
    assert str(message).split("%")[0] in exc.value.messages[0]
    assert [(c.key, c.name, c.weight) for c in unopened.criteria.all()] == kept


def test_only_officers_and_only_before_the_call_opens(grant_call, unopened, officer, resident):
    with pytest.raises(PermissionDenied):
        calls.criteria_set(actor=resident, grant_call=unopened, criteria=[(None, {"en": "A"}, 1)])
    GrantCall.objects.filter(pk=unopened.pk).update(opens_at=timezone.now())
    with pytest.raises(ValidationError) as exc:
        calls.criteria_set(actor=officer, grant_call=unopened, criteria=[(None, {"en": "A"}, 1)])
    assert exc.value.messages == [str(msg.CRITERIA_LOCKED)]
    assert unopened.criteria.count() == 5


def test_officers_edit_the_criteria_on_the_calls_pages(client, unopened, officer):
    client.force_login(officer)
    call_page = client.get(f"/koszalin/officer/calls/{unopened.pk}/").content.decode()
    assert "Community involvement ×&nbsp;1" in call_page and "Edit the criteria" in call_page
    url = f"/koszalin/officer/calls/{unopened.pk}/criteria/"
    page = client.get(url).content.decode()
    rows = _rows(page)
    assert rows[0] == ("Community involvement", "1.00") and rows[5:] == [("", "1"), ("", "1")]
    keys = re.findall(r'name="criteria-\d+-key" value="([^"]+)"', page)
    data = {"criteria-TOTAL_FORMS": "7", "criteria-INITIAL_FORMS": "5",
            "criteria-MIN_NUM_FORMS": "0", "criteria-MAX_NUM_FORMS": "12"}  # fmt: skip
    for n in range(7):
        data[f"criteria-{n}-key"] = keys[n] if n < 5 else ""
        data[f"criteria-{n}-name_en"] = rows[n][0]
        data[f"criteria-{n}-weight"] = "1"
    data["criteria-0-weight"] = "2,5"  # as people type it
    data["criteria-2-DELETE"] = "on"
    data["criteria-5-name_en"] = "Trees <and> shade"
    data["criteria-5-weight"] = "1.5"
    assert client.post(url, data).status_code == 302
    criteria = list(unopened.criteria.all())
    assert [(str(c), c.weight) for c in criteria] == [
        ("Community involvement", Decimal("2.50")),
        ("Benefit to the public space", Decimal("1.00")),
        ("Sustainability and maintenance plan", Decimal("1.00")),
        ("Cost-effectiveness", Decimal("1.00")),
        ("Trees <and> shade", Decimal("1.50")),
    ]  # the empty row left out, the removed one gone, the new one last
    public = client.get(f"/koszalin/calls/{unopened.pk}/").content.decode()
    assert "Trees &lt;and&gt; shade" in public and "Feasibility" not in public
    # a refusal keeps what was typed
    data["criteria-5-weight"] = "0"
    data["criteria-6-name_en"] = "Lighting"
    refused = client.post(url, data)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'id="criteria-refused"' in page and "weight is more than 0" in page
    assert 'value="Lighting"' in page
    assert len(unopened.criteria.all()) == 5


def test_the_criteria_page_of_an_open_call_shows_them_and_says_why_they_stay(
    client, grant_call, officer
):
    client.force_login(officer)
    assert (
        "Edit the criteria"
        not in client.get(f"/koszalin/officer/calls/{grant_call.pk}/").content.decode()
    )
    url = f"/koszalin/officer/calls/{grant_call.pk}/criteria/"
    page = client.get(url).content.decode()
    assert 'id="criteria-locked"' in page and "criteria-0-name_en" not in page
    data = {"criteria-TOTAL_FORMS": "1", "criteria-INITIAL_FORMS": "0",
            "criteria-0-name_en": "Late", "criteria-0-weight": "1"}  # fmt: skip
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "can no longer change" in refused.content.decode()
    assert not grant_call.criteria.filter(name__en="Late").exists()
