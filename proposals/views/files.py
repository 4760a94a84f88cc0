"""Private documents, handed out only to those who need them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from mapapp.files import file_response
from proposals import access
from proposals.models import Expense, Proposal, SignatureSheet
from proposals.views.common import load_city


def _send(field):
    response = file_response(field)
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
    if kind == "receipt" and (officer or author):
        return _send(get_object_or_404(Expense, proposal=proposal, pk=file_id).receipt)
    if kind == "sheet" and officer:
        return _send(get_object_or_404(SignatureSheet, proposal=proposal, pk=file_id).file)
    raise PermissionDenied
