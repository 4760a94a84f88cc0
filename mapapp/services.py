"""Writes for the core: cities and demo accounts."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon
from django.db import transaction

from mapapp.audit import audit_record
from mapapp.geo import check_boundary_fits_crs
from mapapp.models import City, CityRole, Role, User

CITY_AUDIT_FIELDS = ("name", "metric_srid", "default_language", "currency", "time_zone")


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
    actor: User | None = None,
) -> tuple[City, bool]:
    """Create the city with this slug, or update it. Returns (city, created).

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
    return city, created


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
