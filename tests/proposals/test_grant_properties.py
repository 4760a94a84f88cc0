"""Property-based test (hypothesis) of the call's money: whatever the officers and applicants
do in whatever order (decide, grant from the reserve, correct an amount, revoke, withdraw),
the grants never exceed the budget, each stays within what was asked and the cap, a revoked
or withdrawn grant counts for nothing, and a refused step changes nothing."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proposals.models import GrantCall, Proposal
from proposals.selectors import ranking
from proposals.services import drafting, grants
from tests.proposals.test_grants import assessed  # noqa: F401 - a fixture

S = Proposal.Status
STEP = st.tuples(
    st.sampled_from(["grant", "grant", "reject", "revoke", "withdraw", "correct"]),
    st.integers(min_value=0, max_value=3),  # which of the four proposals
    # an amount, in % of what it asked: mostly all of it, so that the budget is tested
    st.one_of(st.just(100), st.just(100), st.integers(min_value=1, max_value=120)),
)


def snapshot(call):
    return sorted(call.proposals.values_list("pk", "status", "granted_amount"))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=12))
def test_the_budget_holds_whatever_is_done_in_whatever_order(
    assessed,  # noqa: F811
    officer,
    resident,
    steps,
):
    call = GrantCall.objects.get(pk=assessed[0].grant_call_id)
    with transaction.atomic():  # each example from the same four assessed proposals
        for action, which, percent in steps:
            proposal = Proposal.objects.get(pk=assessed[which].pk)
            amount = (proposal.requested_amount * percent / 100).quantize(Decimal("1"))
            before = snapshot(call)
            try:
                with transaction.atomic():
                    if action in ("grant", "reject"):
                        granted = action == "grant"
                        grants.proposal_decide(actor=officer, proposal=proposal,
                                               granted=granted, amount=amount)  # fmt: skip
                    elif action == "revoke":
                        grants.grant_revoke(actor=officer, proposal=proposal, reason="Test")
                    elif action == "withdraw":
                        drafting.proposal_withdraw(actor=resident, proposal=proposal)
                    else:
                        grants.grant_correct(actor=officer, proposal=proposal, amount=amount,
                                             reason="Typo")  # fmt: skip
            except ValidationError as exc:
                assert exc.messages and all(m.strip() for m in exc.messages)
                assert snapshot(call) == before, (action, which, percent)  # nothing changed
            counted = [p for p in call.proposals.all() if p.status in grants.GRANTED_STATES]
            total = grants.granted_total(call)
            assert total == sum((p.granted_amount for p in counted), Decimal("0"))
            assert total <= call.total_budget
            for p in counted:
                assert 0 < p.granted_amount <= min(p.requested_amount, call.project_cap)
            for p in call.proposals.filter(status=S.REVOKED):
                assert p.revoked_at and p.revocation_reason == "Test"
            assert not any(
                r.recommended for r in ranking(grant_call=call) if r.proposal.status == S.REVOKED
            )
        transaction.set_rollback(True)
