"""Completed projects of residents (no organisation) stored "The residents who proposed it"
translated into the language of whoever accepted the completion, and every reader saw that
language. The field is now blank for them and the page says it in the reader's language."""

from django.db import migrations

STORED = [
    "The residents who proposed it",
    "Mieszkańcy, którzy go zaproponowali",
    "Obyvatelé, kteří ho navrhli",
]


def blank(apps, schema_editor):
    Intervention = apps.get_model("sites", "Intervention")
    Intervention.objects.filter(
        proposal__isnull=False, proposal__organisation__isnull=True, maintainer__in=STORED
    ).update(maintainer="")


class Migration(migrations.Migration):
    dependencies = [
        ("sites", "0003_flags"),
        ("proposals", "0008_report_reminders"),
    ]

    operations = [migrations.RunPython(blank, migrations.RunPython.noop)]
