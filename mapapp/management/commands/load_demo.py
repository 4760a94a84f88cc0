from django.conf import settings
from django.core.management.base import BaseCommand

from mapapp.demo import DEMO_PASSWORD, load_demo_cities, load_demo_users


class Command(BaseCommand):
    help = (
        "Load the demo cities (Koszalin, Ostrava) and, in development, one account per "
        "role. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-users", action="store_true", help="cities only, no demo accounts")

    def handle(self, *args, **opts):
        cities = load_demo_cities()
        self.stdout.write(f"Demo cities: {', '.join(c.name for c in cities)}")
        from geodata.demo import load_demo_layers
        from sites.demo import load_demo_sites

        for city in cities:
            load_demo_sites(city)
            load_demo_layers(city)
        if opts["no_users"]:
            return
        if not settings.DEBUG:
            self.stdout.write("Demo accounts are created in development only (DEBUG on); skipped.")
            return
        logins = load_demo_users(cities)
        from django.test.utils import override_settings

        from proposals.demo import load_demo_programme

        # The demo walks proposals through every state; do not print an e-mail for each step.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for city in cities:
                if load_demo_programme(city):
                    self.stdout.write(f"Demo grant calls and proposals for {city.name}")
        self.stdout.write("Demo accounts (development only), password: " + DEMO_PASSWORD)
        for email, role in logins:
            self.stdout.write(f"  {email:<24} {role}")
