"""Applicants: start a proposal, edit and autosave it, publish, submit, withdraw, report."""

from decimal import Decimal
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mapapp.amounts import AmountError, parse_amount
from mapapp.navigation import posted_id
from mapapp.ratelimit import rate_limit
from mapapp.selectors import place_search
from proposals import access, selectors
from proposals import messages as msg
from proposals.forms import BUDGET_ROWS, ProposalForm, StartProposalForm, budget_from_post
from proposals.models import CareNotice, Organisation, Photo, Proposal
from proposals.services import alerts, care, delivery, drafting
from proposals.services.delivery import MAX_REPORT_PHOTOS
from proposals.services.drafting import missing_fields, revision_window_open
from proposals.views.common import apply_errors, load_city, posted_date, report


@login_required
@rate_limit("proposal_start")
def proposal_start(request, city):
    city_obj = load_city(request, city)
    calls = selectors.open_calls(city=city_obj)
    organisations = Organisation.objects.filter(
        city=city_obj,
        representatives__user=request.user,
        representatives__verified_at__isnull=False,
    )
    chosen = request.GET.get("call", "")  # from a call's page
    initial = {"grant_call": int(chosen)} if chosen.isdigit() else None
    form = StartProposalForm(request.POST or None, calls=calls, initial=initial)
    if request.method == "POST" and form.is_valid():
        organisation = organisations.filter(pk=form.cleaned_data.get("organisation")).first()
        try:
            proposal = drafting.proposal_create_draft(
                author=request.user,
                grant_call=form.cleaned_data["grant_call"],
                applicant_kind=form.cleaned_data["applicant_kind"],
                organisation=organisation,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("proposals:edit", city=city_obj.slug, pk=proposal.pk)
    return render(
        request,
        "proposals/start.html",
        {"city": city_obj, "form": form, "calls": calls, "organisations": organisations},
        status=400 if form.errors else 200,
    )


@login_required
@rate_limit("proposal_start")
def organisation_request(request, city):
    """Ask to represent an NGO (services.organisations); the page lists one's requests in
    the city and what became of them."""
    from proposals.forms import OrganisationRequestForm
    from proposals.services import organisations

    city_obj = load_city(request, city)
    form = OrganisationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisations.representation_request(
                user=request.user, city=city_obj, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _("Your request is sent. The city checks it and e-mails you.")
            )
            return redirect("proposals:organisation-request", city=city_obj.slug)
    return render(
        request,
        "proposals/organisation_request.html",
        {
            "city": city_obj,
            "form": form,
            "requests": selectors.representations_of(user=request.user, city=city_obj),
        },
        status=400 if form.errors else 200,
    )


def _posted_geojson(text):
    """The drawing the user sent, to draw it again after a refusal (nothing is lost)."""
    import json

    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _stored_location(proposal) -> dict:
    """The stored location as the hidden inputs' initial GeoJSON: saving the form without
    touching the map keeps it."""
    import json

    stored = selectors.proposal_map_config(proposal=proposal)
    if stored["area"]:
        return {"area": json.dumps(stored["area"])}
    if stored["point"]:
        return {"geom": json.dumps(stored["point"])}
    return {}


def _editor_context(request, city, proposal, form, budget=None):
    lines = (
        budget if budget is not None else [(b.item, b.amount) for b in proposal.budget_lines.all()]
    )
    rows = list(lines) + [("", "")] * max(BUDGET_ROWS - len(lines), 2)
    stored = selectors.proposal_map_config(proposal=proposal)
    if request.method == "POST":
        stored["point"] = _posted_geojson(request.POST.get("geom"))
        stored["area"] = _posted_geojson(request.POST.get("area"))
    editable = proposal.status in (Proposal.Status.DRAFT, Proposal.Status.COLLECTING_SUPPORT)
    editor_url = reverse("proposals:edit", kwargs={"city": city.slug, "pk": proposal.pk})
    return {
        "city": city,
        "proposal": proposal,
        "form": form,
        "budget_rows": rows,
        "missing": missing_fields(proposal),
        "editor_config": {
            **stored,
            "bounds": _bounds(city),
            "boundaryUrl": reverse("api:city-boundary", kwargs={"city": city.slug}),
            "places": place_search(city),  # "find a place", when the city's layers name some
            "autosaveUrl": reverse(
                "proposals:autosave", kwargs={"city": city.slug, "pk": proposal.pk}
            )
            if editable
            else None,
            # what is already proposed near the place, to support instead of duplicating
            "nearby": {
                "url": reverse("api:proposals", kwargs={"city": city.slug}),
                "exclude": proposal.pk,
                "page": reverse("proposals:detail", kwargs={"city": city.slug, "pk": 0}),
                "label": "title",
                "heading": _(
                    "Already proposed near this place (support it, or say how yours differs):"
                ),
            },  # fmt: skip
            "messages": {
                "saved": _("Draft saved."),
                "notSaved": _("Not saved:"),
                "offline": _("Could not reach the server; your changes are still in this page."),
            },
            # what is typed stays in the tab until the server has it (keep_typed.js)
            "keep": {
                "loginUrl": f"{reverse('account_login')}?next={quote(editor_url)}",
                "messages": {
                    "signedOut": _(
                        "Not saved: you are signed out. What you typed stays in this tab, and "
                        "is offered back once you sign in again here."
                    ),
                    "signIn": _("Sign in"),
                    "expired": _(
                        "Not saved: this page has expired (you signed in or out in another "
                        "tab). Reload it: what you typed stays in this tab and is offered back."
                    ),
                },
            },
        },
        "revising": proposal.status == Proposal.Status.IN_ASSESSMENT,
        # revising after feedback: what the committee said, newest first, beside the form
        "feedback": list(proposal.feedback.order_by("-round_number"))
        if proposal.status == Proposal.Status.IN_ASSESSMENT
        else [],
    }


def _bounds(city):
    from mapapp.selectors import city_extent

    west, south, east, north = city_extent(city=city)
    return [[south, west], [north, east]]


def _save(request, proposal, form):
    point, area = form.location_geojson()
    site = form.cleaned_data.get("site")
    if site is not None and not point and not area:
        point = site.geom.geojson  # placed at the site (the keyboard way to pick a place)
    return drafting.proposal_save(
        actor=request.user,
        proposal=proposal,
        site=site,
        fields={k: form.cleaned_data.get(k) for k in drafting.EDITABLE_FIELDS},
        budget_lines=budget_from_post(request.POST),
        point_geojson=point if point is not None else "",
        area_geojson=area if area is not None else "",
        consent_document=request.FILES.get("consent_document"),  # only a new upload
    )


@login_required
@rate_limit("proposal_write")
def proposal_edit(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_applicant(user=request.user, city=city_obj, pk=pk)
    editable = proposal.status in (Proposal.Status.DRAFT, Proposal.Status.COLLECTING_SUPPORT)
    if not editable and not revision_window_open(proposal):
        messages.info(request, _("This proposal cannot be changed now."))
        return redirect("proposals:detail", city=city_obj.slug, pk=proposal.pk)
    form = ProposalForm(
        request.POST or None,
        request.FILES or None,
        instance=proposal,
        initial=_stored_location(proposal),
    )
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "save")
        try:
            proposal = _save(request, proposal, form)
            if action == "publish":
                drafting.proposal_publish(actor=request.user, proposal=proposal)
                messages.success(
                    request, _("Your proposal is public: ask your neighbours to support it.")
                )
            elif action == "submit":
                drafting.proposal_submit(actor=request.user, proposal=proposal)
                messages.success(request, _("Your proposal is submitted."))
            else:
                messages.success(request, _("Saved."))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if action in ("publish", "submit") or proposal.status == Proposal.Status.IN_ASSESSMENT:
                return redirect("proposals:detail", city=city_obj.slug, pk=proposal.pk)
            return redirect("proposals:edit", city=city_obj.slug, pk=proposal.pk)
    budget = budget_from_post(request.POST) if request.method == "POST" else None
    proposal.refresh_from_db()
    return render(
        request,
        "proposals/edit.html",
        _editor_context(request, city_obj, proposal, form, budget),
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
@rate_limit("proposal_write")
def proposal_autosave(request, city, pk):
    """Background save of a draft from the editor (fetch, same form fields)."""
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_applicant(user=request.user, city=city_obj, pk=pk)
    if proposal.status not in (Proposal.Status.DRAFT, Proposal.Status.COLLECTING_SUPPORT):
        return JsonResponse(
            {"saved": False, "errors": {"__all__": [_("Not a draft.")]}}, status=400
        )
    form = ProposalForm(request.POST, instance=proposal)
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    try:
        _save(request, proposal, form)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return JsonResponse({"saved": False, "errors": errors}, status=400)
    return JsonResponse({"saved": True, "at": timezone.now().isoformat()})


@login_required
@require_POST
def proposal_withdraw(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_applicant(user=request.user, city=city_obj, pk=pk)
    try:
        drafting.proposal_withdraw(
            actor=request.user, proposal=proposal, note=request.POST.get("note", "")
        )
        messages.success(request, _("The proposal is withdrawn."))
    except ValidationError as exc:
        report(request, exc)
    return redirect("proposals:detail", city=city_obj.slug, pk=proposal.pk)


@login_required
@require_POST
def proposal_copy(request, city, pk):
    """The applicant proposes an earlier proposal again in an open call: a new draft."""
    city_obj = load_city(request, city)
    source = access.proposal_get_for_applicant(user=request.user, city=city_obj, pk=pk)
    call = selectors.open_calls(city=city_obj).filter(pk=posted_id(request, "grant_call")).first()
    try:
        if call is None:
            raise ValidationError(_("Choose a call that is open."))
        copy = drafting.proposal_copy(author=request.user, source=source, grant_call=call)
    except ValidationError as exc:
        report(request, exc)
        return redirect("proposals:detail", city=city_obj.slug, pk=source.pk)
    messages.success(request, _("A new draft in this call, from your earlier proposal."))
    return redirect("proposals:edit", city=city_obj.slug, pk=copy.pk)


@login_required
def my_proposals(request):
    return render(
        request,
        "proposals/mine.html",
        {
            "proposals": [
                (p, selectors.next_step(proposal=p))
                for p in selectors.proposals_of(user=request.user)
            ],
            "follows": selectors.follows_of(user=request.user),
            "alerts": alerts.alerts_of(user=request.user),
        },
    )


def _decimal(value):
    try:
        return parse_amount(value)
    except AmountError as error:
        raise ValidationError(error.message) from None


def _whole(value, message):
    try:
        return int(str(value or "").strip())
    except ValueError:
        raise ValidationError(message) from None


def _back(request, city, proposal) -> str:
    """Where a form on another page (the editor's photo form) wants to return to."""
    from mapapp.navigation import posted_next

    return posted_next(
        request, reverse("proposals:progress", kwargs={"city": city.slug, "pk": proposal.pk})
    )


# the works page's "Remove" buttons: action -> (the proposal's rows, the service, its
# argument); the row's id comes in `item`
REMOVABLE = {
    "milestone_remove": ("milestones", delivery.milestone_remove, "milestone"),
    "expense_remove": ("expenses", delivery.expense_remove, "expense"),
    "work_day_remove": ("work_days", delivery.work_day_remove, "work_day"),
    "photo_remove": ("photos", delivery.photo_remove, "photo"),
}


@login_required
@rate_limit("upload")
def proposal_progress(request, city, pk):
    """The applicant's page for the works and the sustainability period."""
    from mapapp.held_uploads import held_files, held_uploads, hold_documents, hold_photos, release

    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_applicant(user=request.user, city=city_obj, pk=pk)
    again, status = None, 200  # a refused form: shown again with what was typed and chosen
    # a receipt or photo kept from a try the server refused (mapapp.held_uploads)
    held = {
        name: held_uploads(user=request.user, tokens=request.POST.getlist(f"held_{name}"))[:most]
        for name, most in (("receipt", 1), ("image", 1), ("report_photo", MAX_REPORT_PHOTOS))
    }
    if request.method == "POST":
        action = request.POST.get("action")
        post, user = request.POST, request.user
        files = {name: request.FILES.get(name) or next(iter(held_files(held[name])), None)
                 for name in ("receipt", "image")}  # fmt: skip
        try:
            if action == "start":
                delivery.works_start(actor=user, proposal=proposal)
            elif action == "milestone":
                delivery.milestone_add(
                    actor=user,
                    proposal=proposal,
                    title=post.get("title", ""),
                    due_on=posted_date(post.get("due_on")),
                )
            elif action == "milestone_done":
                milestone = get_object_or_404(
                    proposal.milestones, pk=posted_id(request, "milestone")
                )
                delivery.milestone_done(
                    actor=user, milestone=milestone, done_on=timezone.localdate()
                )
            elif action == "milestone_undone":
                milestone = get_object_or_404(
                    proposal.milestones, pk=posted_id(request, "milestone")
                )
                delivery.milestone_undone(actor=user, milestone=milestone)
            elif action in REMOVABLE:
                related, remove, argument = REMOVABLE[action]
                item = get_object_or_404(getattr(proposal, related), pk=posted_id(request, "item"))
                remove(actor=user, **{argument: item})
            elif action == "expense":
                if not files["receipt"]:
                    raise ValidationError(_("Attach the receipt."))
                delivery.expense_add(
                    actor=user,
                    proposal=proposal,
                    description=post.get("description", ""),
                    amount=_decimal(post.get("amount")),
                    spent_on=posted_date(post.get("spent_on")),
                    receipt=files["receipt"],
                )
            elif action == "work_day":
                delivery.work_day_add(
                    actor=user,
                    proposal=proposal,
                    day=posted_date(post.get("date")),
                    people=_whole(
                        post.get("people"),
                        msg.WORK_DAY_PEOPLE % {"most": delivery.WORK_DAY_MOST_PEOPLE},
                    ),
                    hours=_decimal(post.get("hours")),
                )
            elif action == "photo":
                if not files["image"]:
                    raise ValidationError(_("Choose a photo."))
                pair = proposal.photos.filter(pk=posted_id(request, "pair_of")).first()
                delivery.photo_add(
                    actor=user,
                    proposal=proposal,
                    kind=post.get("kind", ""),
                    upload=files["image"],
                    caption=post.get("caption", ""),
                    pair_of=pair,
                )
            elif action == "care_answer":
                notice = get_object_or_404(proposal.care_notices, pk=posted_id(request, "item"))
                care.care_notice_answer(actor=user, notice=notice, answer=post.get("answer", ""))
            elif action == "care_abuse":
                notice = get_object_or_404(proposal.care_notices, pk=posted_id(request, "item"))
                care.care_notice_report_abuse(actor=user, notice=notice)
            elif action == "complete":
                delivery.completion_report(actor=user, proposal=proposal, note=post.get("note", ""))
            elif action == "maintenance":
                delivery.maintenance_report_file(
                    actor=user,
                    proposal=proposal,
                    text=post.get("text", ""),
                    photos=request.FILES.getlist("report_photo") + held_files(held["report_photo"]),
                )
            else:
                raise ValidationError(_("Unknown action."))
        except (ValidationError, KeyError) as exc:
            report(request, exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
            if post.get("next"):  # a form on another page (the editor's photo): back to it
                return redirect(_back(request, city_obj, proposal))
            # this page's form again, with what was typed, and the file chosen kept
            again, status = {"action": action, "post": post}, 400
            if request.FILES.get("receipt"):
                new, _refused = hold_documents(user=user, uploads=[request.FILES["receipt"]])
                held["receipt"] = new or held["receipt"]
            if request.FILES.get("image"):
                new, _refused = hold_photos(user=user, uploads=[request.FILES["image"]])
                held["image"] = new or held["image"]
            chosen = request.FILES.getlist("report_photo")
            if chosen:  # kept with those kept before
                new, _refused = hold_photos(user=user, uploads=chosen)
                held["report_photo"] = (held["report_photo"] + new)[:MAX_REPORT_PHOTOS]
        else:
            release(held["receipt"] + held["image"] + held["report_photo"])  # stored, or not needed
            if action in REMOVABLE:
                done = _("Removed.")
            elif action == "care_answer":
                done = _("Sent: the resident gets your answer by e-mail.")
            else:
                done = _("Saved.")
            messages.success(request, done)
            return redirect(_back(request, city_obj, proposal))
    schedule = selectors.maintenance_schedule(proposal=proposal)
    return render(
        request,
        "proposals/progress.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "milestones": proposal.milestones.all(),
            "expenses": proposal.expenses.all(),
            "spent": sum((e.amount for e in proposal.expenses.all()), Decimal("0")),
            "agreed_on": city_obj.local_date(proposal.agreement_signed_at)
            if proposal.agreement_signed_at
            else None,
            "work_days": proposal.work_days.all(),
            "photos": proposal.photos.filter(report=None),  # a report's, under it
            "before_photos": proposal.photos.filter(kind=Photo.Kind.BEFORE),
            "schedule": schedule,
            "next_report": selectors.next_report(schedule),
            "max_report_photos": MAX_REPORT_PHOTOS,
            "photo_kinds": delivery.photo_kinds(proposal),
            "removable_kinds": [kind for kind, _label in delivery.photo_kinds(proposal)],
            "today": timezone.localdate(),  # the city's (mapapp.middleware.CityTimeZone)
            "most_people": delivery.WORK_DAY_MOST_PEOPLE,
            "care_notices": proposal.care_notices.all(),
            "care_text_max": CareNotice.TEXT_MAX,
            # what a refused form held, under its action: {"expense": the POST}
            "typed": {again["action"]: again["post"]} if again else {},
            "held": held,
        },
        status=status,
    )


SHEET_ROWS = 20  # the call's minimum is 15 in most calls; room for a few that do not count


@login_required
def proposal_sheet(request, city, pk):
    """A signature sheet to print, for neighbours who support the proposal on paper: the
    proposal, the call's rule on age, one row per supporter with the fields the online form
    asks, and whom their data goes to and for how long. The applicant hands it to the city,
    whose officers enter it (services.support). For the applicant and the city's officers,
    while support is open."""
    from mapapp.selectors import city_information
    from proposals.services.support import support_open

    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    if proposal.author_id != request.user.pk and not access.is_officer(request.user, city_obj):
        access.check_applicant(request.user, proposal)  # refused, with the usual message
    page = reverse("proposals:detail", kwargs={"city": city_obj.slug, "pk": proposal.pk})
    return render(
        request,
        "proposals/sheet.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "call": proposal.grant_call,
            "info": city_information(city=city_obj),
            "support_open": support_open(proposal),
            "rows": range(1, SHEET_ROWS + 1),
            "page_url": request.build_absolute_uri(page),
            "privacy_url": request.build_absolute_uri(
                reverse("city-privacy", kwargs={"city": city_obj.slug})
            ),
            "retention_days": settings.SUPPORTER_DATA_RETENTION_DAYS,
        },
    )
