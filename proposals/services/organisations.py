"""NGOs apply through representatives the city has verified. A person asks to represent an
organisation (its name and registration number, their role in it); a programme officer of
the city checks it in the public register and verifies the request, or refuses it with a
reason the person is told. Before, only a superuser could do this, in the admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mapapp.audit import audit_record
from mapapp.countries import registration_number as registration_number_of
from mapapp.models import City
from mapapp.tasks import mail, site_link
from proposals import messages as msg
from proposals.access import check_officer, email_confirmed
from proposals.models import Organisation, Representative
from proposals.services.common import refuse


@transaction.atomic
def representation_request(
    *, user, city: City, name: str, registration_number: str, role: str = ""
) -> Representative:
    """Ask to represent an organisation of the city. The organisation is found by its
    registration number (its name is not changed by a request), or recorded as new. The
    number is checked as the city's country's registers write it (mapapp.countries)."""
    name, role = " ".join((name or "").split()), " ".join((role or "").split())
    errors = {}
    if len(name) < 2:
        errors["name"] = [msg.ORG_NAME]
    try:
        number = registration_number_of(city.country, registration_number)
    except ValidationError as error:
        number, errors["registration_number"] = "", error.messages
    if len(number) < 4 and "registration_number" not in errors:
        errors["registration_number"] = [msg.ORG_NUMBER]
    if errors:
        raise ValidationError(errors)
    if not email_confirmed(user):
        refuse(msg.ORG_EMAIL_UNCONFIRMED)
    organisation, _created = Organisation.objects.get_or_create(
        city=city, registration_number=number[:40], defaults={"name": name[:200]}
    )
    existing = (
        Representative.objects.select_for_update()
        .filter(organisation=organisation, user=user)
        .first()
    )
    if existing is not None and existing.verified_at is not None:
        refuse(msg.ORG_ALREADY_VERIFIED)
    if existing is not None and existing.pending:
        refuse(msg.ORG_ALREADY_WAITING)
    request = existing or Representative(organisation=organisation, user=user)
    request.role, request.requested_at = role[:100], timezone.now()
    request.refused_at, request.refusal_reason = None, ""
    request.save()
    audit_record(
        actor=user, action="organisation.request", obj=request, city=city,
        after={"organisation": organisation.name, "number": number, "role": request.role},
    )  # fmt: skip
    return request


@transaction.atomic
def representation_decide(
    *, actor, representative: Representative, verify: bool, reason: str = ""
) -> Representative:
    """Verify a request, or refuse it with a reason; the person is e-mailed either way."""
    request = _locked(representative)
    city = request.organisation.city
    check_officer(actor, city)
    if not request.pending:
        refuse(msg.ORG_NOT_PENDING)
    reason = (reason or "").strip()
    if verify:
        request.verified_at, request.verified_by = timezone.now(), actor
    else:
        if not reason:
            raise ValidationError({"reason": [msg.ORG_REASON_REQUIRED]})
        request.refused_at, request.refusal_reason = timezone.now(), reason[:500]
    request.save()
    audit_record(
        actor=actor,
        action="organisation.verify" if verify else "organisation.refuse",
        obj=request, city=city, note=reason,
        after={"organisation": request.organisation.name, "user": request.user.email},
    )  # fmt: skip
    transaction.on_commit(lambda: _tell(request.pk))
    return request


def _locked(representative: Representative) -> Representative:
    return (
        Representative.objects.select_for_update()
        .select_related("organisation__city", "user")
        .get(pk=representative.pk)
    )


def _tell(representative_id: int) -> None:
    request = Representative.objects.select_related("organisation__city", "user").get(
        pk=representative_id
    )
    city, words = request.organisation.city, {"name": request.organisation.name}
    with translation.override(request.user.language_in(city)):
        if request.verified_at:
            subject = _("You represent “%(name)s”") % words
            body = (
                _(
                    "The city has verified that you represent “%(name)s”. You can now propose "
                    "projects in its name."
                )
                % words
            )
            link = reverse("proposals:start", kwargs={"city": city.slug})
        else:
            subject = _("Your request to represent “%(name)s”") % words
            body = _("The city could not verify that you represent “%(name)s”:") % words
            body += f"\n\n{request.refusal_reason}\n\n"
            body += _("You can ask again with what is missing.")
            link = reverse("proposals:organisation-request", kwargs={"city": city.slug})
        mail(subject, f"{body}\n\n{site_link(link)}", [request.user.email], city=city)


@transaction.atomic
def representation_revoke(*, actor, representative: Representative, reason: str) -> None:
    """A verified representative who no longer acts for the organisation (left its board)
    loses the right to propose in its name. Proposals made before stay as they are, with
    their author. Audited with the reason."""
    request = _locked(representative)
    city = request.organisation.city
    check_officer(actor, city)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [msg.ORG_REASON_REQUIRED]})
    if request.verified_at is None:
        refuse(msg.ORG_NOT_PENDING)
    audit_record(
        actor=actor, action="organisation.revoke", obj=request, city=city, note=reason,
        before={"organisation": request.organisation.name, "user": request.user.email},
    )  # fmt: skip
    request.verified_at, request.verified_by = None, None
    request.refused_at, request.refusal_reason = timezone.now(), reason[:500]
    request.save()
