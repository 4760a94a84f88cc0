"""Background work of the grant calls (run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def expire_call(call_id: int) -> int:
    """At a call's deadline: its proposals still gathering support expire (see
    drafting.expire_unsubmitted). Queued for the deadline by calls.schedule_expiry; a task
    left from an earlier deadline that was moved later finds nothing due and does nothing.
    The daily job catches whatever a stopped worker missed."""
    from proposals.models import GrantCall
    from proposals.services.drafting import expire_unsubmitted

    call = GrantCall.objects.filter(pk=call_id).first()
    return 0 if call is None else expire_unsubmitted(grant_call=call)


@task()
def tell_followers(proposal_id: int, status: str) -> int:
    """A proposal reached a milestone: its followers' e-mails are written in the background,
    however many they are (services.following.notify_followers)."""
    from proposals.services.following import notify_followers

    return notify_followers(proposal_id, status)


@task()
def tell_area_alerts(kind: str, object_id: int) -> int:
    """A proposal was published or a neglected site accepted: e-mail those who asked for news
    of its area (services.alerts.tell_area_alerts)."""
    from proposals.services.alerts import tell_area_alerts as tell

    return tell(kind, object_id)


@task()
def tell_grants(call_id: int) -> int:
    """A call's grants decided in a sitting: e-mail those who asked for projects in their
    area, one e-mail a person (services.alerts.tell_grants)."""
    from proposals.services.alerts import tell_grants as tell

    return tell(call_id)
