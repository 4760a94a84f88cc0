"""Organisations' numbers in the form their country's registers write them
(mapapp.countries.registration_number), so that a new request finds the organisation an
earlier one recorded ("KRS 0000 123 456" was stored as KRS0000123456, "123456" as 123456).
A number the rules refuse, or whose form another organisation of the city already has,
is left as it is: the officers see both and the register decides."""

from django.core.exceptions import ValidationError
from django.db import migrations


def canonical(apps, schema_editor):
    from mapapp.countries import registration_number

    Organisation = apps.get_model("proposals", "Organisation")
    rows = Organisation.objects.exclude(city__country="").select_related("city")
    for organisation in rows.order_by("pk"):
        try:
            number = registration_number(
                organisation.city.country, organisation.registration_number
            )
        except ValidationError:
            continue
        taken = Organisation.objects.filter(
            city_id=organisation.city_id, registration_number=number
        )
        if number != organisation.registration_number and not taken.exists():
            organisation.registration_number = number
            organisation.save(update_fields=["registration_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("mapapp", "0015_flag_objection"),
        ("proposals", "0017_area_alerts"),
    ]

    operations = [migrations.RunPython(canonical, migrations.RunPython.noop)]
