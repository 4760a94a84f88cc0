"""Officers set a call's assessment criteria and weights on its pages, until the call
opens (applicants read them on the call's page from then on; their names can still be
corrected); the committee then scores them and the ranking weighs them. A city's own
criteria are those its new calls start with."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from mapapp.models import AuditEvent
from proposals import messages as msg
from proposals.models import CityCriterion, GrantCall
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


def test_only_officers_and_once_the_call_opens_only_the_names(grant_call, unopened, officer,
                                                              resident):  # fmt: skip
    with pytest.raises(PermissionDenied):
        calls.criteria_set(actor=resident, grant_call=unopened, criteria=[(None, {"en": "A"}, 1)])
    GrantCall.objects.filter(pk=unopened.pk).update(opens_at=timezone.now())
    now = [(c.key, dict(c.name), c.weight) for c in unopened.criteria.all()]
    for changed in (
        [(None, {"en": "A"}, 1)],  # other criteria
        now[:4],  # one removed
        now + [(None, {"en": "Shade"}, 1)],  # one added
        [now[1], now[0], *now[2:]],  # another order
        [(now[0][0], now[0][1], Decimal("2")), *now[1:]],  # another weight
    ):
        with pytest.raises(ValidationError) as exc:
            calls.criteria_set(actor=officer, grant_call=unopened, criteria=changed)
        assert exc.value.messages == [str(msg.CRITERIA_LOCKED)]
    assert [(c.key, c.name, c.weight) for c in unopened.criteria.all()] == now
    # a name corrected, another language added: the criteria stay the same ones
    renamed = [(now[0][0], {"en": "Community involvement", "cs": "Zapojení obyvatel"},
                now[0][2]), *now[1:]]  # fmt: skip
    pks = [c.pk for c in unopened.criteria.all()]
    saved = calls.criteria_set(actor=officer, grant_call=unopened, criteria=renamed)
    assert [c.pk for c in saved] == pks
    assert saved[0].name == {"en": "Community involvement", "cs": "Zapojení obyvatel"}


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


def test_the_criteria_page_of_an_open_call_corrects_names_only(client, grant_call, officer):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    call_page = client.get(f"/koszalin/officer/calls/{grant_call.pk}/").content.decode()
    assert "Edit the criteria" not in call_page and "Correct the criteria's names" in call_page
    url = f"/koszalin/officer/calls/{grant_call.pk}/criteria/"
    page = client.get(url).content.decode()
    assert 'id="criteria-locked"' in page and "criteria-0-name_en" in page
    assert "criteria-0-weight" not in page and "DELETE" not in page and "criteria-5-" not in page
    keys = re.findall(r'name="criteria-\d+-key" value="([^"]+)"', page)
    data = {"criteria-TOTAL_FORMS": "5", "criteria-INITIAL_FORMS": "5"}
    for n, criterion in enumerate(grant_call.criteria.all()):
        data[f"criteria-{n}-key"] = keys[n]
        for code in ("en", "pl", "cs"):
            data[f"criteria-{n}-name_{code}"] = criterion.name.get(code, "")
    data["criteria-0-name_en"] = "Community <involvement>"
    data["criteria-0-weight"] = "7"  # not on the page: not taken
    assert client.post(url, data).status_code == 302
    criteria = list(grant_call.criteria.all())
    assert str(criteria[0]) == "Community <involvement>" and criteria[0].weight == Decimal("1")
    assert len(criteria) == 5
    # a row more, sent by hand: refused with the reason, what was typed kept
    data.update({"criteria-TOTAL_FORMS": "6", "criteria-5-name_en": "Late"})
    data["criteria-0-name_en"] = "Community involvement, corrected"
    refused = client.post(url, data)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert (
        "no criterion added or removed" in page
        and 'value="Community involvement, corrected"' in page
    )
    assert not grant_call.criteria.filter(name__en="Late").exists()
    assert str(grant_call.criteria.first()) == "Community <involvement>"


def test_a_citys_own_criteria_are_those_its_new_calls_start_with(
    grant_call, officer, resident, koszalin
):
    opens, closes = timezone.now() + timedelta(days=5), timezone.now() + timedelta(days=30)
    start = {"opens_at": opens, "closes_at": closes, "total_budget": Decimal("100000"),
             "project_cap": Decimal("20000")}  # fmt: skip
    builtin = calls.grant_call_create(actor=officer, city=koszalin, title={"en": "A"}, **start)
    assert [c.key for c in builtin.criteria.all()][:2] == ["community", "benefit"]
    with pytest.raises(PermissionDenied):
        calls.city_criteria_set(actor=resident, city=koszalin, criteria=[(None, {"en": "A"}, 1)])
    with pytest.raises(ValidationError) as exc:
        calls.city_criteria_set(actor=officer, city=koszalin, criteria=[(None, {"en": "A"}, 0)])
    assert "weight is more than 0" in exc.value.messages[0]
    assert not CityCriterion.objects.exists()
    # set from the built-in ones as the page sends them: their keys kept, one weighed more
    own = [("community", {"en": "Neighbours <involved>"}, "3"), (None, {"pl": "Zieleń"}, 1)]
    calls.city_criteria_set(actor=officer, city=koszalin, criteria=own)
    made = calls.grant_call_create(actor=officer, city=koszalin, title={"en": "B"}, **start)
    assert [(c.key, c.name, c.weight) for c in made.criteria.all()] == [
        ("community", {"en": "Neighbours <involved>"}, Decimal("3.00")),
        ("zielen", {"pl": "Zieleń"}, Decimal("1.00")),
    ]
    # calls made before keep theirs; a call started from an earlier one takes that call's
    assert builtin.criteria.count() == 5
    copy = calls.grant_call_copy(actor=officer, source=builtin, title={"en": "C"},
                                 opens_at=opens, closes_at=closes)  # fmt: skip
    assert copy.criteria.count() == 5
    # back to the built-in ones
    calls.city_criteria_set(actor=officer, city=koszalin, criteria=None)
    assert not CityCriterion.objects.exists()
    again = calls.grant_call_create(actor=officer, city=koszalin, title={"en": "D"}, **start)
    assert again.criteria.count() == 5
    events = AuditEvent.objects.filter(action="city.criteria").order_by("pk")
    assert [len(e.after["criteria"]) for e in events] == [2, 0]


def test_officers_set_the_citys_criteria_on_their_page(client, officer, koszalin):
    client.force_login(officer)
    client.cookies["django_language"] = "en"
    home = client.get("/koszalin/officer/").content.decode()
    assert 'href="/koszalin/officer/criteria/"' in home
    url = "/koszalin/officer/criteria/"
    page = client.get(url).content.decode()
    assert "the city has not set its own" in page and 'id="criteria-builtin"' not in page
    rows = _rows(page)
    assert rows[0] == ("Community involvement", "1.00") and len(rows) == 7
    keys = re.findall(r'name="criteria-\d+-key" value="([^"]+)"', page)
    data = {"criteria-TOTAL_FORMS": "7", "criteria-INITIAL_FORMS": "5"}
    for n in range(7):
        data[f"criteria-{n}-key"] = keys[n] if n < 5 else ""
        data[f"criteria-{n}-name_en"] = rows[n][0]
        data[f"criteria-{n}-weight"] = "1"
    data.update({"criteria-1-DELETE": "on", "criteria-5-name_en": "Shade <and> trees"})
    assert client.post(url, data).status_code == 302
    assert [str(c) for c in CityCriterion.objects.filter(city=koszalin)] == [
        "Community involvement", "Feasibility", "Sustainability and maintenance plan",
        "Cost-effectiveness", "Shade <and> trees",
    ]  # fmt: skip
    new_call = client.get("/koszalin/officer/calls/new/").content.decode()
    start = new_call[new_call.index('id="start-criteria"') :]
    assert "Shade &lt;and&gt; trees ×&nbsp;1" in start[: start.index("</p>")]
    # a refusal keeps what was typed and changes nothing
    data["criteria-6-name_en"] = "Feasibility"
    refused = client.post(url, data)
    assert refused.status_code == 400 and "Two criteria are named" in refused.content.decode()
    assert CityCriterion.objects.filter(city=koszalin).count() == 5
    page = client.get(url).content.decode()
    assert "These are the city's own criteria." in page and 'id="criteria-builtin"' in page
    assert client.post(url, {"action": "builtin"}).status_code == 302
    assert not CityCriterion.objects.exists()
