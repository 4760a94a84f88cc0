"""Writes for the core: cities, their information pages, and demo accounts."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon
from django.db import transaction

from mapapp.audit import audit_record
from mapapp.geo import check_boundary_fits_crs
from mapapp.models import City, CityInformation, CityRole, Role, User

CITY_AUDIT_FIELDS = ("name", "metric_srid", "default_language", "currency", "time_zone",
                     "country")  # fmt: skip


def _city_snapshot(city: City) -> dict:
    data = {f: getattr(city, f) for f in CITY_AUDIT_FIELDS}
    data["boundary_wkt_len"] = len(city.boundary.wkt) if city.boundary else 0
    return data


@transaction.atomic
def city_save(
    *,
    slug: str,
    name: str,
    boundary: MultiPolygon,
    metric_srid: int,
    default_language: str | None = None,
    currency: str | None = None,
    time_zone: str | None = None,
    country: str | None = None,
    actor: User | None = None,
) -> tuple[City, bool]:
    """Create the city with this slug, or update it. Returns (city, created). With a
    `country` the platform has a preset for (mapapp.countries), the city's information gets
    the bodies that country's law names, where it has none yet.

    Raises BoundaryError when the boundary does not fit the metric CRS and ValidationError for
    any other invalid field; in both cases nothing is written.
    """
    check_boundary_fits_crs(boundary, metric_srid)
    city = City.objects.select_for_update().filter(slug=slug).first()
    created = city is None
    before = None if created else _city_snapshot(city)
    if created:
        city = City(slug=slug)
    city.name = name
    city.boundary = boundary
    city.metric_srid = metric_srid
    if default_language:
        city.default_language = default_language
    if currency:
        city.currency = currency
    if time_zone:
        city.time_zone = time_zone
    if country:
        city.country = country.upper()
    city.full_clean()
    city.save()
    audit_record(
        actor=actor,
        action="city.create" if created else "city.update",
        obj=city,
        city=city,
        before=before,
        after=_city_snapshot(city),
    )
    if city.country:
        city_information_from_country(actor=actor, city=city)
    return city, created


INFORMATION_FIELDS = tuple(
    f.name for f in CityInformation._meta.concrete_fields if f.name not in ("city", "updated_at")
)


def _information_snapshot(info: CityInformation) -> dict:
    return {
        name: (value.isoformat() if hasattr(value, "isoformat") else value)
        for name in INFORMATION_FIELDS
        if (value := getattr(info, name)) not in ("", None, {})
    }


@transaction.atomic
def city_information_update(*, actor: User | None, city: City, data: dict) -> CityInformation:
    """Set the city's contact, privacy and accessibility details (the fields named in `data`;
    others keep their values). Raises ValidationError and writes nothing when a value is
    wrong. Every change is in the audit log, before and after."""
    unknown = set(data) - set(INFORMATION_FIELDS)
    if unknown:
        raise ValueError(f"not city information: {sorted(unknown)}")
    info = CityInformation.objects.select_for_update().filter(city=city).first()
    info = info or CityInformation(city=city)
    before = _information_snapshot(info) if info.updated_at else None
    for name, value in data.items():
        if isinstance(value, dict):  # per language: no empty texts kept
            value = {lang: text.strip() for lang, text in value.items() if (text or "").strip()}
        elif isinstance(value, str):
            value = value.strip()
        setattr(info, name, value)
    info.full_clean()
    after = _information_snapshot(info)
    if before == after:
        return info
    info.save()
    audit_record(
        actor=actor, action="city.information", obj=info, city=city, before=before, after=after
    )
    return info


def country_values_missing(city: City) -> dict[str, str]:
    """What the city's country preset would fill in: the preset's values for the fields
    the city's information leaves empty (none without a preset)."""
    from mapapp.countries import preset_values

    values = preset_values(city.country)
    info = CityInformation.objects.filter(city=city).first()
    return {name: value for name, value in values.items() if not getattr(info, name, "")}


def city_information_from_country(*, actor: User | None, city: City) -> CityInformation | None:
    """Fill the city's empty authority and enforcement fields from its country's preset;
    what the city gave stays. Audited like any change; None when nothing was missing."""
    missing = country_values_missing(city)
    if not missing:
        return None
    return city_information_update(actor=actor, city=city, data=missing)


@transaction.atomic
def user_ensure_demo(
    *, email: str, password: str, roles: list[tuple[City, str]], superuser: bool = False
) -> tuple[User, bool]:
    """A demo account with a verified e-mail address and the given roles. Never resets the
    password of an account that already exists."""
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        maker = User.objects.create_superuser if superuser else User.objects.create_user
        user = maker(email=email, password=password)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    for city, role in roles:
        if role not in Role.values:
            raise ValueError(f"unknown role {role}")
        CityRole.objects.get_or_create(user=user, city=city, role=role)
    return user, created


# --- API tokens --------------------------------------------------------------------------

# the roles a token is for: it shows them, in the API, OGC API, tiles and exports (QGIS,
# scripts), what their role lets them read beyond the public data, and GIS staff import
TOKEN_ROLES = (Role.GIS_STAFF, Role.PLANNER, Role.PROGRAMME_OFFICER)


def api_token_allowed(user) -> bool:
    """Whether the person may hold an API token: superusers, and the staff roles of a city
    whose non-public data a token reads (TOKEN_ROLES). Anyone reads the public API
    without one."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or CityRole.objects.filter(user=user, role__in=TOKEN_ROLES).exists()


@transaction.atomic
def api_token_issue(*, user):
    """A new token for the person, the one before it ending at once (a lost or leaked
    token is replaced, not added to). Audited, without the key."""
    from django.core.exceptions import PermissionDenied
    from rest_framework.authtoken.models import Token

    if not api_token_allowed(user):
        raise PermissionDenied
    User.objects.select_for_update().filter(pk=user.pk).first()  # a double click waits
    replaced = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    audit_record(actor=user, action="token.issued", obj=user, after={"replaced": replaced})
    return token


@transaction.atomic
def api_token_revoke(*, user) -> bool:
    """The person's token ends (audited); False when there was none."""
    from rest_framework.authtoken.models import Token

    ended = Token.objects.filter(user=user).delete()[0] > 0
    if ended:
        audit_record(actor=user, action="token.revoked", obj=user)
    return ended
