"""Personal data: what a person can download about themselves, deleting an account, and the
retention rules that erase in time supporters' details, consent documents and applicants'
phone numbers, what Open311 applications sent about reporters, sign-ups never confirmed
and, when the deployment sets a period, a project's receipts, signed agreement and
maintenance reports.

What is personal here: an account (e-mail, names), supporters' names and addresses (and the
scanned paper sheets that carry them), applicants' contact phone numbers, Open311 reporters'
contact details, landowner consent documents, and residents' notices to a project's
maintainers (with their photos). Public contributions (proposals, site reports) stay when an
account is deleted, under "Deleted user"; the details are erased."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from mapapp.audit import audit_record
from mapapp.files import delete_after_commit
from mapapp.models import AuditEvent, OutgoingMail, RateCount

ERASED = "—"


def notice_facts(*, city=None) -> dict:
    """What the privacy notice states from the configuration rather than in words: how long
    supporters' details are kept, the cookies the site sets, and the host the background
    map's images come from (the visitor's browser asks it, so it sees their IP address)."""
    from urllib.parse import urlsplit

    tiles = city.basemap_url if city is not None else settings.MAP_TILE_URL
    return {
        "retention_days": settings.SUPPORTER_DATA_RETENTION_DAYS,
        "works_keep_years": settings.WORKS_RECORDS_KEEP_YEARS,
        "audit_keep_years": settings.AUDIT_ACTORS_KEEP_YEARS,
        "unconfirmed_days": settings.UNCONFIRMED_ACCOUNT_DAYS,
        "cookies": {
            "session": settings.SESSION_COOKIE_NAME,
            "csrf": settings.CSRF_COOKIE_NAME,
            "language": settings.LANGUAGE_COOKIE_NAME,
            "messages": "messages",  # django.contrib.messages' cookie storage
        },
        # "{s}.tile.example.org": the subdomains are one server to the visitor
        "tile_host": urlsplit(tiles.replace("{s}.", "")).hostname or "",
    }


def _iso(value):
    return value.isoformat() if value else None


def user_data_export(*, user) -> dict:
    """Everything we hold about `user` that is theirs, as one JSON-ready document."""
    from allauth.account.models import EmailAddress

    from mapapp.models import AuditEvent, CityRole
    from proposals.models import (
        AreaAlert,
        CareNotice,
        Follow,
        Proposal,
        Representative,
        Support,
    )
    from sites.models import Site

    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "preferred_language": user.preferred_language,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user)
        ],
        "roles": [
            {"city": r.city.slug, "role": r.role}
            for r in CityRole.objects.filter(user=user).select_related("city")
        ],
        "proposals": [
            {
                "id": p.pk,
                "city": p.city.slug,
                "title": p.title,
                "description": p.description,
                "status": p.status,
                "category": p.category,
                "contact_phone": p.contact_phone,
                "requested_amount": str(p.requested_amount),
                "created_at": _iso(p.created_at),
            }
            for p in Proposal.objects.filter(author=user).select_related("city")
        ],
        "organisations": [
            {
                "organisation": r.organisation.name,
                "registration_number": r.organisation.registration_number,
                "role": r.role,
                "requested_at": _iso(r.requested_at),
                "verified_at": _iso(r.verified_at),
                "refused_at": _iso(r.refused_at),
                "refusal_reason": r.refusal_reason,
            }
            for r in Representative.objects.filter(user=user).select_related("organisation")
        ],
        "supports": [
            {
                "proposal": s.proposal_id,
                "full_name": s.full_name,
                "address": s.address,
                "created_at": _iso(s.created_at),
                "withdrawn_at": _iso(s.withdrawn_at),
                # an officer found it invalid: the person has a right to know, and why
                "struck": s.struck_by_id is not None or bool(s.strike_reason),
                "strike_reason": s.strike_reason,
            }
            for s in Support.objects.filter(user=user)
        ],
        "following": [
            {"proposal": f.proposal_id, "since": _iso(f.created_at)}
            for f in Follow.objects.filter(user=user).order_by("pk")
        ],
        "area_alerts": [
            {
                "city": a.city.slug,
                "district": a.district,
                "place": [a.near.x, a.near.y] if a.near else None,  # lon, lat
                "distance_m": a.radius_m,
                "proposals": a.proposals,
                "sites": a.sites,
                "projects": a.projects,
                "since": _iso(a.created_at),
            }
            for a in AreaAlert.objects.filter(user=user).select_related("city").order_by("pk")
        ],
        "care_notices": [
            {
                "proposal": n.proposal_id,
                "text": n.text,
                "with_photo": bool(n.photo),  # the file itself: on the notice's page
                "sent_at": _iso(n.created_at),
                "answer": n.answer,
                "answered_at": _iso(n.answered_at),
            }
            for n in CareNotice.objects.filter(author=user).order_by("pk")
        ],
        "site_reports": [
            {
                "id": s.pk,
                "city": s.city.slug,
                "name": s.name,
                "description": s.description,
                "reported_at": _iso(s.reported_at),
                "moderation": s.moderation,
            }
            for s in Site.objects.filter(reported_by=user).select_related("city")
        ],
        "activity": [
            {"at": _iso(e.at), "action": e.action, "object": f"{e.object_type}#{e.object_id}"}
            for e in AuditEvent.objects.filter(actor=user).order_by("at")
        ],
    }


def _erase_supports(supports, *, now) -> int:
    """Names and addresses erased; the support stays counted (its identity key keeps it
    unique without the name)."""
    n = 0
    for support in supports.filter(erased_at__isnull=True):
        support.full_name = ERASED
        support.address = ""
        support.identity_key = f"erased:{support.pk}"
        support.strike_reason = ""  # an officer's reason may name the person
        support.erased_at = now
        support.save(
            update_fields=["full_name", "address", "identity_key", "strike_reason", "erased_at"]
        )
        n += 1
    return n


@transaction.atomic
def account_delete(*, user) -> None:
    """The account is closed and its personal data erased. Proposals and site reports stay,
    shown as by "Deleted user"; supports in proposals still gathering support are withdrawn
    (the person no longer vouches for them), all supports lose name and address."""
    from allauth.account.models import EmailAddress
    from rest_framework.authtoken.models import Token

    from mapapp.models import CityRole
    from proposals.models import AreaAlert, CareNotice, Follow, Proposal, Support
    from proposals.services.support import support_withdraw

    now = timezone.now()
    for support in Support.objects.filter(
        user=user,
        withdrawn_at__isnull=True,
        proposal__status=Proposal.Status.COLLECTING_SUPPORT,
    ).select_related("proposal"):
        # a closed support window refuses: the support then stays, anonymised below
        with contextlib.suppress(ValidationError):
            support_withdraw(user=user, proposal=support.proposal)
    _erase_supports(Support.objects.filter(user=user), now=now)
    Proposal.objects.filter(author=user).update(contact_phone="")
    # e-mails still waiting are not sent to a closed account (others still get theirs)
    for item in OutgoingMail.objects.filter(recipients__contains=[user.email]):
        item.recipients = [r for r in item.recipients if r != user.email]
        if item.recipients:
            item.save(update_fields=["recipients"])
        else:
            item.delete()
    EmailAddress.objects.filter(user=user).delete()
    Follow.objects.filter(user=user).delete()
    AreaAlert.objects.filter(user=user).delete()
    # notices to a project's maintainers stay for them, no longer linked to the person
    CareNotice.objects.filter(author=user).update(author=None)
    from mapapp.held_uploads import release_all_of

    release_all_of(user)  # files kept from a refused form
    CityRole.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    # the audit log keeps what was done and by which account, not the person's address: the
    # one change ever made to past audit events
    from mapapp.models import AuditEvent

    AuditEvent.objects.filter(actor=user).update(actor_label=f"deleted user #{user.pk}")
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.first_name, user.last_name = "Deleted", "user"
    user.preferred_language = ""
    user.is_active = False
    user.is_staff = user.is_superuser = False
    # a new password hash ends every other session of the account (Django checks the session's
    # hash of it on each request)
    user.set_unusable_password()
    user.save()
    audit_record(actor=None, action="account.deleted", obj=user)


def call_final_decision(grant_call):
    """When the last proposal of a call was decided, if none is still waiting; else None.
    A closed call with nothing decided (every proposal ineligible, withdrawn or not submitted
    in time) ended at its deadline."""
    from proposals.models import Proposal

    waiting = grant_call.proposals.filter(
        status__in=[
            Proposal.Status.COLLECTING_SUPPORT,
            Proposal.Status.SUBMITTED,
            Proposal.Status.IN_ASSESSMENT,
        ]
    )
    if waiting.exists():
        return None
    return grant_call.proposals.aggregate(m=Max("decided_at"))["m"] or grant_call.closes_at


def apply_retention(*, today: dt.date | None = None, dry_run: bool = False) -> dict:
    """Erase what the retention rules say is due. Returns what was (or would be) erased."""
    from proposals.models import (
        CareNotice,
        Follow,
        GrantCall,
        Proposal,
        SignatureSheet,
        Support,
    )

    now = timezone.now()
    today = today or timezone.localdate()
    days = settings.SUPPORTER_DATA_RETENTION_DAYS
    result = {"supports": 0, "signature_sheets": 0, "consent_documents": 0, "calls": []}
    # rate-limit counters name client addresses; they serve no purpose once their window ends
    ended = RateCount.objects.filter(ends_at__lt=now)
    result["rate_counts"] = ended.count() if dry_run else ended.delete()[0]
    past_calls = []  # decided in full, and the retention time over since
    with transaction.atomic():
        for call in GrantCall.objects.all():
            decided = call_final_decision(call)
            if decided is None or decided.date() + dt.timedelta(days=days) > today:
                continue
            past_calls.append(call.pk)
            supports = Support.objects.filter(proposal__grant_call=call, erased_at__isnull=True)
            sheets = SignatureSheet.objects.filter(proposal__grant_call=call).exclude(file="")
            counted = supports.count(), sheets.count()
            if not any(counted):
                continue
            result["calls"].append(call.pk)
            result["supports"] += counted[0]
            result["signature_sheets"] += counted[1]
            if dry_run:
                continue
            _erase_supports(supports, now=now)
            for sheet in sheets:
                delete_after_commit(sheet.file)
                sheet.file = ""
                sheet.save(update_fields=["file"])
            audit_record(
                actor=None,
                action="retention.supporters_erased",
                obj=call,
                city=call.city,
                after={"supports": counted[0], "signature_sheets": counted[1]},
            )
        # consents and the applicant's phone: after the sustainability period; for a
        # proposal never granted (not granted, ineligible, withdrawn, not submitted in time,
        # a draft never published) the retention time after its decision or its call's last
        ended = _applicant_data_ended(today=today, now=now, days=days, past_calls=past_calls)
        due = Proposal.objects.exclude(consent_document="").filter(ended)
        for proposal in due:
            result["consent_documents"] += 1
            if dry_run:
                continue
            delete_after_commit(proposal.consent_document)
            Proposal.objects.filter(pk=proposal.pk).update(consent_document="")
            audit_record(
                actor=None,
                action="retention.consent_erased",
                obj=proposal,
                city=proposal.city,
            )
        result["contact_phones"] = 0
        for proposal in (
            Proposal.objects.exclude(contact_phone="").filter(ended).select_related("city")
        ):
            result["contact_phones"] += 1
            if dry_run:
                continue
            Proposal.objects.filter(pk=proposal.pk).update(contact_phone="")
            audit_record(actor=None, action="retention.contact_phone_erased", obj=proposal,
                         city=proposal.city)  # fmt: skip
        # residents' notices to a project's maintainers: the same time after its period ends
        # (a grant revoked in it: after the revocation, which ended it)
        cutoff = today - dt.timedelta(days=days)
        revoked = Q(proposal__status=Proposal.Status.REVOKED)
        notices = CareNotice.objects.filter(
            (Q(proposal__sustainability_ends_on__lt=cutoff) & ~revoked)
            | (revoked & Q(proposal__revoked_at__lt=now - dt.timedelta(days=days)))
        )
        result["care_notices"] = 0
        for proposal in Proposal.objects.filter(care_notices__in=notices).distinct():
            erased = notices.filter(proposal=proposal)
            if not dry_run:  # their photos' files go too, once the erasure commits
                delete_after_commit(*(n.photo for n in erased.exclude(photo="")))
            count = erased.count() if dry_run else erased.delete()[0]
            result["care_notices"] += count
            if not dry_run:
                audit_record(
                    actor=None,
                    action="retention.care_notices_erased",
                    obj=proposal,
                    city=proposal.city,
                    after={"notices": count},
                )
        # a follow of a proposal not granted, once the reserve can no longer fund it
        # (proposals.services.grants.reserve_closes_at): nothing more will happen to tell
        follows = Follow.objects.filter(
            proposal__status=Proposal.Status.REJECTED,
            proposal__decided_at__lt=now - dt.timedelta(days=days),
        )
        result["follows"] = follows.count() if dry_run else follows.delete()[0]
        _erase_works_records(result, today=today, dry_run=dry_run)
        _erase_audit_actors(result, today=today, dry_run=dry_run)
        _erase_open311_contacts(result, now=now, days=days, dry_run=dry_run)
    return result


def _erase_open311_contacts(result: dict, *, now, days: int, dry_run: bool) -> None:
    """What an Open311 application sent about the person with a site report (e-mail, name,
    phone, device) serves to tell them what became of it: erased `days` after the report.
    The report, its place and its photo's address stay."""
    from sites.models import Open311Request

    contact = ("email", "first_name", "last_name", "phone", "device_id")
    due = Open311Request.objects.filter(created_at__lt=now - dt.timedelta(days=days)).exclude(
        **dict.fromkeys(contact, "")
    )
    result["open311_contacts"] = 0
    for request in due.select_related("site__city"):
        result["open311_contacts"] += 1
        if dry_run:
            continue
        Open311Request.objects.filter(pk=request.pk).update(**dict.fromkeys(contact, ""))
        site = request.site
        audit_record(actor=None, action="retention.open311_contact_erased", obj=site,
                     city=site.city)  # fmt: skip


