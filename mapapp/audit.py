"""The one audit helper: every state change worth answering for is written through it."""

from __future__ import annotations

from typing import Any

from django.db import models

from mapapp.models import AuditEvent, City


def audit_record(
    *,
    actor: Any | None,
    action: str,
    obj: models.Model,
    city: City | None = None,
    before: dict | None = None,
    after: dict | None = None,
    note: str = "",
) -> AuditEvent:
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "system",
        city=city,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        before=before,
        after=after,
        note=note,
    )
