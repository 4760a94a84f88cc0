"""Programme officers: calls, formal checks, rounds, feedback, decisions, delivery."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from mapapp.collation import collated
from mapapp.filters import query_without, text_query
from mapapp.held_uploads import held_files, held_uploads, hold_documents, release
from mapapp.models import Role, User
from mapapp.navigation import posted_id, posted_ids
from mapapp.selectors import city_information
from mapapp.spreadsheets import csv_response
from proposals import access, selectors
from proposals.forms import (
    CriteriaFormSet,
    CriteriaNamesFormSet,
    GrantCallEditForm,
    GrantCallForm,
    criteria_initial,
)
from proposals.models import CareNotice, GrantCall, Proposal, SignatureSheet, Support
from proposals.services import assessment, calls, care, delivery, drafting, grants, support
from proposals.views.common import apply_errors, load_city, posted_date, report

OFFICER_PAGE_SIZE = 100  # rows of the call's table: a call may have hundreds


def _officer_city(request, city):
    city_obj = load_city(request, city)
    access.check_officer(request.user, city_obj)
    return city_obj


@login_required
def officer_home(request, city):
    city_obj = _officer_city(request, city)
    call_rows = GrantCall.objects.filter(city=city_obj).annotate(
        proposal_count=Count("proposals", filter=~Q(proposals__status="draft"))
    )
    return render(
        request,
        "proposals/officer.html",
        {
            "city": city_obj,
            "calls": call_rows,
            "overdue": selectors.overdue_reports(city=city_obj),
            "in_care": selectors.sustainability_overview(city=city_obj),
            "waiting": selectors.officer_waiting(city=city_obj),
            "information_missing": city_information(city=city_obj).missing(),
        },
    )


@login_required
def officer_call_new(request, city):
    """A new call; "start from an earlier call" (a GET of `copy_from`) fills the form in with
    that call's rules, description and committee, which the officer changes where they
    differ: what the form then sends is the new call's, and the earlier call's criteria
    come with it."""
    city_obj = _officer_city(request, city)
    earlier = GrantCall.objects.filter(city=city_obj).order_by("-opens_at", "-pk")
    source = None
    if request.method == "GET" and request.GET.get("copy_from", "").isdecimal():
        source = get_object_or_404(earlier, pk=request.GET["copy_from"])
    initial = GrantCallForm.initial_from(source) if source else None
    form = GrantCallForm(request.POST or None, city=city_obj, initial=initial)
    members = _committee_candidates(city_obj)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = data.get("copy_from")
        try:
            # the call and its committee together, or neither (a refused committee
            # left a call behind)
            with transaction.atomic():
                options = {f: data[f] for f in calls.CALL_FIELDS if f in data}
                options["description"] = form.descriptions()
                if source:  # as typed, with the earlier call's criteria
                    call = calls.grant_call_copy(
                        actor=request.user,
                        source=source,
                        title=form.titles(),
                        opens_at=data["opens_at"],
                        closes_at=data["closes_at"],
                        **options,
                    )
                else:
                    call = calls.grant_call_create(
                        actor=request.user,
                        city=city_obj,
                        title=form.titles(),
                        opens_at=data["opens_at"],
                        closes_at=data["closes_at"],
                        **options,
                    )
                chosen = members.filter(pk__in=posted_ids(request, "committee"))
                if chosen or source:  # the members ticked, even none of the copy's
                    calls.grant_call_set_committee(
                        actor=request.user, grant_call=call, members=chosen
                    )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The call is created."))
            return redirect("proposals:officer-call", city=city_obj.slug, call_id=call.pk)
    if request.method == "POST":  # refused: the form again, still filled in from its call
        source = getattr(form, "cleaned_data", {}).get("copy_from")
    return render(
        request,
        "proposals/officer_call_new.html",
        {
            "city": city_obj,
            "form": form,
            "members": members,
            "chosen": set(request.POST.getlist("committee"))
            if request.method == "POST"
            else {str(m.pk) for m in source.committee.all()}
            if source
            else set(),
            "earlier": earlier,
            "source": source,
            "start_criteria": selectors.city_criteria(city=city_obj),  # unless started from a call
        },  # fmt: skip
        status=400 if form.errors else 200,
    )


@login_required
def officer_call(request, city, call_id):
    city_obj = _officer_city(request, city)
    call = get_object_or_404(GrantCall, city=city_obj, pk=call_id)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "round_open":
                assessment.round_open(actor=request.user, grant_call=call)
            elif action == "round_close":
                assessment.round_close(actor=request.user, grant_call=call)
            elif action == "committee":
                chosen = _committee_candidates(city_obj).filter(
                    pk__in=posted_ids(request, "committee")
                )
                calls.grant_call_set_committee(actor=request.user, grant_call=call, members=chosen)
            elif action == "decision_record":
                calls.grant_call_decision_record(
                    actor=request.user,
                    grant_call=call,
                    reference=request.POST.get("decision_reference", ""),
                    url=request.POST.get("decision_url", ""),
                )
        except ValidationError as exc:
            report(request, exc)
            if action in ("decision_record", "committee"):  # shown again as it was sent
                return _officer_call_page(request, city_obj, call, request.POST, http_status=400)
        return redirect("proposals:officer-call", city=city_obj.slug, call_id=call.pk)
    return _officer_call_page(request, city_obj, call, {}, http_status=200)


def _officer_call_page(request, city_obj, call, posted, *, http_status):
    # what the table shows: one status and/or search words (a call may have hundreds)
    status, q = request.GET.get("status", ""), text_query(request.GET)
    shown, counts = selectors.call_proposals(grant_call=call, status=status, q=q)
    page = Paginator(shown, OFFICER_PAGE_SIZE).get_page(request.GET.get("page"))
    scores = selectors.weighted_scores(grant_call=call, round_number=call.current_round)
    ranking = selectors.ranking(grant_call=call) if call.assessment_finished else None
    granted_total = grants.granted_total(call)
    return render(
        request,
        "proposals/officer_call.html",
        {
            "city": city_obj,
            "call": call,
            "rows": [(p, scores.get(p.pk)) for p in page],
            "page": page,
            "page_query": query_without(request.GET, "page"),
            "total": sum(counts.values()),
            "status_counts": [
                (value, label, counts[value])
                for value, label in Proposal.Status.choices
                if value in counts
            ],
            "status": status if status in counts else "",
            "q": q,
            "ranking": ranking,
            "granted_total": granted_total,
            # money a grant revoked or withdrawn left, and who is next in line for it
            "reserve": selectors.reserve_next(ranked=ranking or []),
            "remaining_budget": call.total_budget - granted_total,
            "committee": list(call.committee.all()),
            "progress": selectors.round_progress(grant_call=call),
            # before the next round opens: whose applicants got no feedback to revise by
            "feedback_missing": list(
                selectors.feedback_due(
                    proposals=call.proposals.select_related("grant_call")
                ).order_by(collated("title"), "pk")
            ),
            "candidates": _committee_candidates(city_obj),
            # the members ticked in a refused save, ticked again
            "chosen": set(posted.getlist("committee"))
            if posted and posted.get("action") == "committee"
            else None,
            "posted": posted,
        },
        status=http_status,
    )


@login_required
def officer_call_criteria(request, city, call_id):
    """The call's assessment criteria and their weights until the call opens; after that
    their names only (services.calls.criteria_set), the page saying why."""
    city_obj = _officer_city(request, city)
    call = get_object_or_404(GrantCall, city=city_obj, pk=call_id)
    locked = not call.rules_open
    formset = (CriteriaNamesFormSet if locked else CriteriaFormSet)(
        request.POST or None,
        initial=criteria_initial(call.criteria.all()),
        prefix="criteria",
        form_kwargs={"names_only": locked},
    )
    refused = []  # the service's reasons, which concern the criteria together
    if request.method == "POST" and formset.is_valid():
        try:
            calls.criteria_set(actor=request.user, grant_call=call, criteria=formset.rows())
        except ValidationError as exc:
            refused = exc.messages
        else:
            messages.success(request, _("The assessment criteria are saved."))
            return redirect("proposals:officer-call", city=city_obj.slug, call_id=call.pk)
    return _criteria_page(request, city_obj, formset, refused, call=call, locked=locked)


@login_required
def officer_criteria(request, city):
    """The city's own assessment criteria, which its new calls start with unless started
    from an earlier call (services.calls.city_criteria_set); the built-in ones until set,
    and again after "go back to the built-in criteria"."""
    city_obj = _officer_city(request, city)
    formset = CriteriaFormSet(
        request.POST or None,
        initial=criteria_initial(selectors.city_criteria(city=city_obj)),
        prefix="criteria",
    )
    refused = []
    builtin = request.POST.get("action") == "builtin"  # None: back to the built-in ones
    if request.method == "POST" and (builtin or formset.is_valid()):
        try:
            calls.city_criteria_set(actor=request.user, city=city_obj,
                                    criteria=None if builtin else formset.rows())  # fmt: skip
        except ValidationError as exc:
            refused = exc.messages
        else:
            messages.success(request, _("The criteria for the city's new calls are saved."))
            return redirect("proposals:officer-criteria", city=city_obj.slug)
    return _criteria_page(request, city_obj, formset, refused,
                          own=city_obj.call_criteria.exists())  # fmt: skip


def _criteria_page(request, city_obj, formset, refused: list, **page):
    """The criteria form, a call's (`call`, `locked`) or the city's (`own`); a POST that
    gets here was refused: by the formset, or by the service (`refused`, its reasons)."""
    return render(
        request,
        "proposals/officer_call_criteria.html",
        {"city": city_obj, "formset": formset, "refused": refused,
         "name_languages": settings.LANGUAGES, **page},
        status=400 if request.method == "POST" else 200,
    )  # fmt: skip


@login_required
def officer_call_edit(request, city, call_id):
    """Correct a call's texts in every language, extend its deadline, or change its rules
    before it opens (services.calls.grant_call_update says what each phase allows)."""
    city_obj = _officer_city(request, city)
    call = get_object_or_404(GrantCall, city=city_obj, pk=call_id)
    form = GrantCallEditForm(request.POST or None, instance=call)
    if request.method == "POST" and form.is_valid():
        try:
            calls.grant_call_update(
                actor=request.user, grant_call=call, title=form.titles(),
                description=form.descriptions(), **form.changes(),
            )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The call is saved."))
            return redirect("proposals:officer-call", city=city_obj.slug, call_id=call.pk)
    return render(
        request,
        "proposals/officer_call_edit.html",
        {"city": city_obj, "call": GrantCall.objects.get(pk=call.pk), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def officer_organisations(request, city):
    """Requests to represent an NGO: verify each against the public register, or refuse it
    with a reason; the verified representatives below."""
    from mapapp.countries import preset
    from proposals.models import Representative
    from proposals.services import organisations

    city_obj = _officer_city(request, city)
    if request.method == "POST":
        item = get_object_or_404(
            Representative, organisation__city=city_obj, pk=posted_id(request, "request")
        )
        action, reason = request.POST.get("action"), request.POST.get("reason", "")
        try:
            if action == "revoke":
                organisations.representation_revoke(
                    actor=request.user, representative=item, reason=reason
                )
            else:
                organisations.representation_decide(
                    actor=request.user, representative=item, verify=action == "verify",
                    reason=reason,
                )  # fmt: skip
            messages.success(request, _("Done."))
        except ValidationError as exc:
            report(request, exc)
        return redirect("proposals:officer-organisations", city=city_obj.slug)
    return render(
        request,
        "proposals/officer_organisations.html",
        {
            "city": city_obj,
            "pending": selectors.pending_representations(city=city_obj),
            "verified": selectors.verified_representations(city=city_obj),
            "register": preset(city_obj.country),
        },
    )


def _committee_candidates(city):
    """The city's committee members, the only people a call's committee may hold."""
    return User.objects.filter(
        city_roles__city=city, city_roles__role=Role.COMMITTEE_MEMBER
    ).order_by("email")


@login_required
@require_GET
def officer_call_csv(request, city, call_id):
    """The call's proposals as a spreadsheet for the city's decision: no applicant's contact
    details, only what the decision needs."""
    city_obj = _officer_city(request, city)
    call = get_object_or_404(GrantCall, city=city_obj, pk=call_id)
    header = [
        "#", _("Proposal"), _("Title"), _("Category"), _("Applicant"), _("Organisation"),
        _("Status"), _("Supporters"), _("Requested"), _("Weighted score"), _("Recommended"),
        pgettext("an amount", "Granted"),
    ]  # fmt: skip
    rows = (
        [
            rank or "",
            p.pk,
            p.title,
            p.get_category_display(),
            p.get_applicant_kind_display(),
            p.organisation.name if p.organisation else "",
            p.get_status_display(),
            p.support_count,
            p.requested_amount,
            "" if score is None else round(score, 2),
            "✓" if recommended else "",
            p.granted_amount or "",
        ]  # fmt: skip
        for p, score, rank, recommended in selectors.call_table(grant_call=call)
    )
    stamp = timezone.localdate().isoformat()
    return csv_response(header, rows, filename=f"{city_obj.slug}-call-{call.pk}-{stamp}.csv")


@login_required
@require_GET
def officer_call_expenses_csv(request, city, call_id):
    """The expenses the call's projects recorded, for settling the grants: each with its
    project, what the grant was, and a link to its receipt (shown to officers only); the
    project's status now, and the day its grant was revoked, if it was."""
    city_obj = _officer_city(request, city)
    call = get_object_or_404(GrantCall, city=city_obj, pk=call_id)
    header = [
        _("Proposal"), _("Title"), pgettext("an amount", "Granted"), _("Decided"),
        _("Agreement"), _("Agreement number"), _("Date"), _("Expense"), _("Amount"),
        _("Currency"), _("Receipt"), _("Status"), _("Revoked on"),
    ]  # fmt: skip

    def day(moment):  # by the city's clock: costs before it stand out
        return city_obj.local_date(moment).isoformat() if moment else ""

    def receipt(e):
        kwargs = {"city": city_obj.slug, "pk": e.proposal_id, "file_id": e.pk}
        return request.build_absolute_uri(reverse("proposals:file-receipt", kwargs=kwargs))

    rows = (
        [
            e.proposal_id,
            e.proposal.title,
            e.proposal.granted_amount or "",
            day(e.proposal.decided_at),
            day(e.proposal.agreement_signed_at),
            e.proposal.agreement_reference,
            e.spent_on.isoformat(),
            e.description,
            e.amount,
            city_obj.currency,
            receipt(e) if e.receipt else _("Receipt erased (retention)"),
            # a project withdrawn or its grant revoked: its costs are settled apart
            e.proposal.get_status_display(),
            day(e.proposal.revoked_at),
        ]
        for e in selectors.call_expenses(grant_call=call)
    )
    name = f"{city_obj.slug}-call-{call.pk}-expenses-{timezone.localdate().isoformat()}.csv"
    return csv_response(header, rows, filename=name)