def _applicant_data_ended(*, today, now, days: int, past_calls: list[int]) -> Q:
    """The proposals whose applicant's consent document and phone have served their time."""
    from proposals.models import Proposal

    S = Proposal.Status
    granted = [S.GRANTED, S.AGREEMENT_SIGNED, S.IN_PROGRESS, S.COMPLETED, S.SUSTAINABILITY,
               S.CLOSED]  # fmt: skip
    never_granted = [S.REJECTED, S.INELIGIBLE, S.WITHDRAWN]
    cutoff = now - dt.timedelta(days=days)
    return (
        # a grant revoked in its sustainability period: from the revocation (below)
        (Q(sustainability_ends_on__lt=today) & ~Q(status=S.REVOKED))
        | Q(status__in=never_granted, decided_at__lt=cutoff)
        | Q(status=S.REVOKED, revoked_at__lt=cutoff)
        # a grant revoked counts from the revocation, however long ago its call was decided
        | (Q(grant_call__in=past_calls) & ~Q(status__in=[*granted, S.REVOKED]))
    )


def _erase_audit_actors(result: dict, *, today: dt.date, dry_run: bool) -> None:
    """Who did what in the audit log (the account and its e-mail address) of the events
    before the last AUDIT_ACTORS_KEEP_YEARS full calendar years; what was done, when, to what
    and why stay. The erasure is itself an event, with the number erased."""
    years = settings.AUDIT_ACTORS_KEEP_YEARS
    result["audit_actors"] = 0
    if years <= 0:
        return
    due = AuditEvent.objects.filter(at__year__lt=today.year - years).exclude(
        actor__isnull=True, actor_label__in=("system", ERASED)
    )
    result["audit_actors"] = count = due.count()
    if dry_run or not count:
        return
    due.update(actor=None, actor_label=ERASED)
    latest = AuditEvent.objects.filter(actor_label=ERASED).latest("at", "id")
    audit_record(actor=None, action="retention.audit_actors_erased", obj=latest,
                 after={"events": count, "before_year": today.year - years})  # fmt: skip


