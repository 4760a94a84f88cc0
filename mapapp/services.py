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


def api_token_may_import(user) -> bool:
    """Whether the person's token may be made to send layers for import: GIS staff of a
    city (the import itself checks the city) and superusers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or CityRole.objects.filter(user=user, role=Role.GIS_STAFF).exists()


@transaction.atomic
def api_token_issue(*, user, can_import: bool = False):
    """A new token for the person, the one before it ending at once (a lost or leaked
    token is replaced, not added to). It reads; `can_import` (GIS staff only) lets it send
    layers for import too. Audited, without the key."""
    from django.core.exceptions import PermissionDenied
    from rest_framework.authtoken.models import Token

    from mapapp.models import ApiTokenRecord

    if not api_token_allowed(user) or (can_import and not api_token_may_import(user)):
        raise PermissionDenied
    User.objects.select_for_update().filter(pk=user.pk).first()  # a double click waits
    replaced = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    ApiTokenRecord.objects.create(token=token, can_import=can_import)
    audit_record(actor=user, action="token.issued", obj=user,
                 after={"replaced": replaced, "can_import": can_import})  # fmt: skip
    return token


def api_token_can_import(token) -> bool:
    """Whether this token was made to send layers for import (ApiTokenRecord.can_import);
    a token made otherwise (`manage.py drf_create_token`) only reads."""
    from mapapp.models import ApiTokenRecord

    return ApiTokenRecord.objects.filter(token=token, can_import=True).exists()


def api_token_reminders_send(*, now=None) -> int:
    """Each token's holder is e-mailed API_TOKEN_REMIND_DAYS before it ends (API_TOKEN_DAYS
    after it was made), once per token (ApiTokenRecord.reminded_at), however many daily
    jobs run at once: their programs are refused from then on. Run daily. Returns how many
    were told."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from mapapp.models import ApiTokenRecord

    days, ahead = settings.API_TOKEN_DAYS, settings.API_TOKEN_REMIND_DAYS
    if not days or ahead <= 0:
        return 0
    now = now or timezone.now()
    ending = Token.objects.filter(
        created__gt=now - timedelta(days=days),  # not ended yet
        created__lte=now - timedelta(days=days) + timedelta(days=ahead),
        user__is_active=True,
    ).select_related("user")
    told = 0
    for token in ending.order_by("created"):
        with transaction.atomic():
            ApiTokenRecord.objects.get_or_create(token=token)
            # one job wins this update, whatever runs at the same moment
            first = ApiTokenRecord.objects.filter(token=token, reminded_at__isnull=True)
            if first.update(reminded_at=now):
                transaction.on_commit(lambda t=token: _remind_token_ends(t))
                told += 1
    return told


def _remind_token_ends(token) -> None:
    """The e-mail, in the holder's language, with the end in their city's time."""
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.urls import reverse
    from django.utils import timezone, translation
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from mapapp.authentication import token_expires
    from mapapp.tasks import mail, site_link

    user = token.user
    role = CityRole.objects.filter(user=user).select_related("city").order_by("pk").first()
    city = role.city if role else None
    language = user.preferred_language or (city.default_language if city else None)
    zone = ZoneInfo(city.time_zone if city else settings.TIME_ZONE)
    with translation.override(language or settings.LANGUAGE_CODE):
        words = {
            "end": token.key[-4:],
            "date": date_format(
                timezone.localtime(token_expires(token), zone), "DATETIME_FORMAT"
            ),  # fmt: skip
            "link": site_link(reverse("my-token")),
        }
        subject = _("Your API token ends on %(date)s") % words
        body = (
            _(
                "Your API token (ending in …%(end)s) ends on %(date)s. From then on QGIS, GDAL "
                "and the scripts that use it are refused.\n\n"
                "Make a new one at %(link)s and put it in their settings: the token you have "
                "ends as soon as the new one is made."
            )
            % words
        )
        mail(subject, body, [user.email], city=city)


@transaction.atomic
def api_token_revoke(*, user) -> bool:
    """The person's token ends (audited); False when there was none."""
    from rest_framework.authtoken.models import Token

    ended = Token.objects.filter(user=user).delete()[0] > 0
    if ended:
        audit_record(actor=user, action="token.revoked", obj=user)
    return ended
