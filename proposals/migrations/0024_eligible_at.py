"""When a proposal passed the formal check, so that the programme's figures count it as
assessed even after a withdrawal. Existing proposals take the time from the audit trail
(the check's "proposal.in_assessment" event); one whose status says it passed but has no
such event (data loaded without the services) takes its submission time."""

from django.db import migrations, models

FROM_AUDIT = """
UPDATE proposals_proposal AS p SET eligible_at = e.at
FROM (
    SELECT object_id, min(at) AS at FROM mapapp_auditevent
    WHERE action = 'proposal.in_assessment' AND object_type = 'proposals.proposal'
    GROUP BY object_id
) AS e
WHERE e.object_id = p.id::text
"""

FROM_STATUS = """
UPDATE proposals_proposal SET eligible_at = coalesce(submitted_at, decided_at, updated_at)
WHERE eligible_at IS NULL AND status IN (
    'in_assessment', 'rejected', 'granted', 'agreement_signed', 'in_progress', 'completed',
    'sustainability', 'closed'
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("proposals", "0023_deadline_reminders"),
        ("mapapp", "0001_initial"),  # AuditEvent
    ]

    operations = [
        migrations.AddField(
            model_name="proposal",
            name="eligible_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(FROM_AUDIT, migrations.RunSQL.noop),
        migrations.RunSQL(FROM_STATUS, migrations.RunSQL.noop),
    ]
