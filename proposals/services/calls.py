"""Grant calls: created and copied by programme officers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mapapp.audit import audit_record
from mapapp.models import City, CityRole, Role
from proposals import messages as msg
from proposals import selectors
from proposals.access import check_officer
from proposals.models import CityCriterion, Criterion, GrantCall
from proposals.services.common import refuse

DEFAULT_CRITERIA = [
    (
        "community",
        {
            "en": "Community involvement",
            "pl": "Zaangażowanie społeczności",
            "cs": "Zapojení komunity",
        },
    ),
    (
        "benefit",
        {
            "en": "Benefit to the public space",
            "pl": "Korzyść dla przestrzeni publicznej",
            "cs": "Přínos pro veřejný prostor",
        },
    ),
    ("feasibility", {"en": "Feasibility", "pl": "Wykonalność", "cs": "Proveditelnost"}),
    (
        "sustainability",
        {
            "en": "Sustainability and maintenance plan",
            "pl": "Trwałość i plan utrzymania",
            "cs": "Udržitelnost a plán údržby",
        },
    ),
    ("cost", {"en": "Cost-effectiveness", "pl": "Efektywność kosztowa", "cs": "Hospodárnost"}),
]

CALL_FIELDS = (
    "description",
    "total_budget",
    "project_cap",
    "allow_individuals",
    "allow_ngos",
    "min_supporters",
    "supporter_min_age",
    "landowner_consent_required",
    "rounds",
    "committee_size",
    "sustainability_months",
    "max_area_m2",
    "max_vertices",
    "publish_scores",
)


@transaction.atomic
def grant_call_create(
    *,
    actor,
    city: City,
    title: dict,
    opens_at: datetime,
    closes_at: datetime,
    total_budget: Decimal,
    project_cap: Decimal,
    criteria: list[tuple[str, dict, Decimal]] | None = None,
    **options,
) -> GrantCall:
    check_officer(actor, city)
    call = GrantCall(
        city=city,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        total_budget=total_budget,
        project_cap=project_cap,
        **options,
    )
    call.full_clean()
    call.save()
    schedule_expiry(call)
    if criteria is None:
        criteria = [(c.key, c.name, c.weight) for c in selectors.city_criteria(city=city)]
    Criterion.objects.bulk_create(
        Criterion(grant_call=call, key=key, name=name, weight=weight, position=i)
        for i, (key, name, weight) in enumerate(criteria)
    )
    audit_record(
        actor=actor,
        action="call.create",
        obj=call,
        city=city,
        after={"title": title, "total_budget": str(total_budget), "cap": str(project_cap)},
    )
    return call


MAX_CRITERIA = 12
MAX_WEIGHT = Decimal("99.99")  # Criterion.weight: four digits, two of them decimals


def _criteria_cleaned(criteria) -> list[tuple[str | None, dict, Decimal]]:
    """Criteria as (key or None, name in each language, weight), checked together:
    some and not too many, each named in a language of the site, no two with one name,
    weights above 0 and within the column. Names with their spaces collapsed."""
    if not criteria:
        refuse(msg.CRITERIA_NONE)
    if len(criteria) > MAX_CRITERIA:
        refuse(msg.CRITERIA_TOO_MANY, n=MAX_CRITERIA)
    cleaned, seen = [], set()
    for key, name, weight in criteria:
        name = {code: " ".join(str(text).split()) for code, text in (name or {}).items()
                if code in dict(settings.LANGUAGES) and str(text or "").strip()}  # fmt: skip
        if not name:
            refuse(msg.CRITERION_UNNAMED)
        for code, text in name.items():
            if (code, text.casefold()) in seen:
                refuse(msg.CRITERION_TWICE, name=text)
            seen.add((code, text.casefold()))
        try:
            weight = Decimal(weight).quantize(Decimal("0.01"))
        except (ArithmeticError, TypeError, ValueError):  # None, or not a number
            weight = None
        if weight is None or not weight.is_finite() or not Decimal("0") < weight <= MAX_WEIGHT:
            refuse(msg.CRITERION_WEIGHT, max=MAX_WEIGHT)
        cleaned.append((key, name, weight))
    return cleaned


def _criteria_save(rows, cleaned, new) -> list:
    """Replace the criteria `rows` (a call's or a city's, a related manager) with `cleaned`,
    in order: a kept key keeps its row (renaming does not make a new criterion), a row left
    out is deleted, a new one gets a key from its name, unique among them. `new(key)`
    makes an unsaved row."""
    from django.utils.text import slugify

    existing = {c.key: c for c in rows.all()}
    kept = {key for key, _n, _w in cleaned if key in existing}
    rows.exclude(key__in=kept).delete()
    taken, used = set(kept), set()
    for position, (key, name, weight) in enumerate(cleaned):
        if key in existing and key not in used:  # a key sent twice: the second row is new
            criterion = existing[key]
            used.add(key)
        else:  # a key given (the built-in ones' and the city's) or one from its name
            base = slugify(key or "")[:30] or slugify(next(iter(name.values())))[:30]
            base = base or "criterion"
            key, n = base, 2
            while key in taken:
                key, n = f"{base}-{n}", n + 1
            criterion = new(key)
        taken.add(key)
        criterion.name, criterion.weight, criterion.position = name, weight, position
        criterion.save()
    return list(rows.all())


def _criteria_audited(rows) -> list:
    return [(c.key, c.name, str(c.weight)) for c in rows.all()]


@transaction.atomic
def criteria_set(*, actor, grant_call: GrantCall, criteria: list[tuple[str | None, dict, Decimal]]):
    """The call's assessment criteria, in order: (key or None for a new one, name in each
    language, weight). A criterion left out is removed; a kept key keeps its criterion.
    Audited with before and after. Which criteria there are, and their weights, only
    before the call opens, like its other rules: applicants read them on the call's page
    and write for them. Their names, like the call's texts, at any time (a typo, a missing
    language): the same keys in the same order with the same weights."""
    check_officer(actor, grant_call.city)
    call = GrantCall.objects.select_for_update().get(pk=grant_call.pk)
    cleaned = _criteria_cleaned(criteria)
    if not call.rules_open and [(k, w) for k, _n, w in cleaned] != [
        (c.key, c.weight) for c in call.criteria.all()
    ]:
        refuse(msg.CRITERIA_LOCKED)
    before = _criteria_audited(call.criteria)
    saved = _criteria_save(call.criteria, cleaned, lambda key: Criterion(grant_call=call, key=key))
    audit_record(
        actor=actor,
        action="call.criteria",
        obj=call,
        city=call.city,
        before={"criteria": before},
        after={"criteria": _criteria_audited(call.criteria)},
    )
    return saved


@transaction.atomic
def city_criteria_set(*, actor, city: City, criteria: list[tuple[str | None, dict, Decimal]]):
    """The city's own criteria for its new calls, checked as a call's; calls already made
    keep theirs. `criteria=None` goes back to the built-in ones. Audited."""
    check_officer(actor, city)
    # one writer at a time; "no key" so that rows referring to the city are not held up
    City.objects.select_for_update(no_key=True).filter(pk=city.pk).first()
    before = _criteria_audited(city.call_criteria)
    if criteria is None:
        city.call_criteria.all().delete()
        saved = []
    else:
        cleaned = _criteria_cleaned(criteria)
        saved = _criteria_save(city.call_criteria, cleaned,
                               lambda key: CityCriterion(city=city, key=key))  # fmt: skip
    audit_record(
        actor=actor,
        action="city.criteria",
        obj=city,
        city=city,
        before={"criteria": before},
        after={"criteria": _criteria_audited(city.call_criteria)},
    )
    return saved


# What an officer may still change, by the call's phase (grant_call_update): the rules
# applicants and supporters rely on only before the call opens; the deadline while it is
# open (an extension); the committee's size until the assessment begins; the texts always.
RULES = tuple(f for f in CALL_FIELDS if f not in ("description", "committee_size"))


@transaction.atomic
def grant_call_update(
    *, actor, grant_call: GrantCall, title: dict, description: dict, **changes
) -> GrantCall:
    """Correct or extend a call: its title and description in each language at any time;
    `changes` (opens_at, closes_at and CALL_FIELDS) only in the phase where nobody already
    relies on them. Unchanged values pass in every phase. Audited with before and after."""
    check_officer(actor, grant_call.city)
    call = GrantCall.objects.select_for_update().get(pk=grant_call.pk)
    title = _texts(call.title, title)
    if not any(title.get(code) for code, _name in settings.LANGUAGES):
        refuse(msg.CALL_TITLE_MISSING)
    now = timezone.now()
    changed = {k: v for k, v in changes.items() if getattr(call, k) != v}
    opened, closed = call.opens_at <= now, call.closes_at <= now
    for name in changed:
        if name in RULES and opened:
            field = GrantCall._meta.get_field(name).verbose_name
            refuse(msg.CALL_RULE_LOCKED, field=str(field))
    if "opens_at" in changed and opened:
        refuse(msg.CALL_OPENS_LOCKED)
    if "closes_at" in changed and closed:
        refuse(msg.CALL_CLOSES_LOCKED)
    if "committee_size" in changed:
        if call.current_round or call.round_open:
            refuse(msg.COMMITTEE_SIZE_LOCKED)
        have = call.committee.count()
        if changed["committee_size"] < have:
            refuse(msg.COMMITTEE_SIZE_BELOW, have=have)
    before = {"title": call.title, "description": call.description}
    before |= {k: str(getattr(call, k)) for k in changed}
    call.title, call.description = title, _texts(call.description, description)
    for name, value in changed.items():
        setattr(call, name, value)
    call.full_clean()
    call.save()
    if "closes_at" in changed:
        schedule_expiry(call)  # at the new deadline (an earlier task finds nothing due)
        transaction.on_commit(lambda: tell_of_new_deadline(call.pk))
    after = {"title": call.title, "description": call.description}
    after |= {k: str(v) for k, v in changed.items()}
    audit_record(
        actor=actor, action="call.update", obj=call, city=call.city, before=before, after=after
    )
    return call


def deadline_local(call: GrantCall) -> str:
    """The call's deadline as its city's people read it: their clock, the active language's
    format."""
    import zoneinfo

    from django.utils.formats import date_format

    local = call.closes_at.astimezone(zoneinfo.ZoneInfo(call.city.time_zone))
    return date_format(local, "DATETIME_FORMAT")


def tell_of_new_deadline(call_id: int) -> int:
    """The deadline moved: the applicants whose proposals are still to be submitted, and the
    followers of those gathering support, are told. Returns how many e-mails were sent."""
    from proposals.services.following import tell_followers_of_deadline

    return tell_applicants_of_deadline(call_id) + tell_followers_of_deadline(call_id)


def tell_applicants_of_deadline(call_id: int) -> int:
    """Each applicant with a proposal not yet submitted in the call (a draft, or gathering
    support) is told the new deadline, in their language and the city's time. Returns how
    many were told."""
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext as _

    from mapapp.tasks import mail, site_link
    from proposals.models import Proposal

    call = GrantCall.objects.select_related("city").get(pk=call_id)
    waiting = Proposal.objects.filter(
        grant_call=call,
        status__in=(Proposal.Status.DRAFT, Proposal.Status.COLLECTING_SUPPORT),
    ).select_related("author")
    told = 0
    for proposal in waiting.order_by("pk"):
        with translation.override(proposal.author.language_in(call.city)):
            words = {
                "call": call.display_title,
                "when": deadline_local(call),
                "city": call.city.name,
                "title": proposal.title or _("Untitled proposal"),
            }
            url = reverse("proposals:edit", kwargs={"city": call.city.slug, "pk": proposal.pk})
            subject = _("New deadline for “%(call)s”") % words
            body = (
                _(
                    "The deadline of the call “%(call)s” is now %(when)s (%(city)s time). Your "
                    "proposal “%(title)s” must be submitted by then."
                )
                % words
            )
            mail(subject, f"{body}\n\n{site_link(url)}", [proposal.author.email], city=call.city)
        told += 1
    return told


def _texts(stored: dict | None, posted: dict) -> dict:
    """The site's languages as posted (blank ones left out); whatever else the stored dict
    holds stays: a language no longer offered, the demo's mark."""
    codes = {code for code, _name in settings.LANGUAGES}
    kept = {k: v for k, v in (stored or {}).items() if k not in codes}
    return kept | {k: v.strip() for k, v in posted.items() if k in codes and (v or "").strip()}


