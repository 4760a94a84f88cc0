from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone, translation

from mapapp.models import City, CityRole, Role
from mapapp.tasks import mail, site_link
from proposals.selectors import overdue_reports
from proposals.services.delivery import report_reminders_send


class Command(BaseCommand):
    help = (
        "E-mail each city's programme officers the overdue maintenance reports, and remind "
        "applicants of reports due within a week or overdue, each once (run daily)."
    )

    def handle(self, *args, **options):
        for city in City.objects.filter(is_active=True).defer("boundary"):
            with timezone.override(city.time_zone):  # "overdue" by the city's calendar
                overdue = overdue_reports(city=city)
                reminded = report_reminders_send(city=city)
            if reminded:
                self.stdout.write(f"{city.name}: reminded {reminded} applicants")
            if not overdue:
                continue
            officers = list(
                CityRole.objects.filter(city=city, role=Role.PROGRAMME_OFFICER).values_list(
                    "user__email", flat=True
                )
            )
            with translation.override(city.default_language):
                page = "proposals:officer-proposal"
                lines = [
                    f"- {p.title} (#{p.pk}), report {period}: "
                    + site_link(reverse(page, kwargs={"city": city.slug, "pk": p.pk}))
                    for p, period in overdue
                ]
                if officers:
                    mail(
                        f"[{city.name}] {len(overdue)} overdue maintenance reports",
                        "\n".join(lines),
                        officers,
                    )
            self.stdout.write(f"{city.name}: {len(overdue)} overdue, told {len(officers)} officers")
