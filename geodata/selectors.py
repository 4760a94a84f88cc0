"""Reads for reference layers and for the analysis map."""

from __future__ import annotations

import json

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from geodata.models import Feature, Layer
from mapapp.models import City


def public_layers(*, city: City) -> QuerySet[Layer]:
    return Layer.objects.filter(city=city, is_current=True, is_public=True).order_by("kind", "name")


def layers_for(*, city: City, user=None) -> QuerySet[Layer]:
    """Current layers a user may read: the public ones, and all of them for the city's GIS
    staff, planners and officers (and superusers)."""
    from mapapp.models import Role
    from proposals.access import has_role

    qs = Layer.objects.filter(city=city, is_current=True).order_by("kind", "name")
    if user is not None and has_role(
        user, city, Role.GIS_STAFF, Role.PLANNER, Role.PROGRAMME_OFFICER
    ):
        return qs
    return qs.filter(is_public=True)


def district_features(*, city: City) -> QuerySet[Feature]:
    """Districts of the city's current district layers (public or not: used for filtering)."""
    return Feature.objects.filter(
        layer__city=city, layer__kind=Layer.Kind.DISTRICT, layer__is_current=True
    )


def place_in_city(*, city: City, point) -> dict:
    """Whether `point` lies in the city, and the name of its district ("" when the city has
    no districts layer, or none covers it): what the city map says of the place under its
    cross, before someone asks for news near it."""
    inside = City.objects.filter(pk=city.pk, boundary__covers=point).exists()
    names = district_features(city=city).filter(geom__covers=point).values_list("name", flat=True)
    return {"inside": inside, "district": (names.first() or "") if inside else ""}


PLACES_SHOWN = 8  # the city map's "find a place": more is a list to read, not to choose from
PLACE_OUTLINE_TOLERANCE_M = 2  # an outline to see where it is, not to measure it


def _named_places(city: City) -> QuerySet[Feature]:
    features = Feature.objects.filter(
        layer__city=city, layer__is_current=True, layer__is_public=True
    )
    return features.exclude(name="")


def has_named_places(*, city: City, kinds: tuple[str, ...] | None = None) -> bool:
    """Whether the city map's "find a place" has anything to find (of these layer kinds)."""
    found = _named_places(city)
    return (found.filter(layer__kind__in=kinds) if kinds else found).exists()


def places_named(*, city: City, text: str) -> list[dict]:
    """Named features of the city's current public reference layers (districts, parks,
    water, ...) whose name holds every word of `text`, found as the lists' search finds
    them (any case, with or without accents, another ending): the city map's "find a place",
    a gazetteer of the city's own layers (no outside geocoder). Names that begin with the
    text come first, then the shorter. Each: its name, the layer's kind and name, and its
    outline simplified in the city's metric CRS, as RFC 7946 GeoJSON."""
    import json

    from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
    from django.db.models import Case, IntegerField, Value, When
    from django.db.models.functions import Length
    from django.db.models.lookups import StartsWith

    from mapapp.filters import Fold, words_q
    from mapapp.geofuncs import ForcePolygonCCW, SimplifyPreserveTopology

    features = _named_places(city).filter(words_q(text, "name"))
    begins = StartsWith(Fold("name"), Fold(Value(text.strip())))
    simple = SimplifyPreserveTopology(
        Transform("geom", city.metric_srid), PLACE_OUTLINE_TOLERANCE_M
    )
    rows = (
        features.annotate(
            first=Case(When(begins, then=0), default=1, output_field=IntegerField()),
            outline=AsGeoJSON(ForcePolygonCCW(Transform(simple, 4326)), precision=6),
        )
        .order_by("first", Length("name"), "name", "pk")
        .values("pk", "name", "layer__kind", "layer__name", "outline")[:PLACES_SHOWN]
    )
    kinds = dict(Layer.Kind.choices) | {Layer.Kind.ADDRESS: _("Address")}  # one of them
    return [
        {
            "id": row["pk"],
            "name": row["name"],
            "kind": row["layer__kind"],
            "kind_label": str(kinds.get(row["layer__kind"], "")),
            "layer": row["layer__name"],
            "geometry": json.loads(row["outline"]),
        }
        for row in rows
    ]


def in_district(qs: QuerySet, *, city: City, name: str, field: str = "geom") -> QuerySet:
    """Rows whose point lies in the named district of the city's districts layer."""
    from django.db.models import Exists, OuterRef

    districts = district_features(city=city).filter(name=name, geom__covers=OuterRef(field))
    return qs.filter(Exists(districts))


def analysis_zones_geojson(*, data: dict) -> dict:
    """The zones of an analysis result with their measures, as GeoJSON for its map."""
    from django.contrib.gis.db.models.functions import AsGeoJSON

    by_id = {z["id"]: z for z in data["coverage"]["zones"]}
    features = []
    for f in Feature.objects.filter(pk__in=by_id).annotate(gj=AsGeoJSON("geom", precision=6)):
        props = {k: v for k, v in by_id[f.pk].items() if k != "id"}
        props["name"] = props.get("name") or str(f.pk)
        features.append(
            {"type": "Feature", "id": f.pk, "geometry": json.loads(f.gj), "properties": props}
        )
    return {"type": "FeatureCollection", "features": features}


# beyond this a folium page gets heavy; the tables and downloads have all
MAP_POINTS = 2000


def analysis_map_points(*, params, in_deficit: set[int]) -> list[dict]:
    """Proposals for the dashboard map: those in the deficit first, at most MAP_POINTS."""
    from django.db.models import Case, IntegerField, Value, When

    from proposals.models import Proposal

    qs = Proposal.objects.filter(
        city=params.city,
        status__in=Proposal.PUBLIC_STATUSES,
        geom__isnull=False,
        hidden_at__isnull=True,
    )
    if params.call_id:
        qs = qs.filter(grant_call_id=params.call_id)
    qs = qs.annotate(
        first=Case(
            When(pk__in=list(in_deficit)[:MAP_POINTS], then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("first", "pk")
    return [
        {"id": pk, "lat": geom.y, "lon": geom.x, "name": title, "in_deficit": pk in in_deficit}
        for pk, title, geom in qs.values_list("pk", "title", "geom")[:MAP_POINTS]
    ]
