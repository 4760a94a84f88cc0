"""The grant calls' dates as iCalendar (RFC 5545) files, for residents' and NGOs' own
calendars: /<city>/calls/calendar.ics (every call of the city: a calendar to subscribe to)
and /<city>/calls/<id>/calendar.ics (one call's dates, to add once).

Each call gives two events, its opening and its deadline for proposals, in UTC (a calendar
shows them in its own time zone), named in the active language, with the call's page; the
deadline carries a reminder the day before. Their UIDs name the call and the date, so a
subscribed calendar moves an event when an officer moves the deadline, rather than adding a
second one (DTSTAMP and SEQUENCE say it is newer). The icalendar library writes the file
(line folding by octets, escaping of commas, semicolons and new lines)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from proposals.models import GrantCall

DESCRIPTION_CHARS = 2000  # a call's description is shortened to this in an event


def calls_calendar(
    *, calls: Iterable[GrantCall], name: str, page_of: Callable[[GrantCall], str], host: str
) -> bytes:
    """The calendar of `calls`: `name` is its title in calendar apps, `page_of(call)` the
    absolute address of a call's page, `host` the domain that makes the events' UIDs
    unique (the site's, from SITE_URL)."""
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//We Create Space//Grant calls//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # how often a subscribed calendar should look again (RFC 7986, and Outlook's own)
    calendar.add("refresh-interval", timedelta(days=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "P1D")
    for call in calls:
        page = page_of(call)
        words = {"call": call.display_title}
        about = call.display_description.strip()
        if len(about) > DESCRIPTION_CHARS:
            about = about[: DESCRIPTION_CHARS - 1].rstrip() + "…"
        dates = (
            ("opens", call.opens_at, _("Call opens: %(call)s") % words),
            ("closes", call.closes_at, _("Deadline for proposals: %(call)s") % words),
        )
        for key, when, summary in dates:
            event = Event()
            event.add("uid", f"call-{call.pk}-{key}@{host}")
            event.add("dtstamp", call.updated_at)
            event.add("last-modified", call.updated_at)
            # grows with every change of the call (seconds since it was made): calendars
            # that compare versions take the moved date as the newer one
            event.add("sequence", max(0, int((call.updated_at - call.created_at).total_seconds())))
            event.add("dtstart", when)  # no end: an instant (RFC 5545, 3.6.1)
            event.add("summary", summary)
            event.add("description", f"{about}\n\n{page}" if about else page)
            event.add("url", page)
            event.add("transp", "TRANSPARENT")  # a date to keep, not a busy hour
            if key == "closes":
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("trigger", -timedelta(days=1))
                alarm.add("description", summary)
                event.add_component(alarm)
            calendar.add_component(event)
    return calendar.to_ical()


def site_host(request) -> str:
    """The domain of the events' UIDs: the site's own (SITE_URL), else the request's."""
    return urlsplit(settings.SITE_URL).hostname or request.get_host().split(":")[0]
