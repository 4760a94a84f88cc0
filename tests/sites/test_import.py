"""The Ostrava register import: counts, inside the boundary, idempotent."""

import pytest
from django.core.management import call_command

from sites.demo import DATA_DIR
from sites.importers import import_ostrava_sport_fields
from sites.models import Site

FILE = DATA_DIR / "ostrava_sport_fields_points.geojson"


def test_ostrava_import_counts_and_places(ostrava):
    result = import_ostrava_sport_fields(city=ostrava, path=FILE)
    assert (result.read, result.created, result.not_sites, result.outside) == (263, 44, 219, 0)
    sites = Site.objects.filter(city=ostrava)
    assert sites.filter(condition="neglected").count() == 37
    assert sites.filter(condition="being_revitalised").count() == 7
    # SQL: every imported point is covered by the Ostrava boundary
    assert sites.filter(geom__coveredby=ostrava.boundary).count() == 44
    assert set(sites.values_list("moderation", flat=True)) == {"accepted"}
    assert sites.filter(ownership="city").exists() and sites.filter(ownership="private").exists()


def test_importing_twice_changes_nothing(ostrava):
    import_ostrava_sport_fields(city=ostrava, path=FILE)
    fields = ["id", "name", "description", "geom", "condition", "ownership", "district"]
    before = list(Site.objects.order_by("id").values(*fields))
    result = import_ostrava_sport_fields(city=ostrava, path=FILE)
    assert (result.created, result.updated) == (0, 44)
    assert list(Site.objects.order_by("id").values(*fields)) == before


def test_features_outside_the_city_are_refused_and_counted(koszalin):
    result = import_ostrava_sport_fields(city=koszalin, path=FILE)
    assert (result.created, result.outside) == (0, 44)
    assert not Site.objects.exists()


def test_command(ostrava, capsys):
    call_command("import_sites", str(FILE), "--city", "ostrava")
    assert "new sites 44" in capsys.readouterr().out
    with pytest.raises(Exception, match="No city"):
        call_command("import_sites", str(FILE), "--city", "atlantis")