@login_required
def officer_proposal(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_officer(user=request.user, city=city_obj, pk=pk)
    # the agreement's copy kept from a try the server refused (mapapp.held_uploads)
    held = held_uploads(user=request.user, tokens=request.POST.getlist("held_agreement"))[:1]
    if request.method == "POST":
        action, post, user = request.POST.get("action"), request.POST, request.user
        try:
            if action == "eligible":
                assessment.proposal_formal_check(actor=user, proposal=proposal, eligible=True)
            elif action == "ineligible":
                assessment.proposal_formal_check(
                    actor=user, proposal=proposal, eligible=False, reason=post.get("reason", "")
                )
            elif action == "reopen_check":
                assessment.proposal_formal_check_reopen(
                    actor=user, proposal=proposal, reason=post.get("reopen_reason", "")
                )
            elif action == "feedback":
                assessment.feedback_release(
                    actor=user, proposal=proposal, text=post.get("text", ""), seen=post.get("seen")
                )
            elif action == "feedback_draft":
                draft = assessment.feedback_draft_save(
                    actor=user, proposal=proposal, text=post.get("text", ""), seen=post.get("seen")
                )
                messages.success(request, _("Draft saved.") if draft else _("Draft discarded."))
                return redirect("proposals:officer-proposal", city=city_obj.slug, pk=proposal.pk)
            elif action in ("grant", "reject"):
                grants.proposal_decide(
                    actor=user,
                    proposal=proposal,
                    granted=action == "grant",
                    amount=post.get("amount") if action == "grant" else None,
                    note=post.get("note", ""),
                    decided_on=posted_date(post.get("decided_on"), optional=True),
                )
            elif action == "decision_correct":
                grants.decision_correct(
                    actor=user,
                    proposal=proposal,
                    decided_on=posted_date(post.get("corrected_on")),
                    reason=post.get("decision_reason", ""),
                )
            elif action == "revocation_correct":
                grants.revocation_correct(
                    actor=user,
                    proposal=proposal,
                    revoked_on=posted_date(post.get("revocation_corrected_on")),
                    reason=post.get("revocation_reason_corrected", ""),
                )
            elif action == "revoke":
                grants.grant_revoke(
                    actor=user,
                    proposal=proposal,
                    reason=post.get("revoke_reason", ""),
                    revoked_on=posted_date(post.get("revoked_on"), optional=True),
                )
            elif action == "grant_correct":
                grants.grant_correct(
                    actor=user,
                    proposal=proposal,
                    amount=post.get("correct_amount"),
                    reason=post.get("correct_reason", ""),
                )
            elif action in ("agreement", "agreement_correct"):
                first = action == "agreement"
                (delivery.agreement_sign if first else delivery.agreement_correct)(
                    actor=user,
                    proposal=proposal,
                    signed_on=posted_date(post.get("signed_on"), optional=True),
                    reference=post.get("reference", ""),
                    document=request.FILES.get("agreement_document")
                    or next(iter(held_files(held)), None),
                )
                release(held)
            elif action == "accept_completion":
                delivery.completion_accept(actor=user, proposal=proposal)
            elif action == "close":
                delivery.proposal_close(actor=user, proposal=proposal)
            elif action == "sheet":
                if "file" not in request.FILES:
                    raise ValidationError(_("Choose the scanned sheet."))
                support.signature_sheet_upload(
                    actor=user, proposal=proposal, file=request.FILES["file"]
                )
            elif action == "strike":
                item = get_object_or_404(
                    Support, proposal=proposal, pk=posted_id(request, "support")
                )
                support.support_strike(
                    actor=user, support=item, reason=post.get("strike_reason", "")
                )
            elif action == "care_answer":  # for an applicant who does not answer
                notice = get_object_or_404(proposal.care_notices, pk=posted_id(request, "item"))
                care.care_notice_answer(actor=user, notice=notice, answer=post.get("answer", ""))
            elif action == "care_keep":
                notice = get_object_or_404(proposal.care_notices, pk=posted_id(request, "item"))
                care.care_notice_keep(actor=user, notice=notice)
            elif action == "care_remove":
                notice = get_object_or_404(proposal.care_notices, pk=posted_id(request, "item"))
                care.care_notice_remove(actor=user, notice=notice, reason=post.get("reason", ""))
            elif action == "restore":
                item = get_object_or_404(
                    Support, proposal=proposal, pk=posted_id(request, "support")
                )
                support.support_restore(actor=user, support=item)
            elif action == "paper_supporter":
                sheet = get_object_or_404(
                    SignatureSheet, proposal=proposal, pk=posted_id(request, "sheet")
                )
                support.support_add_paper(
                    actor=user,
                    sheet=sheet,
                    full_name=post.get("full_name", ""),
                    address=post.get("address", ""),
                    age_confirmed=post.get("age_confirmed") == "on",
                )
            elif action == "feedback_compose":  # the committee's comments, in the box
                typed = post.get("text", "")
                posted = {"text": selectors.feedback_from_comments(proposal=proposal, typed=typed)}
                return _officer_proposal_page(request, city_obj, proposal, posted, status=200)
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            report(request, exc)
            # shown again with what was typed (a reason, feedback, a note): nothing is lost
            posted = request.POST
            proposal = access.proposal_get_for_officer(user=request.user, city=city_obj, pk=pk)
            if request.FILES.get("agreement_document"):
                new, _refused = hold_documents(
                    user=user, uploads=[request.FILES["agreement_document"]]
                )
                held = new or held
        else:
            messages.success(request, _("Done."))
            return redirect("proposals:officer-proposal", city=city_obj.slug, pk=proposal.pk)
    else:
        posted = {}
    return _officer_proposal_page(request, city_obj, proposal, posted,
                                  status=400 if posted else 200, held=held)  # fmt: skip


def _officer_proposal_page(request, city_obj, proposal, posted, *, status, held=()):
    call = proposal.grant_call
    can_correct_decision = (
        proposal.status in grants.DECISION_CORRECTABLE and proposal.decided_at is not None
    )
    call_closed_on = city_obj.local_date(max(filter(None, (call.closes_at, call.round_closed_at))))
    rounds = [
        (
            n,
            selectors.score_summary(proposal=proposal, round_number=n),
            selectors.round_comments(proposal=proposal, round_number=n),
        )
        for n in range(1, call.current_round + 1)
    ]
    return render(
        request,
        "proposals/officer_proposal.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "call": call,
            # refused, or composed: what is in the box stays in it
            "box": selectors.feedback_box(proposal=proposal, typed=posted.get("text")),
            # for an NGO's proposal: is its author (still) the verified representative?
            "representation": proposal.organisation.representatives.filter(
                user=proposal.author_id
            ).first()
            if proposal.organisation_id
            else None,
            "supports": proposal.supports.select_related("struck_by").order_by("created_at"),
            "supports_counted": drafting.active_support_count(proposal),
            "can_strike": proposal.status in support.STRIKABLE,
            "sheets": proposal.sheets.all(),
            "rounds": rounds,
            "feedback": proposal.feedback.all(),
            "budget_lines": proposal.budget_lines.all(),
            "expenses": proposal.expenses.all(),
            "spent": sum((e.amount for e in proposal.expenses.all()), Decimal("0")),
            # costs dated before the grant was decided: many programmes do not pay them
            "decided_on": city_obj.local_date(proposal.decided_at) if proposal.decided_at else None,
            "agreed_on": city_obj.local_date(proposal.agreement_signed_at)
            if proposal.agreement_signed_at
            else None,
            "today": city_obj.local_date(),
            # the first day a decision may be dated: the call closed, the last round closed
            "call_closed_on": call_closed_on,
            # the last round's feedback: released after the decision too (services.assessment)
            "feedback_after_decision": call.assessment_finished
            and proposal.status in (Proposal.Status.GRANTED, Proposal.Status.REJECTED),
            # a day typed wrong, the number, a better scan: while the works are on
            "can_correct_agreement": proposal.status
            in (Proposal.Status.AGREEMENT_SIGNED, Proposal.Status.IN_PROGRESS),
            "remaining_budget": call.total_budget - grants.granted_total(call),
            # a proposal not granted, while it can still take money left in the budget
            "reserve_open": proposal.status == Proposal.Status.REJECTED
            and call.assessment_finished
            and grants.reserve_open(proposal),
            "can_revoke": proposal.status in grants.REVOCABLE,
            "can_correct_decision": can_correct_decision,
            # a correction's first day: that, and for a grant from the reserve its rejection's
            "correct_from": max(call_closed_on, city_obj.local_date(decided_before))
            if can_correct_decision and (decided_before := grants.decided_before(proposal))
            else call_closed_on,
            "revoked_on": city_obj.local_date(proposal.revoked_at) if proposal.revoked_at else None,
            "revoke_reason_max": grants.REVOKE_REASON_MAX,
            "conflicts": proposal.conflicts.select_related("member"),
            # the works and the sustainability period, as the applicant reports them
            "works": selectors.project_works(proposal=proposal),
            "care_notices": proposal.care_notices.select_related("author", "open311_client"),
            "care_text_max": CareNotice.TEXT_MAX,
            "completion_note": selectors.completion_note(proposal=proposal)
            if proposal.status == Proposal.Status.COMPLETED
            else "",
            "posted": posted,
            "held_agreement": held,
        },
        status=status,
    )