def schedule_expiry(call: GrantCall) -> None:
    """Queue the expiry of the call's unsubmitted proposals for the moment it closes (once
    the transaction commits), so they leave the public pages on time rather than at the
    next daily job. Called when a call is created and when its deadline is changed."""
    from proposals.tasks import expire_call

    if not expire_call.get_backend().supports_defer:
        return  # a backend that cannot wait (tests' immediate one): the daily job does it
    when = max(call.closes_at + timedelta(seconds=1), timezone.now())
    transaction.on_commit(lambda: expire_call.using(run_after=when).enqueue(call.pk))


@transaction.atomic
def grant_call_copy(
    *,
    actor,
    source: GrantCall,
    title: dict,
    opens_at: datetime,
    closes_at: datetime,
    description: dict | None = None,
    **rules,
) -> GrantCall:
    """A new call with the rules, criteria and committee of an earlier one; its description
    too, unless a new one is given. `rules` (any of CALL_FIELDS) are the new call's own,
    where they differ from the earlier one's (the officers' form sends them all)."""
    check_officer(actor, source.city)
    unknown = set(rules) - set(CALL_FIELDS)
    if unknown:
        raise TypeError(f"not a call's rule: {sorted(unknown)}")
    options = {f: getattr(source, f) for f in CALL_FIELDS} | rules
    if description:
        options["description"] = description
    criteria = [(c.key, c.name, c.weight) for c in source.criteria.all()]
    call = grant_call_create(
        actor=actor,
        city=source.city,
        title=title,
        opens_at=opens_at,
        closes_at=closes_at,
        criteria=criteria,
        **options,
    )
    call.copied_from = source
    call.save(update_fields=["copied_from"])
    call.committee.set(source.committee.all())
    return call