def _erase_works_records(result: dict, *, today: dt.date, dry_run: bool) -> None:
    """Receipts' files, the signed agreement and maintenance reports' texts of the projects
    whose sustainability period ended before the last WORKS_RECORDS_KEEP_YEARS full calendar
    years (as accounting law counts); the expenses' amounts and dates stay, as the reports'
    periods and dates and the agreement's day and number."""
    from proposals.models import Expense, MaintenanceReport, Proposal

    result["receipts"] = result["maintenance_reports"] = result["agreements"] = 0
    years = settings.WORKS_RECORDS_KEEP_YEARS
    if years <= 0:
        return
    receipts = Expense.objects.exclude(receipt="")
    reports = MaintenanceReport.objects.exclude(text=ERASED)
    # a grant revoked: counted from the revocation (what was paid out is settled then)
    revoked = Q(status=Proposal.Status.REVOKED)
    ended = (Q(sustainability_ends_on__year__lt=today.year - years) & ~revoked) | (
        revoked & Q(revoked_at__year__lt=today.year - years)
    )
    due = Proposal.objects.filter(ended).filter(
        Q(pk__in=receipts.values("proposal"))
        | Q(pk__in=reports.values("proposal"))
        | ~Q(agreement_document="")
    )
    for proposal in due.select_related("city"):
        mine_receipts, mine_reports = (
            receipts.filter(proposal=proposal),
            reports.filter(proposal=proposal),
        )
        counted = {
            "receipts": mine_receipts.count(),
            "maintenance_reports": mine_reports.count(),
            "agreements": 1 if proposal.agreement_document else 0,
        }
        for key, count in counted.items():
            result[key] += count
        if dry_run:
            continue
        delete_after_commit(*(e.receipt for e in mine_receipts), proposal.agreement_document)
        mine_receipts.update(receipt="")
        mine_reports.update(text=ERASED)
        Proposal.objects.filter(pk=proposal.pk).update(agreement_document="")
        audit_record(
            actor=None,
            action="retention.works_records_erased",
            obj=proposal,
            city=proposal.city,
            after=counted,
        )