@login_required
def officer_figures(request, city):
    """The programme in figures, call by call and in total: what the city reports to its
    council and partners. `?format=csv` for a spreadsheet."""
    city_obj = _officer_city(request, city)
    rows, totals = selectors.programme_figures(city=city_obj)
    if request.GET.get("format") == "csv":
        header = [
            _("Call"), _("Opens"), _("Closes"), _("Budget"), _("Proposals published"),
            pgettext("programme figures: proposals", "Submitted"), _("Supporters"),
            _("Passed the formal check"),
            _("Projects granted"), pgettext("an amount", "Granted"), _("Spent"),
            _("Projects built"), _("Volunteer hours"), _("Area of granted projects (m²)"),
        ]  # fmt: skip

        def line(row, title, opens="", closes=""):
            return [title, opens, closes, row.budget, row.published, row.submitted,
                    row.supporters, row.assessed, row.granted, row.granted_sum, row.spent,
                    row.completed, row.volunteer_hours, round(row.area_m2)]  # fmt: skip

        lines = [
            line(
                r,
                r.call.display_title,
                timezone.localdate(r.call.opens_at).isoformat(),
                timezone.localdate(r.call.closes_at).isoformat(),
            )  # the page's time zone
            for r in rows
        ]
        lines.append(line(totals, _("All calls")))
        stamp = timezone.localdate().isoformat()
        return csv_response(header, lines, filename=f"{city_obj.slug}-programme-{stamp}.csv")
    return render(
        request,
        "proposals/officer_figures.html",
        {"city": city_obj, "rows": rows, "totals": totals},
    )


@login_required
def officer_audit(request, city):
    """The city's audit log: who did what, when, with the values before and after."""
    from mapapp.models import AuditEvent

    city_obj = _officer_city(request, city)
    events = AuditEvent.objects.filter(city=city_obj).select_related("actor")
    action = request.GET.get("action", "").strip()[:64]
    target = request.GET.get("object", "").strip()[:80]
    if action:
        events = events.filter(action__startswith=action)
    if "#" in target:
        kind, _sep, pk = target.partition("#")
        events = events.filter(object_type__iexact=kind, object_id=pk)
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "proposals/officer_audit.html",
        {"city": city_obj, "page": page, "action": action, "object": target},
    )