@transaction.atomic
def grant_call_set_committee(*, actor, grant_call: GrantCall, members) -> None:
    """Who scores the call's proposals: committee members of the call's city, at most the
    call's committee size, changed only while no round is open (a member's scores in closed
    rounds stay)."""
    check_officer(actor, grant_call.city)
    grant_call = GrantCall.objects.select_for_update().get(pk=grant_call.pk)
    if grant_call.round_open:
        refuse(msg.COMMITTEE_ROUND_OPEN, round=grant_call.current_round)
    members = list(members)
    allowed = set(
        CityRole.objects.filter(
            city=grant_call.city, role=Role.COMMITTEE_MEMBER, user__in=members
        ).values_list("user_id", flat=True)
    )
    strangers = sorted(m.email for m in members if m.pk not in allowed)
    if strangers:
        refuse(msg.NOT_A_COMMITTEE_MEMBER, emails=", ".join(strangers))
    if len(members) > grant_call.committee_size:
        refuse(msg.COMMITTEE_TOO_LARGE, size=grant_call.committee_size, chosen=len(members))
    before = sorted(grant_call.committee.values_list("email", flat=True))
    grant_call.committee.set(members)
    audit_record(
        actor=actor,
        action="call.committee",
        obj=grant_call,
        city=grant_call.city,
        before={"committee": before},
        after={"committee": sorted(m.email for m in members)},
    )


