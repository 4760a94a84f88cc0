"""Synthetic demo layers for the pilot cities. No public vector data exists for their
revitalisation areas or green spaces (shared/data/README.md), so a deterministic, plausible
set is generated inside each real boundary: a central revitalisation zone with sub-zones,
parks, a forest, a river with water bodies, and districts with population. Every layer is
marked synthetic and named so on the map. The real pipeline is `import_layer`."""

from __future__ import annotations

import json
import math
import random
import tempfile
from pathlib import Path

from geodata.importers import import_layer
from geodata.models import Layer
from mapapp.models import City

CENTRES = {"koszalin": (16.1817, 54.1903), "ostrava": (18.2925, 49.8355)}
SUFFIX = {"pl": " (dane syntetyczne)", "cs": " (syntetická data)", "en": " (synthetic data)"}
# layer names as a city's GIS staff would write them, in the city's language
NAMES = {
    "en": {
        "revitalisation_zone": "Revitalisation zone",
        "revitalisation_subzone": "Revitalisation sub-zones",
        "park": "Parks",
        "forest": "Forest",
        "river": "River",
        "water_body": "Ponds",
        "district": "Districts",
    },
    "pl": {
        "revitalisation_zone": "Obszar rewitalizacji",
        "revitalisation_subzone": "Podobszary rewitalizacji",
        "park": "Parki",
        "forest": "Las",
        "river": "Rzeka",
        "water_body": "Stawy",
        "district": "Dzielnice",
    },
    "cs": {
        "revitalisation_zone": "Revitalizační zóna",
        "revitalisation_subzone": "Revitalizační podzóny",
        "park": "Parky",
        "forest": "Les",
        "river": "Řeka",
        "water_body": "Rybníky",
        "district": "Obvody",
    },
}


def _layers(city: City) -> dict[str, tuple[str, list[dict]]]:
    """kind -> (name, [(geometry, properties)]) in lon/lat, from a fixed seed per city."""
    import numpy as np
    import shapely
    from pyproj import Transformer
    from shapely.geometry import LineString, Point, box

    rng = random.Random(f"wecreatespace-{city.slug}")  # noqa: S311 - demo data, not security

    def projector(source, target):
        t = Transformer.from_crs(source, target, always_xy=True)
        return lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))

    to_m, to_deg = projector(4326, city.metric_srid), projector(city.metric_srid, 4326)

    def transform(func, geometry):
        return shapely.transform(geometry, func)

    boundary = transform(to_m, shapely.from_wkb(bytes(city.boundary.wkb)))
    lon, lat = CENTRES.get(
        city.slug, (city.boundary.point_on_surface.x, city.boundary.point_on_surface.y)
    )
    cx, cy = transform(to_m, Point(lon, lat)).coords[0]
    xmin, ymin, xmax, ymax = boundary.bounds

    def clip(g):
        return g.intersection(boundary.buffer(-30))

    def feature(g, **props):
        return {
            "geometry": json.loads(shapely.to_geojson(transform(to_deg, g))),
            "properties": props,
        }

    zone = clip(Point(cx, cy).buffer(900, quad_segs=8))
    subzones = [
        clip(zone.intersection(box(cx + dx0, cy + dy0, cx + dx1, cy + dy1)))
        for dx0, dy0, dx1, dy1 in ((-1000, 0, 0, 1000), (0, 0, 1000, 1000), (-1000, -1000, 1000, 0))
    ]
    parks = []
    for _ in range(7):
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(600, 3500)
        x, y = cx + dist * math.cos(angle), cy + dist * math.sin(angle)
        radius = rng.choice([35, 60, 120, 180, 250])  # a few below the 0.5 ha threshold
        park = clip(Point(x, y).buffer(radius, quad_segs=6))
        if not park.is_empty:
            parks.append(park)
    forest = clip(box(xmin, ymin, xmin + (xmax - xmin) * 0.25, ymin + (ymax - ymin) * 0.3))
    river = clip(
        LineString(
            [(xmin, cy - 1200), (cx - 300, cy - 400), (cx + 800, cy - 900), (xmax, cy - 300)]
        )
    )
    ponds = (
        [
            clip(Point(*river.interpolate(f, normalized=True).coords[0]).buffer(80))
            for f in (0.3, 0.6)
        ]
        if not river.is_empty
        else []
    )
    districts = []
    for i, (x0, x1) in enumerate(((xmin, cx), (cx, xmax))):
        for j, (y0, y1) in enumerate(((ymin, cy), (cy, ymax))):
            part = boundary.intersection(box(x0, y0, x1, y1))
            if not part.is_empty:
                districts.append((part, f"D{i * 2 + j + 1}", 8000 + rng.randrange(30000)))
    suffix = SUFFIX.get(city.default_language, SUFFIX["en"])
    names = NAMES.get(city.default_language, NAMES["en"])
    return {
        "revitalisation_zone": (
            names["revitalisation_zone"] + suffix,
            [feature(zone, name="Centre", population=12000)],
        ),
        "revitalisation_subzone": (
            names["revitalisation_subzone"] + suffix,
            [
                feature(g, name=f"Centre {n}")
                for n, g in zip("ABC", subzones, strict=True)
                if not g.is_empty
            ],
        ),
        "park": (
            names["park"] + suffix,
            [feature(g, name=f"Park {i + 1}") for i, g in enumerate(parks)],
        ),
        "forest": (
            names["forest"] + suffix,
            [feature(forest, name="Forest")] if not forest.is_empty else [],
        ),
        "river": (
            names["river"] + suffix,
            [feature(river, name="River")] if not river.is_empty else [],
        ),
        "water_body": (
            names["water_body"] + suffix,
            [feature(g, name=f"Pond {i + 1}") for i, g in enumerate(ponds) if not g.is_empty],
        ),
        "district": (
            names["district"] + suffix,
            [feature(g, name=n, population=p) for g, n, p in districts],
        ),
    }


def load_demo_layers(city: City) -> int:
    """Import the synthetic layers through the real importer; skipped when present."""
    if Layer.objects.filter(city=city, is_synthetic=True).exists():
        return 0
    count = 0
    with tempfile.TemporaryDirectory() as folder:
        for kind, (name, features) in _layers(city).items():
            if not features:
                continue
            path = Path(folder) / f"{kind}.geojson"
            path.write_text(
                json.dumps(
                    {
                        "type": "FeatureCollection",
                        "features": [{"type": "Feature", **f} for f in features],
                    }
                )
            )
            import_layer(
                city=city,
                kind=kind,
                path=path,
                name=name,
                is_synthetic=True,
                source="Synthetic demo data generated by We Create Space",
                licence="CC0",
            )
            count += 1
    return count
