"""Committee members: their calls, and scoring one proposal per round."""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from proposals import access, selectors
from proposals.models import Score
from proposals.services import assessment
from proposals.views.common import load_city, report
from sites.selectors import site_visible_to

# a call's place in the member's work (GrantCall.assessment_stage): a round to score first
_STAGES = ("round_open", "between_rounds", "before_rounds", "finished")


@login_required
def committee_home(request, city):
    city_obj = load_city(request, city)
    calls = request.user.committee_calls.filter(city=city_obj).order_by("-opens_at", "-pk")
    if not access.has_role(request.user, city_obj, "committee_member") or not calls.exists():
        raise PermissionDenied
    rows = []
    for call in calls:
        scored = set(
            Score.objects.filter(
                member=request.user, round_number=call.current_round, proposal__grant_call=call
            ).values_list("proposal_id", flat=True)
        )
        proposals = [
            (p, p.pk in scored)
            for p in selectors.proposals_for_committee(member=request.user, grant_call=call)
        ]
        done = sum(was_scored for _p, was_scored in proposals)
        stage = call.assessment_stage
        rows.append({"call": call, "proposals": proposals, "done": done, "stage": stage})
    rows.sort(key=lambda row: _STAGES.index(row["stage"]))  # stable: the latest call first
    current = [row for row in rows if row["stage"] != "finished"]
    past = [row for row in rows if row["stage"] == "finished"]
    return render(
        request, "proposals/committee.html", {"city": city_obj, "current": current, "past": past}
    )


def _next_sheet(request, city, call):
    """On to the next proposal still to score this round, as members work through the
    list; the list once none is left."""
    following = selectors.next_to_score(member=request.user, grant_call=call)
    if following is None:
        if call.round_open:
            messages.info(request, _("You have scored every proposal of this round."))
        return redirect("proposals:committee", city=city.slug)
    messages.info(request, _("Next to score: “%(title)s”.") % {"title": following.title})
    return redirect("proposals:committee-score", city=city.slug, pk=following.pk)


@login_required
def committee_score(request, city, pk):
    city_obj = load_city(request, city)
    proposal = access.proposal_get_for_committee(user=request.user, city=city_obj, pk=pk)
    call = proposal.grant_call
    conflicted = assessment.has_conflict(member=request.user, proposal=proposal)
    criteria = list(call.criteria.all())
    posted = None  # what the member sent, shown again when it is refused: nothing is lost
    if request.method == "POST":
        try:
            if request.POST.get("action") == "conflict":
                assessment.conflict_declare(
                    member=request.user, proposal=proposal, reason=request.POST.get("reason", "")
                )
                messages.info(
                    request, _("Conflict of interest recorded; you will not assess this proposal.")
                )
                return _next_sheet(request, city_obj, call)
            scores = {}
            for criterion in criteria:
                raw = request.POST.get(f"score_{criterion.pk}", "")
                if not raw.isdigit():
                    raise ValidationError(_("Score every criterion from 0 to 5."))
                scores[criterion.pk] = (int(raw), request.POST.get(f"comment_{criterion.pk}", ""))
            assessment.scores_save(member=request.user, proposal=proposal, scores=scores)
        except ValidationError as exc:
            report(request, exc)
            posted = {
                c.pk: SimpleNamespace(
                    value=int(raw) if (raw := request.POST.get(f"score_{c.pk}", "")).isdigit()
                    else None,
                    comment=request.POST.get(f"comment_{c.pk}", ""),
                )
                for c in criteria
            }  # fmt: skip
        else:
            messages.success(request, _("Scores saved."))
            return _next_sheet(request, city_obj, call)
    mine = {
        s.criterion_id: s
        for s in Score.objects.filter(
            proposal=proposal, member=request.user, round_number=call.current_round
        )
    }
    # the member's own scores and comments of the round before, beside this round's form
    before = {
        s.criterion_id: s
        for s in Score.objects.filter(
            proposal=proposal, member=request.user, round_number=call.current_round - 1
        )
    }
    versions = list(proposal.versions.order_by("number"))
    diff = (
        selectors.version_diff(older=versions[-2], newer=versions[-1])
        if len(versions) > 1
        else None
    )
    return render(
        request,
        "proposals/committee_score.html",
        {
            "city": city_obj,
            "proposal": proposal,
            "call": call,
            "conflicted": conflicted,
            "criteria": [(c, (posted or mine).get(c.pk), before.get(c.pk)) for c in criteria],
            "budget_lines": proposal.budget_lines.all(),
            "photos": proposal.photos.all(),  # the place before the works, as the public sees
            "site": proposal.site
            if proposal.site_id and site_visible_to(user=request.user, site=proposal.site)
            else None,
            "diff": diff,
            "versions": versions,
            "feedback": proposal.feedback.all(),
            "map_config": selectors.proposal_map_config(proposal=proposal),
            "score_range": range(6),
            "conflict_reason": request.POST.get("reason", "") if request.method == "POST" else "",
        },
        status=400 if request.method == "POST" else 200,  # a send that got here was refused
    )
