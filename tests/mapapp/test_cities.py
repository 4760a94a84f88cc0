"""The demo cities' real boundaries, measured and queried in PostGIS."""

import pytest
from django.contrib.gis.geos import Point

from mapapp.models import City
from mapapp.selectors import city_area_km2

# Reference points from shared/data/README.md (lon, lat).
KOSZALIN_RYNEK = (16.1817, 54.1903)
OSTRAVA_MASARYKOVO = (18.2925, 49.8355)


@pytest.mark.parametrize(
    ("slug", "official_km2", "tolerance"),
    [
        # the PRG file is simplified to 34 vertices: 102.2 km² against the official 98.34 km²
        ("koszalin", 98.34, 0.06),
        ("ostrava", 214.23, 0.02),
    ],
)
def test_area_in_metric_crs_is_close_to_official(demo_cities, slug, official_km2, tolerance):
    city = demo_cities[slug]
    # SQL: SELECT ST_Area(ST_Transform(boundary, metric_srid)) / 1e6 FROM mapapp_city
    area = city_area_km2(city=city)
    assert abs(area - official_km2) / official_km2 <= tolerance, area


def test_metric_srids(demo_cities):
    assert demo_cities["koszalin"].metric_srid == 2180
    assert demo_cities["ostrava"].metric_srid == 5514


@pytest.mark.parametrize(
    ("slug", "lonlat"),
    [("koszalin", KOSZALIN_RYNEK), ("ostrava", OSTRAVA_MASARYKOVO)],
)
def test_town_square_inside_and_swapped_outside(demo_cities, slug, lonlat):
    lon, lat = lonlat
    inside = City.objects.filter(boundary__contains=Point(lon, lat, srid=4326))
    assert list(inside.values_list("slug", flat=True)) == [slug]
    swapped = City.objects.filter(boundary__contains=Point(lat, lon, srid=4326))
    assert not swapped.exists()


def test_boundary_must_be_valid_in_the_database(koszalin):
    """The check constraint refuses invalid geometry even when Python is bypassed."""
    from django.db import IntegrityError, connection, transaction

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE mapapp_city SET boundary = ST_GeomFromText("
            "'MULTIPOLYGON(((0 0, 1 1, 1 0, 0 1, 0 0)))', 4326) WHERE id = %s",
            [koszalin.pk],
        )


def test_full_clean_reports_invalid_boundary(koszalin):
    from django.contrib.gis.geos import GEOSGeometry
    from django.core.exceptions import ValidationError

    koszalin.boundary = GEOSGeometry("MULTIPOLYGON(((0 0, 1 1, 1 0, 0 1, 0 0)))", srid=4326)
    with pytest.raises(ValidationError):
        koszalin.full_clean()


def test_reserved_slug_refused(koszalin):
    from django.core.exceptions import ValidationError

    koszalin.slug = "api"
    with pytest.raises(ValidationError) as exc:
        koszalin.full_clean()
    assert "slug" in exc.value.message_dict


def test_metric_srid_must_be_projected(koszalin):
    from django.core.exceptions import ValidationError

    koszalin.metric_srid = 4326
    with pytest.raises(ValidationError) as exc:
        koszalin.full_clean()
    assert "metric_srid" in exc.value.message_dict


def test_city_changes_are_audited(koszalin):
    from mapapp.models import AuditEvent

    event = AuditEvent.objects.get(object_type="mapapp.city", object_id=str(koszalin.pk))
    assert event.action == "city.create"
    assert event.after["metric_srid"] == 2180


def test_the_audit_log_is_append_only_in_the_database(koszalin):
    import pytest
    from django.db import DatabaseError, transaction

    from mapapp.audit import audit_record
    from mapapp.models import AuditEvent

    event = audit_record(actor=None, action="city.test", obj=koszalin, city=koszalin,
                         after={"budget": 100})  # fmt: skip
    rows = AuditEvent.objects.filter(pk=event.pk)
    for change in ({"after": {"budget": 1_000_000}}, {"action": "other"}, {"note": "edited"}):
        with pytest.raises(DatabaseError), transaction.atomic():
            rows.update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.delete()
    rows.update(actor_label="deleted user #1")  # the one change allowed (account deletion)
    assert AuditEvent.objects.get(pk=event.pk).after == {"budget": 100}


def test_every_first_path_segment_of_ours_is_reserved():
    """A city whose slug were one of our own first segments ('privacy', 'accessibility',
    'api', ...) would lose its page to ours, or hide ours: each must be refused as a slug."""
    from django.urls import get_resolver

    from mapapp.models import RESERVED_SLUGS

    ours = set()
    for pattern in get_resolver().url_patterns:
        first = str(pattern.pattern).lstrip("^").split("/", 1)[0]
        if first and "<" not in first and not first.endswith((".txt", ".ico", ".xml")):
            ours.add(first.rstrip("$"))
    assert ours - RESERVED_SLUGS == set()
    assert {"privacy", "accessibility"} <= ours
