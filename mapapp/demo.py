"""Demo data: the two pilot cities from real boundaries, and one account per role."""

from pathlib import Path

from mapapp.geo import read_boundary_file
from mapapp.models import City, CityInformation, Role
from mapapp.services import (
    city_information_from_country,
    city_information_update,
    city_save,
    user_ensure_demo,
)

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
        "country": "PL",  # the national bodies come from mapapp.countries
        # the city hall's public address; the e-mails are the demo's
        "information": {
            "operator": {"pl": "Urząd Miejski w Koszalinie", "en": "Koszalin City Hall"},
            "introduction": {
                "pl": "Tworzymy przestrzeń to program Koszalina, w którym mieszkańcy i "
                "organizacje dostają małe dotacje na własne projekty w przestrzeni publicznej: "
                "ogrody społeczne, place zabaw, ławki i miejsca spotkań.",
                "en": "We Create Space is Koszalin's programme of small grants for residents' "
                "and organisations' own projects in public space: community gardens, "
                "playgrounds, benches and places to meet.",
            },
            "postal_address": "Rynek Staromiejski 6-7\n75-007 Koszalin",
            "contact_email": "tworzymy.przestrzen@example.org",
            "dpo_contact": "iod@example.org",
        },
    },
    {
        "slug": "ostrava",
        "name": "Ostrava",
        "file": "ostrava_city_boundary_ruian_topo.geojson",
        "metric_srid": 5514,
        "default_language": "cs",
        "currency": "CZK",
        "time_zone": "Europe/Prague",
        "country": "CZ",
        "information": {
            "operator": {"cs": "Magistrát města Ostravy", "en": "Ostrava City Hall"},
            "introduction": {
                "cs": "Tvoříme prostor je program města Ostravy, ve kterém obyvatelé a spolky "
                "dostávají malé granty na vlastní projekty ve veřejném prostoru: komunitní "
                "zahrady, hřiště, lavičky a místa k setkávání.",
                "en": "We Create Space is Ostrava's programme of small grants for residents' "
                "and organisations' own projects in public space: community gardens, "
                "playgrounds, benches and places to meet.",
            },
            "postal_address": "Prokešovo náměstí 1803/8\n729 30 Ostrava",
            "contact_email": "tvorimeprostor@example.org",
            "dpo_contact": "poverenec@example.org",
        },
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
            if not existing.country:  # a database from before cities had one
                existing.country = spec["country"]
                existing.save(update_fields=["country"])
                city_information_from_country(actor=None, city=existing)
            cities.append(existing)
            _demo_information(existing, spec)
            continue
        city, _ = city_save(
            slug=spec["slug"],
            name=spec["name"],
            boundary=read_boundary_file(DATA_DIR / spec["file"]),
            metric_srid=spec["metric_srid"],
            default_language=spec["default_language"],
            currency=spec["currency"],
            time_zone=spec["time_zone"],
            country=spec["country"],
        )
        cities.append(city)
        _demo_information(city, spec)
    return cities


def _demo_information(city: City, spec: dict) -> None:
    """The contact page's details where the city has none: what officers gave stays."""
    info = CityInformation.objects.filter(city=city).first()
    empty = {k: v for k, v in spec["information"].items() if not getattr(info, k, None)}
    if empty:
        city_information_update(actor=None, city=city, data=empty)


def load_demo_users(cities: list[City]) -> list[tuple[str, str]]:
    """Returns (email, role label) for every demo account."""
    logins = []
    for email, role in DEMO_USERS:
        user_ensure_demo(email=email, password=DEMO_PASSWORD, roles=[(c, role) for c in cities])
        logins.append((email, str(role.label)))
    user_ensure_demo(email=DEMO_ADMIN, password=DEMO_PASSWORD, roles=[], superuser=True)
    logins.append((DEMO_ADMIN, "superuser"))
    return logins
