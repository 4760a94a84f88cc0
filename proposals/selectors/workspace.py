"""What each person has to do next: the applicant's next step, the officers' waiting work,
organisations' representatives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mapapp.collation import collated
from mapapp.models import City
from proposals.models import (
    CareNotice,
    GrantCall,
    Proposal,
    Representative,
)
from proposals.selectors.assessment import feedback_due, round_progress
from proposals.selectors.delivery import maintenance_schedule, next_report

S = Proposal.Status


@dataclass
class NextStep:
    text: str
    url: str
    urgent: bool = False  # overdue: shown as such


def next_step(*, proposal: Proposal, today=None) -> NextStep | None:
    """What the applicant has to do next with their proposal, and where, for the list of
    their proposals; None while it waits for others (the officers, the committee)."""
    from zoneinfo import ZoneInfo

    from django.urls import reverse
    from django.utils.formats import date_format

    from proposals.services.drafting import active_support_count, revision_window_open

    call = proposal.grant_call
    args = {"city": proposal.city.slug, "pk": proposal.pk}
    edit, detail = reverse("proposals:edit", kwargs=args), reverse("proposals:detail", kwargs=args)
    works = reverse("proposals:progress", kwargs=args)

    def when(moment) -> str:  # the day in the city's own time zone, as its calls are set
        zone = ZoneInfo(proposal.city.time_zone)
        return date_format(timezone.localtime(moment, zone).date(), "SHORT_DATE_FORMAT")

    if proposal.status == S.DRAFT:
        return NextStep(_("Finish it and publish it to gather supporters"), edit)
    if proposal.status == S.COLLECTING_SUPPORT:
        if call.closes_at <= timezone.now():  # the expiry job has not run yet
            return NextStep(
                _("The call closed on %(date)s before it was submitted")
                % {"date": when(call.closes_at)},
                detail,
            )
        have, need = active_support_count(proposal), call.min_supporters
        if have < need:
            return NextStep(
                _("%(have)s of %(need)s supporters; submit it by %(date)s")
                % {"have": have, "need": need, "date": when(call.closes_at)},
                detail,
            )
        return NextStep(_("Supported: submit it by %(date)s") % {"date": when(call.closes_at)},
                        detail)  # fmt: skip
    if proposal.status == S.IN_ASSESSMENT and revision_window_open(proposal):
        return NextStep(_("The committee's feedback is out: revise it before the next round"),
                        edit)  # fmt: skip
    if proposal.status == S.AGREEMENT_SIGNED:
        return NextStep(_("Start the works"), works)
    if proposal.status == S.IN_PROGRESS:
        return NextStep(_("Record the works, then report the project completed"), works)
    if proposal.status == S.SUSTAINABILITY:
        due = next_report(maintenance_schedule(proposal=proposal, today=today))
        words = {"n": due.period, "date": date_format(due.due, "SHORT_DATE_FORMAT")} if due else {}
        if due is not None and due.overdue:
            return NextStep(_("Maintenance report %(n)s is overdue: it was due %(date)s")
                            % words, works, urgent=True)  # fmt: skip
        waiting = proposal.care_notices.filter(CareNotice.waiting()).count()
        if waiting:  # residents wait for an answer
            return NextStep(
                ngettext(
                    "A resident's notice waits for your answer",
                    "%(n)s residents' notices wait for your answer",
                    waiting,
                )
                % {"n": waiting},
                works + "#care-notices",
            )
        if due is not None:
            return NextStep(_("Maintenance report %(n)s is due %(date)s") % words, works)
    return None


@dataclass
class OfficerWaiting:
    """What waits for a city's programme officers: the officers' page and their daily digest
    (notify_overdue_reports) read it from here, so the e-mail's counts are the page's."""

    checks: list[Proposal]  # submitted to a closed call before round 1, oldest first
    flags: int  # residents' reports of content (and authors' objections), open
    sites: int  # neglected-site reports waiting for moderation
    representations: int = 0  # requests to represent an NGO, to verify
    flags_since: datetime | None = None  # when the oldest open report was made
    flags_overdue: int = 0  # open for longer than FLAG_REVIEW_DAYS
    # the projects' next steps that are the officers' to take, oldest first
    feedback: list[Proposal] = field(default_factory=list)  # between rounds, none released
    decisions: list[Proposal] = field(default_factory=list)  # every round over, undecided
    agreements: list[Proposal] = field(default_factory=list)  # granted, agreement not recorded
    completions: list[Proposal] = field(default_factory=list)  # reported completed
    closable: list[Proposal] = field(default_factory=list)  # sustainability period over
    # residents' notices still unanswered a week after the applicant was reminded of them
    unanswered: list[Proposal] = field(default_factory=list)
    # residents' notices waiting on a project whose grant was revoked in its period: the
    # city's to answer now
    revoked_notices: list[Proposal] = field(default_factory=list)
    # residents' notices the applicant reported as abusive, to keep or remove
    abusive: list[Proposal] = field(default_factory=list)
    # calls whose open round has every score in (members' conflicts aside): to close
    rounds_done: list[GrantCall] = field(default_factory=list)

    @property
    def nothing(self) -> bool:
        return not (
            self.checks
            or self.flags
            or self.sites
            or self.representations
            or self.projects
            or self.rounds_done
        )

    @property
    def projects(self) -> list[tuple[str, str, list[Proposal]]]:
        """(step, what waits in the active language, its proposals) for each of the
        projects' steps that has any: the officers' page and their digest say the same."""
        from django.utils.translation import ngettext

        said = {
            "feedback": lambda n: ngettext(
                "%(n)s proposal waits for the committee's feedback, for its applicant to "
                "revise it:",
                "%(n)s proposals wait for the committee's feedback, for their applicants to "
                "revise them:",
                n,
            ),
            "decisions": lambda n: ngettext(
                "%(n)s proposal assessed in every round waits for the city's decision:",
                "%(n)s proposals assessed in every round wait for the city's decision:",
                n,
            ),
            "agreements": lambda n: ngettext(
                "%(n)s granted project waits for its agreement to be recorded:",
                "%(n)s granted projects wait for their agreements to be recorded:",
                n,
            ),
            "completions": lambda n: ngettext(
                "%(n)s project reported completed waits for your acceptance:",
                "%(n)s projects reported completed wait for your acceptance:",
                n,
            ),
            "closable": lambda n: ngettext(
                "%(n)s project's sustainability period is over; it can be closed:",
                "%(n)s projects' sustainability periods are over; they can be closed:",
                n,
            ),
            "unanswered": lambda n: ngettext(
                "%(n)s project has residents' notices unanswered a week after its applicant "
                "was reminded:",
                "%(n)s projects have residents' notices unanswered a week after their "
                "applicants were reminded:",
                n,
            ),
            "revoked_notices": lambda n: ngettext(
                "%(n)s project whose grant was revoked has residents' notices waiting: only "
                "the city answers them now:",
                "%(n)s projects whose grants were revoked have residents' notices waiting: "
                "only the city answers them now:",
                n,
            ),
            "abusive": lambda n: ngettext(
                "%(n)s project has residents' notices its applicant reported as abusive, to "
                "keep or remove:",
                "%(n)s projects have residents' notices their applicants reported as abusive, "
                "to keep or remove:",
                n,
            ),
        }
        steps = [("feedback", self.feedback), ("decisions", self.decisions),
                 ("agreements", self.agreements),
                 ("completions", self.completions), ("closable", self.closable),
                 ("unanswered", self.unanswered), ("revoked_notices", self.revoked_notices),
                 ("abusive", self.abusive)]  # fmt: skip
        return [
            (step, said[step](len(found)) % {"n": len(found)}, found)
            for step, found in steps
            if found
        ]

    @property
    def review_days(self) -> int:
        from django.conf import settings

        return settings.FLAG_REVIEW_DAYS

    @property
    def checks_shown(self) -> list[Proposal]:
        """The oldest CHECKS_SHOWN of them: after a deadline a call may have hundreds."""
        return self.checks[:CHECKS_SHOWN]

    @property
    def checks_by_call(self) -> list[tuple[GrantCall, int]]:
        """(call, how many of its proposals wait), for links to each call's page."""
        counts: dict[GrantCall, int] = {}
        for proposal in self.checks:
            counts[proposal.grant_call] = counts.get(proposal.grant_call, 0) + 1
        return list(counts.items())