def expire_records(*, now: dt.datetime | None = None, dry_run: bool = False) -> dict:
    """Records that only pile up: expired sessions (they name who was signed in), the task
    queue's finished records older than TASK_RESULTS_KEEP_DAYS (their arguments and errors),
    and e-mails not sent by then (OutgoingMail: recipients, subject and text). Returns how
    many were (or would be) removed."""
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    out = {"sessions": 0, "task_results": 0, "outgoing_mails": 0}
    if settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        expired = Session.objects.filter(expire_date__lt=now)
        out["sessions"] = expired.count() if dry_run else expired.delete()[0]
    # finished (done or failed), whatever their backend or queue; waiting and running stay
    cutoff = now - dt.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    old = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    out["task_results"] = old.count() if dry_run else old.delete()[0]
    # e-mails given up (their error kept for the operator) or left by a lost task; a sent
    # e-mail's row was deleted when it went
    mails = OutgoingMail.objects.filter(created_at__lt=cutoff)
    out["outgoing_mails"] = mails.count() if dry_run else mails.delete()[0]
    out["unconfirmed_accounts"] = _remove_unconfirmed_accounts(now=now, dry_run=dry_run)
    return out


def _remove_unconfirmed_accounts(*, now, dry_run: bool) -> int:
    """Sign-ups never confirmed UNCONFIRMED_ACCOUNT_DAYS on: never signed in, no role, not
    staff, nothing of theirs (a row that names them keeps the account)."""
    from django.contrib.auth import get_user_model
    from django.db.models import ProtectedError

    from mapapp.models import CityRole

    cutoff = now - dt.timedelta(days=settings.UNCONFIRMED_ACCOUNT_DAYS)
    due = (
        get_user_model()
        .objects.filter(
            date_joined__lt=cutoff,
            last_login__isnull=True,
            is_staff=False,
            is_superuser=False,
            is_active=True,
        )
        .exclude(emailaddress__verified=True)
        .exclude(pk__in=CityRole.objects.values("user"))
    )
    if dry_run:
        return due.count()
    removed = 0
    for user in due:
        try:
            with transaction.atomic():
                user.delete()
        except ProtectedError:  # a proposal of theirs, say: not an unused sign-up
            continue
        removed += 1
    return removed
