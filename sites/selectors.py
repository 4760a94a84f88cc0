"""Reads for sites and interventions: only moderated sites are ever public."""

from __future__ import annotations

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mapapp.collation import sorted_names
from mapapp.filters import matching
from mapapp.models import City
from sites.models import Intervention, Site

# where a completed project's upkeep stands (with_sustainability), as the pages name it
SUSTAINABILITY_LABELS = (
    ("in_maintenance", _("In maintenance")),
    ("maintenance_ended", _("Maintenance ended")),
    ("grant_revoked", _("Grant revoked")),  # in its sustainability period (grants.grant_revoke)
)
SUSTAINABILITY_STATES = tuple(value for value, _label in SUSTAINABILITY_LABELS)


# the text a search (`q`) looks in; trigram indexes on the sites' (sites 0006)
SITE_SEARCH_FIELDS = ("name", "description")
INTERVENTION_SEARCH_FIELDS = ("title", "description")


def public_sites(*, city: City, filters: dict | None = None) -> QuerySet[Site]:
    qs = Site.objects.filter(city=city, moderation=Site.Moderation.ACCEPTED, hidden_at__isnull=True)
    filters = filters or {}
    if filters.get("condition"):
        qs = qs.filter(condition__in=filters["condition"])
    if filters.get("district"):
        # the register's own district name, or the place within a district of the layer
        from geodata.selectors import in_district

        name = filters["district"]
        qs = qs.filter(district=name) | in_district(qs, city=city, name=name)
    if filters.get("year"):
        qs = qs.filter(reported_at__year=filters["year"])
    if filters.get("q"):
        qs = matching(qs, filters["q"], *SITE_SEARCH_FIELDS)
    return qs


def with_sustainability(qs: QuerySet[Intervention]) -> QuerySet[Intervention]:
    today = timezone.localdate()
    return qs.annotate(
        sustainability=Case(
            When(proposal__status="revoked", then=Value("grant_revoked")),
            When(sustainability_ends_on__gte=today, then=Value("in_maintenance")),
            default=Value("maintenance_ended"),
            output_field=CharField(),
        )
    )


def public_interventions(*, city: City, filters: dict | None = None) -> QuerySet[Intervention]:
    qs = with_sustainability(Intervention.objects.filter(city=city))
    filters = filters or {}
    if filters.get("category"):
        qs = qs.filter(category__in=filters["category"])
    if filters.get("year"):
        qs = qs.filter(completed_on__year=filters["year"])
    if filters.get("sustainability"):
        qs = qs.filter(sustainability__in=filters["sustainability"])
    if filters.get("district"):
        from geodata.selectors import in_district

        qs = in_district(qs, city=city, name=filters["district"])
    if filters.get("q"):
        qs = matching(qs, filters["q"], *INTERVENTION_SEARCH_FIELDS)
    return qs


def parse_filters(params) -> dict:
    """Map filters from a query string; unknown values are dropped, not an error."""
    from mapapp.filters import choices, parse_common
    from proposals.models import Proposal

    return {
        **parse_common(params),
        "category": choices(params, "category", Proposal.Category.values),
        "condition": choices(params, "condition", Site.Condition.values),
        "sustainability": choices(params, "sustainability", SUSTAINABILITY_STATES),
    }


def districts(*, city: City) -> list[str]:
    """District names to filter by: the districts layer's and those in the site registers."""
    from geodata.selectors import district_features

    # distinct in the database: a city has a few dozen districts and may have 10,000s of rows
    sites = public_sites(city=city).exclude(district="").order_by()
    names = set(sites.values_list("district", flat=True).distinct())
    features = district_features(city=city).exclude(name="").order_by()
    names |= set(features.values_list("name", flat=True).distinct())
    return sorted_names(names)