CHECKS_SHOWN = 20


def _round_done(call: GrantCall) -> bool:
    """Every member has scored every proposal of the open round they may score, and there is
    one at least."""
    progress = round_progress(grant_call=call)
    return any(m.due for m in progress) and all(m.done for m in progress)


def officer_waiting(*, city: City) -> OfficerWaiting:
    from mapapp.models import Flag
    from sites.models import Site

    # the formal check is possible from the call's deadline until its first round opens
    # (services.assessment.proposal_formal_check): a proposal of an open call waits for
    # nobody yet
    checks = (
        Proposal.objects.filter(
            city=city,
            status=S.SUBMITTED,
            grant_call__closes_at__lte=timezone.now(),
            grant_call__current_round=0,
        )
        .select_related("grant_call")
        .order_by("submitted_at", "id")
    )
    from mapapp.flags import review_due_before

    flags = Flag.objects.filter(city=city, state=Flag.State.OPEN).aggregate(
        n=Count("id"),
        oldest=Min("created_at"),
        overdue=Count("id", filter=Q(created_at__lt=review_due_before())),
    )
    from zoneinfo import ZoneInfo

    from proposals.services.care import REMIND_AFTER_DAYS

    today = timezone.localdate(timezone=ZoneInfo(city.time_zone))
    projects = Proposal.objects.filter(city=city).select_related("grant_call")
    return OfficerWaiting(
        feedback=list(feedback_due(proposals=projects).order_by("eligible_at", "id")),
        # the last round closed: the ranking is final, the decision is the city's
        decisions=list(
            projects.filter(
                status=S.IN_ASSESSMENT,
                grant_call__current_round=F("grant_call__rounds"),
                grant_call__round_open=False,
            ).order_by("grant_call__closes_at", "eligible_at", "id")
        ),
        agreements=list(projects.filter(status=S.GRANTED).order_by("decided_at", "id")),
        completions=list(projects.filter(status=S.COMPLETED).order_by("completed_at", "id")),
        closable=list(
            projects.filter(status=S.SUSTAINABILITY, sustainability_ends_on__lte=today).order_by(
                "sustainability_ends_on", "id"
            )
        ),
        unanswered=list(
            projects.filter(
                CareNotice.waiting("care_notices__"),
                status=S.SUSTAINABILITY,
                care_notices__reminded_at__lt=timezone.now() - timedelta(days=REMIND_AFTER_DAYS),
            )
            .distinct()
            .order_by("sustainability_ends_on", "id")
        ),
        revoked_notices=list(
            projects.filter(CareNotice.waiting("care_notices__"), status=S.REVOKED)
            .distinct()
            .order_by("revoked_at", "id")
        ),
        abusive=list(
            projects.filter(care_notices__abuse=CareNotice.Abuse.REPORTED)
            .distinct()
            .order_by("sustainability_ends_on", "id")
        ),
        rounds_done=[
            call
            for call in GrantCall.objects.filter(city=city, round_open=True).order_by("closes_at")
            if _round_done(call)
        ],
        checks=list(checks),
        flags=flags["n"],
        flags_since=flags["oldest"],
        flags_overdue=flags["overdue"],
        sites=Site.objects.filter(city=city, moderation=Site.Moderation.PENDING).count(),
        representations=pending_representations(city=city).count(),
    )


def pending_representations(*, city: City) -> QuerySet[Representative]:
    """Requests to represent an organisation of the city, waiting for an officer, oldest
    first."""
    return (
        Representative.objects.filter(
            organisation__city=city, verified_at__isnull=True, refused_at__isnull=True
        )
        .select_related("organisation", "user")
        .order_by("requested_at", "pk")
    )


def verified_representations(*, city: City) -> QuerySet[Representative]:
    """The city's verified NGO representatives, by organisation in the reader's alphabet."""
    return (
        Representative.objects.filter(organisation__city=city, verified_at__isnull=False)
        .select_related("organisation", "user", "verified_by")
        .order_by(collated("organisation__name"), "user__email")
    )


def representations_of(*, user, city: City) -> QuerySet[Representative]:
    return (
        Representative.objects.filter(user=user, organisation__city=city)
        .select_related("organisation")
        .order_by("organisation__name")
    )
