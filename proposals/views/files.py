"""Private documents, handed out only to those who need them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from mapapp.files import file_response
from proposals import access
from proposals.models import CareNotice, Expense, Proposal, SignatureSheet
from proposals.views.common import load_city


def _send(field, **kwargs):
    response = file_response(field, **kwargs)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def private_file(request, city, pk, kind, file_id=None):
    city_obj = load_city(request, city)
    proposal = get_object_or_404(Proposal, city=city_obj, pk=pk)
    officer = access.is_officer(request.user, city_obj)
    author = proposal.author_id == request.user.pk
    if kind == "consent" and (officer or author):
        return _send(proposal.consent_document)
    if kind == "agreement" and (officer or author):
        return _send(proposal.agreement_document)
    if kind == "receipt" and (officer or author):
        return _send(get_object_or_404(Expense, proposal=proposal, pk=file_id).receipt)
    if kind == "care":  # a resident's photo of the place: the maintainers, the city, theirs
        notice = get_object_or_404(CareNotice, proposal=proposal, pk=file_id)
        if not (officer or author or notice.author_id == request.user.pk):
            raise PermissionDenied
        if not notice.photo:
            raise Http404
        return _send(notice.photo, as_attachment=False)  # shown in the page, re-encoded
    if kind == "sheet" and officer:
        return _send(get_object_or_404(SignatureSheet, proposal=proposal, pk=file_id).file)
    raise PermissionDenied