def years(*, city: City) -> list[int]:
    """Years with public proposals, sites or completed projects, newest first. Distinct in the
    database, and kept in the cache until one of the three tables changes in the city: the
    city map asks on every view, and with 100,000 proposals the query takes 45 ms."""
    from django.core.cache import caches

    from geodata.exchange import data_stamp
    from proposals.models import Proposal

    stamps = "-".join(data_stamp(m, city) for m in (Proposal, Site, Intervention))
    key = f"filters:years:{city.pk}:{stamps}"
    cache = caches["local"]
    found = cache.get(key)
    if found is not None:
        return found

    def distinct_years(qs, field: str) -> set[int]:
        return set(
            qs.order_by().annotate(y=ExtractYear(field)).values_list("y", flat=True).distinct()
        )

    every = distinct_years(Intervention.objects.filter(city=city), "completed_on")
    every |= distinct_years(public_sites(city=city), "reported_at")
    every |= distinct_years(
        Proposal.objects.filter(city=city, status__in=Proposal.PUBLIC_STATUSES), "created_at"
    )
    found = sorted((y for y in every if y), reverse=True)
    cache.set(key, found, 24 * 3600)
    return found


def site_visible_to(*, user, site: Site) -> bool:
    from sites.services import is_site_staff

    if site.moderation == Site.Moderation.ACCEPTED and site.hidden_at is None:
        return True
    if getattr(user, "is_authenticated", False) and site.reported_by_id == user.pk:
        return True
    return is_site_staff(user, site.city)


def moderation_queue(*, city: City) -> QuerySet[Site]:
    return (
        Site.objects.filter(city=city, moderation=Site.Moderation.PENDING)
        .select_related("reported_by", "open311__client")
        .prefetch_related("photos")
        .order_by("reported_at")
    )


NEARBY_M = 150

NEARBY_SQL = """
SELECT p.id, s.id, s.name, s.moderation,
       ST_Distance(ST_Transform(p.geom, %(srid)s), ST_Transform(s.geom, %(srid)s)) AS metres
FROM sites_site p
JOIN sites_site s
  ON s.city_id = p.city_id AND s.id <> p.id AND s.hidden_at IS NULL
 AND s.moderation IN ('accepted', 'pending')
 AND s.geom && ST_Expand(p.geom, %(degrees)s)
 AND ST_DWithin(ST_Transform(p.geom, %(srid)s), ST_Transform(s.geom, %(srid)s), %(metres)s)
WHERE p.city_id = %(city)s AND p.moderation = 'pending'
ORDER BY p.id, metres
"""


def nearby_for_moderation(*, city: City, within_m: float = NEARBY_M) -> dict[int, list[dict]]:
    """For each report waiting for moderation, the sites on the map or waiting too within
    `within_m` (measured in the city's metric CRS), nearest first: the same place reported
    twice, or already known, shows before it is accepted."""
    from django.db import connection

    out: dict[int, list[dict]] = {}
    # the box in degrees (index-friendly) holds the distance up to 74° of latitude, where
    # a degree of longitude is 30 km; the distance itself is measured in metres
    params = {"srid": city.metric_srid, "metres": within_m, "city": city.pk,
              "degrees": within_m / 30_000}  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(NEARBY_SQL, params)
        for pending_id, site_id, name, moderation, metres in cursor.fetchall():
            out.setdefault(pending_id, []).append(
                {"id": site_id, "name": name, "pending": moderation == "pending",
                 "metres": round(metres)}
            )  # fmt: skip
    return out


def reports_of(*, user) -> QuerySet[Site]:
    return (
        Site.objects.filter(reported_by=user, source="report")
        .select_related("city")
        .order_by("-reported_at")
    )


def sites_for_picker(*, city: City) -> QuerySet[Site]:
    return (
        public_sites(city=city)
        .filter(~Q(condition=Site.Condition.REVITALISED))
        .only("id", "name", "district")
    )


PROJECT_IMPORTS_SHOWN = 20


def project_imports(*, city: City) -> QuerySet:
    """The city's latest imports of completed projects, newest first."""
    from sites.models import ProjectImport

    return ProjectImport.objects.filter(city=city).select_related("requested_by")[
        :PROJECT_IMPORTS_SHOWN
    ]
