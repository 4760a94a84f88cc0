"""The calls' dates as iCalendar files (RFC 5545) for residents' and NGOs' calendars, read
back with the icalendar library as a calendar application would."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from proposals.models import GrantCall
from proposals.services import calls

pytestmark = pytest.mark.django_db


def _events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_every_call_of_the_city_is_a_calendar_to_subscribe_to(
    client, grant_call, officer, koszalin, ostrava, settings
):
    """Each call's opening and deadline, in UTC, named in the page's language, with the
    call's page and a reminder the day before the deadline; another city's calls are not
    there. The file is folded and escaped as RFC 5545 asks, whatever the title holds."""
    settings.SITE_URL = "https://grants.example.org"
    now = timezone.now()
    coming = calls.grant_call_create(
        actor=officer, city=koszalin,
        title={"en": "Green yards, benches; and\nmore", "pl": "Zielone podwórka, ławki; i\nwięcej"},
        description={"en": "Żółte ławki " * 30},
        opens_at=now + timedelta(days=60), closes_at=now + timedelta(days=90),
        total_budget=100000, project_cap=40000,
    )  # fmt: skip
    GrantCall.objects.create(city=ostrava, title={"en": "Ostrava's call"}, opens_at=now,
                             closes_at=now + timedelta(days=9), total_budget=10,
                             project_cap=10)  # fmt: skip
    response = client.get("/koszalin/calls/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75  # octets, folded
    calendar = Calendar.from_ical(raw)
    assert str(calendar["x-wr-calname"]) == "Koszalin: grant calls"
    events = _events(response)
    assert set(events) == {
        f"call-{grant_call.pk}-opens@grants.example.org",
        f"call-{grant_call.pk}-closes@grants.example.org",
        f"call-{coming.pk}-opens@grants.example.org",
        f"call-{coming.pk}-closes@grants.example.org",
    }
    deadline = events[f"call-{coming.pk}-closes@grants.example.org"]
    assert deadline.decoded("dtstart") == coming.closes_at.astimezone(UTC).replace(microsecond=0)
    assert deadline.decoded("dtstart").tzinfo is not None  # UTC, not a floating time
    assert str(deadline["summary"]) == "Deadline for proposals: Green yards, benches; and\nmore"
    page = f"http://testserver/koszalin/calls/{coming.pk}/"
    assert str(deadline["url"]) == page and str(deadline["description"]).endswith(page)
    assert str(deadline["description"]).startswith("Żółte ławki")
    (alarm,) = deadline.walk("VALARM")
    assert alarm.decoded("trigger") == -timedelta(days=1)
    opens = events[f"call-{coming.pk}-opens@grants.example.org"]
    assert str(opens["summary"]).startswith("Call opens: Green yards")
    assert opens.walk("VALARM") == []


def test_a_moved_deadline_moves_the_same_event_and_one_call_has_its_own_file(
    client, grant_call, officer, koszalin, settings
):
    settings.SITE_URL = "https://grants.example.org"
    uid = f"call-{grant_call.pk}-closes@grants.example.org"
    made, now = timezone.now() - timedelta(hours=2), timezone.now()
    GrantCall.objects.filter(pk=grant_call.pk).update(
        created_at=made, updated_at=now - timedelta(hours=1)
    )
    before = _events(client.get("/koszalin/calls/calendar.ics"))[uid]
    later = grant_call.closes_at + timedelta(days=7)
    calls.grant_call_update(actor=officer, grant_call=grant_call, title=grant_call.title,
                            description=grant_call.description, closes_at=later)  # fmt: skip
    one = client.get(f"/koszalin/calls/{grant_call.pk}/calendar.ics")
    assert one.status_code == 200
    assert f'filename="koszalin-call-{grant_call.pk}.ics"' in one["Content-Disposition"]
    after = _events(one)
    assert set(after) == {f"call-{grant_call.pk}-opens@grants.example.org", uid}
    assert after[uid].decoded("dtstart") == later.astimezone(UTC).replace(microsecond=0)
    assert after[uid].decoded("dtstamp") > before.decoded("dtstamp")  # the newer version
    assert after[uid].decoded("sequence") > before.decoded("sequence")
    # the call's page links it while the call is not closed; in the city's language
    page = client.get(f"/koszalin/calls/{grant_call.pk}/").content.decode()
    assert f"/koszalin/calls/{grant_call.pk}/calendar.ics" in page
    client.cookies.clear()
    polish = _events(client.get(f"/koszalin/calls/{grant_call.pk}/calendar.ics"))[uid]
    assert str(polish["summary"]).startswith("Termin składania propozycji: ")
    assert client.get(f"/ostrava/calls/{grant_call.pk}/calendar.ics").status_code == 404
    assert client.get("/koszalin/calls/").content.decode().count("calendar.ics") == 1