DECISION_REFERENCE_MAX = 200


@transaction.atomic
def grant_call_decision_record(*, actor, grant_call: GrantCall, reference: str, url: str = ""):
    """The city's act deciding the call's grants (a board's resolution: its number or title)
    and where the city publishes it, shown with the call's public results. Once the rounds
    are over; an empty reference clears it. Audited."""
    from django.core.validators import URLValidator

    check_officer(actor, grant_call.city)
    call = GrantCall.objects.select_for_update().get(pk=grant_call.pk)
    if not call.assessment_finished:
        refuse(msg.ASSESSMENT_NOT_FINISHED)
    reference = " ".join((reference or "").split())
    url = (url or "").strip()
    errors = {}
    if len(reference) > DECISION_REFERENCE_MAX:
        errors["decision_reference"] = [
            msg.DECISION_REFERENCE_LONG % {"max": DECISION_REFERENCE_MAX}
        ]
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
            if len(url) > 200:  # the column's length
                raise ValidationError("too long")
        except ValidationError:
            errors["decision_url"] = [msg.DECISION_URL_INVALID]
        if not reference:
            errors["decision_reference"] = [msg.DECISION_REFERENCE_MISSING]
    if errors:
        raise ValidationError(errors)
    before = {"reference": call.decision_reference, "url": call.decision_url}
    call.decision_reference, call.decision_url = reference, url
    call.save(update_fields=["decision_reference", "decision_url", "updated_at"])
    audit_record(
        actor=actor,
        action="call.decision_record",
        obj=call,
        city=call.city,
        before=before,
        after={"reference": reference, "url": url},
    )
    return call
