"""Demo data: the two pilot cities from real boundaries, and one account per role."""

from pathlib import Path

from mapapp.geo import read_boundary_file
from mapapp.models import City, Role
from mapapp.services import city_save, user_ensure_demo

DATA_DIR = Path(__file__).resolve().parent / "data"

DEMO_CITIES = [
    {
        "slug": "koszalin",
        "name": "Koszalin",
        "file": "koszalin_city_boundary_prg_3mb.geojson",
        "metric_srid": 2180,
        "default_language": "pl",
        "currency": "PLN",
        "time_zone": "Europe/Warsaw",
    },
    {
        "slug": "ostrava",
        "name": "Ostrava",
        "file": "ostrava_city_boundary_ruian_topo.geojson",
        "metric_srid": 5514,
        "default_language": "cs",
        "currency": "CZK",
        "time_zone": "Europe/Prague",
    },
]

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - development demo accounts only
DEMO_USERS = [
    ("resident@example.org", Role.RESIDENT),
    ("ngo@example.org", Role.NGO_REPRESENTATIVE),
    ("committee@example.org", Role.COMMITTEE_MEMBER),
    ("officer@example.org", Role.PROGRAMME_OFFICER),
    ("planner@example.org", Role.PLANNER),
    ("gis@example.org", Role.GIS_STAFF),
]
DEMO_ADMIN = "admin@example.org"


def load_demo_cities() -> list[City]:
    cities = []
    for spec in DEMO_CITIES:
        existing = City.objects.filter(slug=spec["slug"]).first()
        if existing is not None:
            # idempotent, and never overwrite what an administrator changed since
            cities.append(existing)
            continue
        city, _ = city_save(
            slug=spec["slug"],
            name=spec["name"],
            boundary=read_boundary_file(DATA_DIR / spec["file"]),
            metric_srid=spec["metric_srid"],
            default_language=spec["default_language"],
            currency=spec["currency"],
            time_zone=spec["time_zone"],
        )
        cities.append(city)
    return cities


def load_demo_users(cities: list[City]) -> list[tuple[str, str]]:
    """Returns (email, role label) for every demo account."""
    logins = []
    for email, role in DEMO_USERS:
        user_ensure_demo(email=email, password=DEMO_PASSWORD, roles=[(c, role) for c in cities])
        logins.append((email, str(role.label)))
    user_ensure_demo(email=DEMO_ADMIN, password=DEMO_PASSWORD, roles=[], superuser=True)
    logins.append((DEMO_ADMIN, "superuser"))
    return logins
