"""Public pages: the list of proposals and a proposal's page, and supporting it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from mapapp.navigation import posted_next
from mapapp.paging import list_page
from mapapp.ratelimit import rate_limit
from proposals import access, selectors
from proposals.forms import CareNoticeForm, SupportForm
from proposals.models import GrantCall, Proposal
from proposals.services import care, following, grants
from proposals.services import support as support_services
from proposals.services.drafting import COPYABLE, active_support_count, revision_window_open
from proposals.views.common import apply_errors, load_city, report
from sites.selectors import districts, site_visible_to


@require_GET
def proposal_list(request, city):
    city_obj = load_city(request, city)
    filters = selectors.parse_filters(request.GET, city=city_obj)
    proposals = selectors.public_proposals(city=city_obj, filters=filters).select_related(
        "grant_call"
    )
    listing = list_page(
        request,
        proposals,
        order=("-submitted_at", "-published_at", "-id"),
    )
    return render(
        request,
        "proposals/list.html",
        {
            "city": city_obj,
            "proposals": listing["page"],
            **listing,
            "filters": filters,
            "calls": GrantCall.objects.filter(city=city_obj),
            "statuses": [c for c in Proposal.Status.choices if c[0] in Proposal.PUBLIC_STATUSES],
            "categories": Proposal.Category.choices,
            "districts": districts(city=city_obj),
        },
    )


@require_GET
def call_results_csv(request, city, call_id):
    """The call's results as its page lists them, for a spreadsheet (journalists, the
    council): each project granted with the amount asked and granted, where it stands and
    its page; those withheld by the moderators in one row, counted and summed. Where the
    call publishes the committee's scores, each project's final score and rank too."""
    from django.utils import timezone
    from django.utils.translation import pgettext

    from mapapp.spreadsheets import csv_response

    city_obj = load_city(request, city)
    call = selectors.public_call(city=city_obj, call_id=call_id)
    results = selectors.call_results(grant_calls=[call])[call.pk]
    header = [_("Proposal"), _("Title"), _("Category"), _("Requested"),
              pgettext("an amount", "Granted"), _("Currency"), _("Status"), _("Page")]  # fmt: skip

    def page(p):
        path = reverse("proposals:detail", kwargs={"city": city_obj.slug, "pk": p.pk})
        return request.build_absolute_uri(path)

    rows = [
        [p.pk, p.title, p.get_category_display(), p.requested_amount, p.granted_amount,
         city_obj.currency, p.get_status_display(), page(p)]
        for p in results.granted
    ]  # fmt: skip
    scores = {
        row.proposal.pk: row for row in selectors.published_scores(grant_call=call) if row.proposal
    }
    if scores:  # the call's rules publish them
        header += [_("Score"), _("Rank")]
        for row in rows:
            ranked = scores.get(row[0])
            row += [f"{ranked.score:.2f}", ranked.rank] if ranked else ["", ""]
    if results.withheld_count:
        withheld = ngettext(
            "%(n)s project withheld by the moderators",
            "%(n)s projects withheld by the moderators",
            results.withheld_count,
        ) % {"n": results.withheld_count}
        rows.append(["", withheld, "", "", results.withheld_sum, city_obj.currency, "", ""])
    stamp = timezone.localdate().isoformat()
    name = f"{city_obj.slug}-call-{call.pk}-results-{stamp}.csv"
    return csv_response(header, rows, filename=name)


@require_GET
def proposal_poster(request, city, pk):
    """A poster to print and put up near the place while the proposal gathers support: what
    it is, the call's rule on supporters, and a QR code to its page, where people read it
    and support it. Anyone who may see the proposal may print one (neighbours help)."""
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    page = reverse("proposals:detail", kwargs={"city": city_obj.slug, "pk": proposal.pk})
    return render(
        request,
        "proposals/poster.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "call": proposal.grant_call,
            "support_open": support_services.support_open(proposal),
            "page_url": request.build_absolute_uri(page),
        },
    )


@require_GET
def proposal_detail(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    user = request.user
    is_author = user.is_authenticated and proposal.author_id == user.pk
    my_support = (
        user.is_authenticated
        and proposal.supports.filter(user=user, withdrawn_at__isnull=True).exists()
    )
    support_open = support_services.support_open(proposal)
    return render(
        request,
        "proposals/detail.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "support_count": active_support_count(proposal),
            "budget_lines": proposal.budget_lines.all(),
            "photos": proposal.photos.all(),
            # the listed site it would revitalise, when the viewer may see the site
            "site": proposal.site
            if proposal.site_id and site_visible_to(user=user, site=proposal.site)
            else None,
            "feedback": proposal.feedback.all(),
            "timeline": selectors.status_timeline(proposal=proposal),
            "is_author": is_author,
            "is_officer": access.is_officer(user, city_obj),
            "my_support": my_support,
            "following": following.is_following(user=user, proposal=proposal),
            "can_follow": following.followable(proposal) and not is_author,
            # not granted, while the reserve may still fund it (what following it means then)
            "reserve_until": city_obj.local_date(grants.reserve_closes_at(proposal))
            if proposal.status == Proposal.Status.REJECTED and grants.reserve_open(proposal)
            else None,
            "can_tell": care.can_tell(user=user, proposal=proposal),
            "support_open": support_open,
            "can_support": support_open and not is_author,
            "can_revise": is_author and revision_window_open(proposal),
            # an applicant's proposal that went nowhere can be proposed again in an open call
            "copy_to_calls": list(selectors.open_calls(city=city_obj))
            if is_author and proposal.status in COPYABLE
            else None,
            "map_config": selectors.proposal_map_config(proposal=proposal),
            **_sharing(request, city_obj, proposal, support_open),
        },
    )


def _sharing(request, city, proposal, support_open: bool) -> dict:
    """What the page offers to pass it on, and what a link preview shows: public proposals
    only (an author's draft is not for sharing); the preview's picture is an after photo,
    else a before photo, else none."""
    if proposal.status not in Proposal.PUBLIC_STATUSES or proposal.hidden_at:
        return {"shareable": False}
    photos = {p.kind: p for p in reversed(list(proposal.photos.all()))}  # first of each kind
    picture = photos.get("after") or photos.get("before")
    page = reverse("proposals:detail", kwargs={"city": city.slug, "pk": proposal.pk})
    return {
        "shareable": True,
        "share_url": request.build_absolute_uri(page),
        "share_image": request.build_absolute_uri(picture.image.url) if picture else "",
        "share_hint": _("Supporters come from neighbours who hear of it: send them the link.")
        if support_open
        else "",
    }


@login_required
@rate_limit("support")
def proposal_support(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    form = SupportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            support_services.support_add(
                user=request.user,
                proposal=proposal,
                full_name=form.cleaned_data["full_name"],
                address=form.cleaned_data["address"],
                age_confirmed=form.cleaned_data["age_confirmed"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your support is counted."))
            if form.cleaned_data["follow"]:
                _follow(request, proposal)
            return redirect("proposals:detail", city=city_obj.slug, pk=proposal.pk)
    return render(
        request,
        "proposals/support.html",
        {"city": city_obj, "proposal": proposal, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@rate_limit("care_notice")
def proposal_care(request, city, pk):
    """A resident tells those who look after a project in its sustainability period what
    they found there (services.care); below, what they told before and the answers."""
    from mapapp.held_uploads import held_files, held_uploads, hold_photos, release

    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    form = CareNoticeForm(request.POST or None, request.FILES or None)
    # the photo kept from a try the server refused comes back with this one
    kept = held_uploads(user=request.user, tokens=request.POST.getlist("held"))[:1]
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data["photo"] or next(iter(held_files(kept)), None)
        try:
            care.care_notice_add(
                user=request.user, proposal=proposal, text=form.cleaned_data["text"], photo=photo
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            release(kept)
            messages.success(
                request, _("Sent. You get their answer by e-mail; it is also kept here.")
            )
            return redirect("proposals:care", city=city_obj.slug, pk=proposal.pk)
    if request.method == "POST" and request.FILES.get("photo"):  # refused: kept for next try
        new, _refused = hold_photos(user=request.user, uploads=[request.FILES["photo"]])
        kept = new or kept
    return render(
        request,
        "proposals/care.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "form": form,
            "can_tell": care.can_tell(user=request.user, proposal=proposal),
            "mine": proposal.care_notices.filter(author=request.user),
            "held": kept,
        },
        status=400 if form.errors else 200,
    )


def _follow(request, proposal) -> None:
    try:
        following.follow(user=request.user, proposal=proposal)
    except ValidationError as exc:
        report(request, exc)
    else:
        messages.success(
            request, _("You will get an e-mail when it is submitted, decided and built.")
        )


@login_required
@require_POST
def proposal_follow(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    _follow(request, proposal)
    return redirect("proposals:detail", city=city_obj.slug, pk=proposal.pk)


@login_required
@require_POST
def proposal_unfollow(request, city, pk):
    """Stop following, from the proposal's page or from "my proposals" (back to `next`)."""
    city_obj = load_city(request, city)
    proposal = get_object_or_404(Proposal, city=city_obj, pk=pk)  # also one no longer public
    if following.unfollow(user=request.user, proposal=proposal):
        messages.success(request, _("You no longer get e-mails about it."))
    detail = reverse("proposals:detail", kwargs={"city": city_obj.slug, "pk": proposal.pk})
    return redirect(posted_next(request, detail))


@csrf_exempt  # the signed token is what authorises; mail clients' one-click POST has no CSRF
def stop_emails(request, city, pk, token):
    """The link in a follower's e-mail: stops that person's e-mails about this proposal
    without signing in. A GET only asks (mail scanners open links); the button POSTs, and so
    does a mail client's own "unsubscribe" (RFC 8058 one-click, from List-Unsubscribe)."""
    city_obj = load_city(request, city)
    proposal = get_object_or_404(Proposal, city=city_obj, pk=pk)
    user_id = following.stop_by_token(token=token, proposal_id=proposal.pk)
    if user_id is None:
        return render(
            request, "proposals/stop_emails.html",
            {"city": city_obj, "proposal": proposal, "invalid": True}, status=400,
        )  # fmt: skip
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    stopped = request.method == "POST"
    if stopped:
        following.unfollow(user=user_id, proposal=proposal)
    return render(
        request, "proposals/stop_emails.html",
        {"city": city_obj, "proposal": proposal, "stopped": stopped},
    )  # fmt: skip


@login_required
@require_POST
def proposal_unsupport(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_viewer(user=request.user, city=city_obj, pk=pk)
    try:
        support_services.support_withdraw(user=request.user, proposal=proposal)
        messages.success(request, _("Your support is withdrawn."))
    except ValidationError as exc:
        report(request, exc)
    return redirect("proposals:detail", city=city_obj.slug, pk=proposal.pk)


@require_GET
def call_list(request, city):
    city_obj = load_city(request, city)
    return render(
        request,
        "proposals/calls.html",
        {
            "city": city_obj,
            "groups": selectors.public_calls(city=city_obj),
            "so_far": selectors.public_figures(city=city_obj)[1],
        },
    )


def _calendar_response(request, *, calls, name: str, filename: str) -> HttpResponse:
    from proposals.calendar import calls_calendar, site_host

    body = calls_calendar(
        calls=calls, name=name, host=site_host(request),
        page_of=lambda c: request.build_absolute_uri(
            reverse("proposals:call", kwargs={"city": c.city.slug, "call_id": c.pk})
        ),
    )  # fmt: skip
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def calls_calendar(request, city):
    """Every call's opening and deadline as an iCalendar file to subscribe to."""
    city_obj = load_city(request, city)
    calls = GrantCall.objects.filter(city=city_obj).select_related("city").order_by("opens_at")
    name = _("%(city)s: grant calls") % {"city": city_obj.name}
    return _calendar_response(request, calls=calls, name=name,
                              filename=f"{city_obj.slug}-calls.ics")  # fmt: skip


@require_GET
def call_calendar(request, city, call_id):
    """One call's opening and deadline as an iCalendar file, to add to a calendar."""
    city_obj = load_city(request, city)
    call = selectors.public_call(city=city_obj, call_id=call_id)
    return _calendar_response(request, calls=[call], name=call.display_title,
                              filename=f"{city_obj.slug}-call-{call.pk}.ics")  # fmt: skip


@require_GET
def call_detail(request, city, call_id):
    city_obj = load_city(request, city)
    call = selectors.public_call(city=city_obj, call_id=call_id)
    return render(
        request,
        "proposals/call.html",
        {
            "city": city_obj,
            "call": call,
            "state": selectors.call_state(call),
            "criteria": call.criteria.all(),
            "results": selectors.call_results(grant_calls=[call])[call.pk],
            "scores": selectors.published_scores(grant_call=call),
        },
    )
