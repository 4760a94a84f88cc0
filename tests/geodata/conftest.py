import random
from datetime import date, timedelta

import pytest
from django.contrib.gis.geos import Point, Polygon
from django.utils import timezone

from tests.geodata.test_analysis import world  # noqa: F401 - the analysis's hand-made world
from tests.proposals.conftest import *  # noqa: F403 - proposal fixtures compose into analysis
from tests.sites.conftest import planner  # noqa: F401


@pytest.fixture
def exchange_world(koszalin, grant_call, resident, tmp_path):
    """Public and private rows of every collection, from a fixed seed: 37 public proposals
    (10 with a drawn area), 2 drafts, 14 accepted and 3 pending sites, 5 interventions, a
    public and a non-public reference layer."""
    from geodata.importers import import_layer
    from geodata.models import Layer
    from proposals.models import Proposal
    from sites.models import Intervention, Site

    rnd = random.Random(6)

    def spot():
        return rnd.uniform(16.15, 16.22), rnd.uniform(54.17, 54.21)

    statuses = ["collecting_support", "submitted", "granted", "rejected", "completed"]
    now = timezone.now()
    proposals = []
    for i in range(39):
        x, y = spot()
        area = None
        if i % 4 == 0:
            area = Polygon.from_bbox((x - 0.0006, y - 0.0004, x + 0.0006, y + 0.0004))
            area.srid = 4326
        proposals.append(
            Proposal(
                city=koszalin,
                grant_call=grant_call,
                author=resident,
                title=f"Proposal {i} <b>&</b>",
                status="draft" if i >= 37 else statuses[i % len(statuses)],
                category=["playground", "seating", "greenery"][i % 3],
                geom=Point(x, y, srid=4326),
                area=area,
                published_at=now - timedelta(days=i),
                contact_phone="+48 600 000 000",
            )
        )
    Proposal.objects.bulk_create(proposals)
    for i in range(17):
        x, y = spot()
        Site.objects.create(
            city=koszalin,
            name=f"Site {i}",
            geom=Point(x, y, srid=4326),
            moderation="pending" if i >= 14 else "accepted",
            condition=["neglected", "being_revitalised"][i % 2],
            reported_at=now - timedelta(days=10 * i),
        )
    for i in range(5):
        x, y = spot()
        Intervention.objects.create(
            city=koszalin,
            title=f"Intervention {i}",
            category="seating",
            geom=Point(x, y, srid=4326),
            completed_on=date(2024, 1, 1) + timedelta(days=100 * i),
            sustainability_ends_on=date(2026, 1, 1) + timedelta(days=100 * i),
        )
    parks = tmp_path / "parks.geojson"
    parks.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "Park"}, "geometry": {"type": "Polygon", "coordinates": [[[16.17, 54.18], '
        "[16.18, 54.18], [16.18, 54.19], [16.17, 54.19], [16.17, 54.18]]]}}]}"
    )
    import_layer(city=koszalin, kind="park", path=parks, name="Parks")
    land = import_layer(city=koszalin, kind="municipal_land", path=parks, name="City land")
    Layer.objects.filter(pk=land.layer.pk).update(is_public=False)
    return koszalin
