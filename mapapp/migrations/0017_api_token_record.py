"""The token reminder's row becomes the token's record: when its holder was reminded, and
when it was last used."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("mapapp", "0016_api_token_reminder"),
    ]

    operations = [
        migrations.RenameModel("ApiTokenReminder", "ApiTokenRecord"),
        migrations.RenameField("apitokenrecord", "sent_at", "reminded_at"),
        migrations.AlterField(
            model_name="apitokenrecord",
            name="reminded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitokenrecord",
            name="last_used_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="apitokenrecord",
            name="token",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="record",
                serialize=False,
                to="authtoken.token",
            ),
        ),
    ]
