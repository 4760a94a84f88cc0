"""manage.py notify_overdue_reports: the daily e-mails of the programme (run it daily).

- Each programme officer of a city gets a digest of what waits in the workspace, in their
  language, signed as the city's other e-mails are: proposals waiting for the formal
  check, residents' reports of content (flags) waiting for review, neglected-site reports
  waiting for moderation, and the overdue maintenance reports, each with its link.
  Nothing waiting, no e-mail.
- Applicants are reminded of maintenance reports a week before they are due and once when
  overdue (proposals.services.delivery.report_reminders_send), each reminder once.
- Applicants are reminded of residents' notices about their projects unanswered for a week
  (proposals.services.care.care_reminders_send), each notice once.
- Applicants whose proposal is not submitted are reminded SUBMIT_REMIND_DAYS (7 and 2)
  before their call closes, with what it still lacks
  (proposals.services.drafting.deadline_reminders_send), each reminder once.
- Proposals still gathering support when their call closed expire (and their applicants
  are told): proposals.services.drafting.expire_unsubmitted.
- Holders of an API token are told API_TOKEN_REMIND_DAYS (14) before it ends
  (mapapp.services.api_token_reminders_send), once per token.

(The name is the first of these jobs'; deployments' timers call it.)"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mapapp.jobs import ScheduledCommand
from mapapp.models import City, CityRole, Role
from mapapp.services import api_token_reminders_send
from mapapp.tasks import mail, site_link
from proposals.selectors import OfficerWaiting, officer_waiting, overdue_reports
from proposals.services.care import care_reminders_send
from proposals.services.delivery import report_reminders_send
from proposals.services.drafting import deadline_reminders_send, expire_unsubmitted

DIGEST_PROJECTS = 10  # of each of the projects' steps; the workspace has them all


def _digest(city: City, waiting: OfficerWaiting, overdue: list) -> str:
    """The digest's text in the active language ('' when nothing waits)."""

    def link(name, **kwargs):
        return site_link(reverse(name, kwargs={"city": city.slug, **kwargs}))

    checks, flags, sites = len(waiting.checks), waiting.flags, waiting.sites
    parts = []
    if checks:
        text = ngettext(
            "%(n)s proposal waits for the formal check:",
            "%(n)s proposals wait for the formal check:",
            checks,
        )
        parts.append(f"{text % {'n': checks}} {link('proposals:officer')}")
    if flags:
        text = ngettext(
            "%(n)s report of content waits for review:",
            "%(n)s reports of content wait for review:",
            flags,
        )
        line = f"{text % {'n': flags}} {link('flags')}"
        since = waiting.flags_since
        if since and since < timezone.now() - timedelta(days=1):  # in yesterday's e-mail too
            when = date_format(timezone.localtime(since, ZoneInfo(city.time_zone)), "DATE_FORMAT")
            line += "\n" + _("The oldest has waited since %(date)s.") % {"date": when}
        if waiting.flags_overdue:
            line += "\n" + ngettext(
                "%(n)s has waited longer than the %(days)s days the programme promises.",
                "%(n)s have waited longer than the %(days)s days the programme promises.",
                waiting.flags_overdue,
            ) % {"n": waiting.flags_overdue, "days": waiting.review_days}
        parts.append(line)
    if sites:
        text = ngettext(
            "%(n)s neglected-site report waits for moderation:",
            "%(n)s neglected-site reports wait for moderation:",
            sites,
        )
        parts.append(f"{text % {'n': sites}} {link('sites:moderation')}")
    if waiting.representations:
        n = waiting.representations
        text = ngettext(
            "%(n)s request to represent an organisation waits for verification:",
            "%(n)s requests to represent an organisation wait for verification:",
            n,
        )
        parts.append(f"{text % {'n': n}} {link('proposals:officer-organisations')}")
    for call in waiting.rounds_done:
        text = _("Every member has scored every proposal in round %(n)s: close the round of")
        parts.append(
            f"{text % {'n': call.current_round}} {call.display_title}: "
            + link("proposals:officer-call", call_id=call.pk)
        )
    for _step, text, found in waiting.projects:
        lines = [
            f"- {p.title or p.pk} (#{p.pk}): " + link("proposals:officer-proposal", pk=p.pk)
            for p in found[:DIGEST_PROJECTS]
        ]
        if len(found) > DIGEST_PROJECTS:
            lines.append("- …")
        parts.append("\n".join([text, *lines]))
    if overdue:
        text = ngettext(
            "%(n)s maintenance report is overdue:",
            "%(n)s maintenance reports are overdue:",
            len(overdue),
        )
        lines = [
            "- "
            + _("%(title)s (#%(id)s), report %(period)s")
            % {"title": p.title, "id": p.pk, "period": period}
            + ": "
            + link("proposals:officer-proposal", pk=p.pk)
            for p, period in overdue
        ]
        parts.append("\n".join([text % {"n": len(overdue)}, *lines]))
    return "\n\n".join(parts)


class Command(ScheduledCommand, BaseCommand):
    help = (
        "E-mail each city's programme officers what waits for them (formal checks, flags, "
        "site reports, feedback, agreements, completions and projects to close, residents' "
        "notices left unanswered, overdue maintenance reports), and remind applicants of "
        "maintenance reports due within a week or overdue, of residents' notices unanswered "
        "for a week, and of their call's deadline while their proposal is not submitted, "
        "each once; expire proposals not submitted before their call closed; tell holders of "
        "API tokens that end soon (run daily)."
    )

    def run(self, *args, **options):
        expired = expire_unsubmitted()
        if expired:
            self.stdout.write(f"{expired} proposals not submitted before their call closed")
        told = api_token_reminders_send()
        if told:
            self.stdout.write(f"{told} holders of an API token that ends soon told")
        for city in City.objects.filter(is_active=True).defer("boundary"):
            with timezone.override(city.time_zone):  # "overdue" by the city's calendar
                overdue = overdue_reports(city=city)
                reminded = report_reminders_send(city=city)
            if reminded:
                self.stdout.write(f"{city.name}: reminded {reminded} applicants")
            reminded = care_reminders_send(city=city)
            if reminded:
                self.stdout.write(f"{city.name}: reminded {reminded} applicants of notices")
            reminded = deadline_reminders_send(city=city)
            if reminded:
                self.stdout.write(
                    f"{city.name}: reminded {reminded} applicants of their call's deadline"
                )
            officers = CityRole.objects.filter(
                city=city, role=Role.PROGRAMME_OFFICER
            ).select_related("user")
            waiting = officer_waiting(city=city)
            told = 0
            for role in officers:
                user = role.user
                with translation.override(user.language_in(city)):
                    body = _digest(city, waiting, overdue)
                    if not body:
                        continue
                    subject = _("[%(city)s] Waiting in the officers' workspace") % {
                        "city": city.name
                    }
                    mail(subject, body, [user.email], city=city)
                told += 1
            self.stdout.write(f"{city.name}: {len(overdue)} overdue, told {told} officers")
