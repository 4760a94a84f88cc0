"""Who may do what: fetch-and-authorise helpers. Services and views call these; templates
only show what these already allowed."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from mapapp.models import City, CityRole, Role
from proposals import messages as msg
from proposals.models import GrantCall, Proposal


def has_role(user, city: City, *roles: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return CityRole.objects.filter(user=user, city=city, role__in=roles).exists()


def email_confirmed(user) -> bool:
    """Whether the account's own address is confirmed: what supporting, following and asking
    to represent an organisation need, so that nobody acts, or is written to, in the name of
    an address they do not hold."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def is_officer(user, city: City) -> bool:
    return has_role(user, city, Role.PROGRAMME_OFFICER)


def check_officer(user, city: City) -> None:
    if not is_officer(user, city):
        raise PermissionDenied(msg.NOT_ALLOWED)


def is_committee_member(user, grant_call: GrantCall) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and grant_call.committee.filter(pk=user.pk).exists()
        and has_role(user, grant_call.city, Role.COMMITTEE_MEMBER)
    )


def check_committee_member(user, grant_call: GrantCall) -> None:
    if not is_committee_member(user, grant_call):
        raise PermissionDenied(msg.NOT_ON_COMMITTEE)


def check_applicant(user, proposal: Proposal) -> None:
    if not getattr(user, "is_authenticated", False) or proposal.author_id != user.pk:
        raise PermissionDenied(msg.NOT_ALLOWED)


def can_view_proposal(user, proposal: Proposal) -> bool:
    if proposal.is_public and proposal.hidden_at is None:
        return True
    if getattr(user, "is_authenticated", False) and proposal.author_id == user.pk:
        return True
    return is_officer(user, proposal.city)


def proposal_get_for_viewer(*, user, city: City, pk: int) -> Proposal:
    """A proposal this user may see; private drafts of others are a 404, not a 403."""
    proposal = (
        Proposal.objects.select_related("city", "grant_call", "grant_call__city", "organisation")
        .filter(city=city, pk=pk)
        .first()
    )
    if proposal is None or not can_view_proposal(user, proposal):
        raise Http404
    return proposal


def proposal_get_for_applicant(*, user, city: City, pk: int, lock: bool = False) -> Proposal:
    qs = Proposal.objects.select_related("city", "grant_call")
    if lock:
        qs = qs.select_for_update(of=("self",))
    proposal = qs.filter(city=city, pk=pk).first()
    if proposal is None:
        raise Http404
    check_applicant(user, proposal)
    return proposal


def proposal_get_for_committee(*, user, city: City, pk: int) -> Proposal:
    proposal = (
        Proposal.objects.select_related("city", "grant_call").filter(city=city, pk=pk).first()
    )
    if proposal is None:
        raise Http404
    check_committee_member(user, proposal.grant_call)
    return proposal


def proposal_get_for_officer(*, user, city: City, pk: int) -> Proposal:
    check_officer(user, city)
    proposal = (
        Proposal.objects.select_related("city", "grant_call").filter(city=city, pk=pk).first()
    )
    if proposal is None:
        raise Http404
    return proposal
