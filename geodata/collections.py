"""The public collections a city offers to outside tools, defined once.

OGC API Features, the exports and the vector tiles all read a city's data through this
registry, so a collection's rows (public ones only), its public properties, its geometry
and its filters are the same everywhere. Adding a property here adds it to every interface;
nothing private can leak through one interface and not another.

Geometry: the drawn area where there is one, otherwise the point (proposals, sites and
interventions keep a point for every row and an optional area)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.gis.db.models import GeometryField
from django.db.models import CharField, F, FloatField, Func, Q, QuerySet
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Range
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from mapapp.models import City

# a CQL2 filter on a collection's queryables (geodata.cql), in every interface
FILTER_PARAMS = ("filter", "filter-lang", "filter-crs")


@dataclass(frozen=True)
class Filter:
    """A query parameter that filters by a property: `lookup` on the queryset, values from
    `allowed` (None: any value of `kind`)."""

    lookup: str
    allowed: tuple[str, ...] | None = None
    kind: str = "choice"  # choice | int


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    rows: Callable[[], QuerySet]  # the public rows, geometry in `_geom`, properties annotated
    properties: dict[str, str]  # name -> JSON schema type ("string", "integer", "number", ...)
    datetime_field: str | None = None
    filters: dict[str, Filter] = field(default_factory=dict)
    point_field: str = "geom"
    area_field: str | None = "area"
    points: bool = True  # point_field holds points only (not so in reference layers)
    geometry_type: str = "Geometry"  # for the schema: Point, Geometry, ...
    updated_field: str | None = "updated_at"  # what changes when a row changes (ETags)
    kind: str = ""  # for reference layers, the layer kind
    layer_id: int | None = None
    keywords: tuple[str, ...] = ()
    search: tuple[str, ...] = ()  # text fields the search words (`q`) look in

    def queryset(self) -> QuerySet:
        return self.rows()

    def query_params(self) -> set[str]:
        """The collection's own query parameters: its property filters, a CQL2 filter on
        its queryables (geodata.cql), and `q` when it can be searched."""
        return set(self.filters) | set(FILTER_PARAMS) | ({"q"} if self.search else set())

    def bbox_q(self, envelope) -> Q:
        """Rows whose geometry intersects `envelope` (a 4326 geometry), written so that the
        GiST indexes on the point and the area are both used."""
        if not self.points:
            point = Q(**{f"{self.point_field}__intersects": envelope})
        else:
            point = points_in(self.point_field, envelope)
        if self.area_field is None:
            return point
        return Q(**{f"{self.area_field}__intersects": envelope}) | (
            Q(**{f"{self.area_field}__isnull": True}) & point
        )

    def geometry_q(self, lookup: str, geometry) -> Q:
        """Rows whose geometry (the drawn area where there is one, else the point) stands in
        `lookup`, a GeoDjango spatial lookup (`within`, `contains`, `touches`, ...), to
        `geometry` (4326). Written on the stored fields, not on the `_geom` annotation, so
        that their GiST indexes serve it."""
        if lookup == "intersects":
            return self.bbox_q(geometry)
        point = Q(**{f"{self.point_field}__{lookup}": geometry})
        if self.area_field is None:
            return point
        return Q(**{f"{self.area_field}__{lookup}": geometry}) | (
            Q(**{f"{self.area_field}__isnull": True}) & point
        )


def points_in(point_field: str, envelope) -> Q:
    """Rows whose point (`point_field`) intersects `envelope`, a 4326 geometry.

    For a box (a rectangle along the axes, or a point), the GiST index's `&&` and then the
    point's coordinates compared with the box's, edges included: exactly ST_Intersects for a
    point, but priced as cheap by the planner. ST_Intersects is declared very costly, so the
    planner combined the GiST index with the (city, status) index, to test fewer rows, and
    read that index for the whole city: 3.5 ms instead of 1.6 ms for a 500 m view over
    100,000 proposals. Other shapes (a box reprojected from another CRS): ST_Intersects."""
    if not is_box(envelope):
        return Q(**{f"{point_field}__intersects": envelope})
    x1, y1, x2, y2 = envelope.extent
    x = Func(F(point_field), function="ST_X", output_field=FloatField())
    y = Func(F(point_field), function="ST_Y", output_field=FloatField())
    return Q(**{f"{point_field}__bboverlaps": envelope}) & Q(Range(x, (x1, x2)), Range(y, (y1, y2)))


def is_box(geometry) -> bool:
    if geometry.geom_type == "Point":
        return True
    if geometry.geom_type != "Polygon" or geometry.num_coords != 5:
        return False
    return set(geometry.coords[0]) == set(geometry.envelope.coords[0])


def _geom(point: str, area: str | None):
    if area is None:
        return F(point)
    return Coalesce(F(area), F(point), output_field=GeometryField(srid=4326))


def _proposals(city: City) -> Collection:
    from proposals.models import Proposal
    from proposals.selectors import SEARCH_FIELDS, public_proposals

    def rows():
        return public_proposals(city=city).annotate(
            _geom=_geom("geom", "area"),
            call=F("grant_call_id"),
            published=F("published_at"),
        )

    return Collection(
        id="proposals",
        title=str(_("Proposals")),
        description=str(
            _(
                "Residents' and NGOs' proposals in public space, "
                "from the moment they gather support."
            )
        ),
        rows=rows,
        properties={
            "title": "string",
            "status": "string",
            "category": "string",
            "call": "integer",
            "support_count": "integer",
            "requested_amount": "number",
            "granted_amount": "number",
            "published": "string",
        },
        datetime_field="published_at",
        filters={
            "status": Filter("status__in", tuple(Proposal.PUBLIC_STATUSES)),
            "category": Filter("category__in", tuple(Proposal.Category.values)),
            "call": Filter("grant_call_id__in", kind="int"),
        },
        keywords=("proposals", "participatory budgeting", "public space"),
        search=SEARCH_FIELDS,
    )


def _sites(city: City) -> Collection:
    from sites.models import Site
    from sites.selectors import SITE_SEARCH_FIELDS, public_sites

    def rows():
        return public_sites(city=city).annotate(
            _geom=_geom("geom", "area"), reported=F("reported_at")
        )

    return Collection(
        id="sites",
        title=str(_("Neglected sites")),
        description=str(_("Places in need of care, reported by residents or from registers.")),
        rows=rows,
        properties={
            "name": "string",
            "condition": "string",
            "ownership": "string",
            "district": "string",
            "reported": "string",
        },
        datetime_field="reported_at",
        filters={
            "condition": Filter("condition__in", tuple(Site.Condition.values)),
            "ownership": Filter("ownership__in", tuple(Site.Ownership.values)),
        },
        keywords=("neglected sites", "public space"),
        search=SITE_SEARCH_FIELDS,
    )


def _interventions(city: City) -> Collection:
    from proposals.models import Proposal
    from sites.selectors import INTERVENTION_SEARCH_FIELDS, public_interventions

    def rows():
        return public_interventions(city=city).annotate(
            _geom=_geom("geom", "area"),
            completed=Cast("completed_on", CharField()),
            call=F("grant_call_id"),
        )

    return Collection(
        id="interventions",
        title=str(_("Completed projects")),
        description=str(_("Projects carried out in public space, with their upkeep period.")),
        rows=rows,
        properties={
            "title": "string",
            "category": "string",
            "completed": "string",
            "sustainability": "string",
            "funding": "string",
            "call": "integer",
            "cost": "number",
            "volunteers": "integer",
        },
        datetime_field="completed_on",
        filters={
            "category": Filter("category__in", tuple(Proposal.Category.values)),
            "call": Filter("grant_call_id__in", kind="int"),
        },
        keywords=("interventions", "public space"),
        search=INTERVENTION_SEARCH_FIELDS,
    )


def layer_collection_id(layer) -> str:
    """Stable across versions: a new import of a layer keeps its name."""
    return "layer-" + (slugify(layer.name) or str(layer.pk))


def _layer(layer) -> Collection:
    from geodata.models import Feature

    def rows():
        return Feature.objects.filter(layer=layer).annotate(_geom=F("geom"))

    return Collection(
        id=layer_collection_id(layer),
        title=layer.name,
        description=" · ".join(
            x
            for x in [
                str(layer.get_kind_display()),
                layer.source,
                layer.licence,
                str(_("Synthetic demo data")) if layer.is_synthetic else "",
            ]
            if x
        ),
        rows=rows,
        properties={"name": "string", "population": "integer", "attributes": "object"},
        area_field=None,
        points=False,
        updated_field=None,
        kind=layer.kind,
        layer_id=layer.pk,
        keywords=("reference layer", layer.kind),
        search=("name",),
    )


def city_collections(*, city: City, user=None) -> dict[str, Collection]:
    """The collections of a city, in a stable order. Reference layers are those the public
    sees, plus the non-public ones when `user` is GIS staff, a planner or an officer of the
    city."""
    from geodata.selectors import layers_for

    found = [_proposals(city), _sites(city), _interventions(city)]
    found += [_layer(layer) for layer in layers_for(city=city, user=user)]
    return {c.id: c for c in found}


BUILT_IN = {"proposals": _proposals, "sites": _sites, "interventions": _interventions}


def collection_get(*, city: City, collection_id: str, user=None) -> Collection | None:
    """One collection; the built-in ones without a query (tiles ask for one per request)."""
    if collection_id in BUILT_IN:
        return BUILT_IN[collection_id](city)
    if not collection_id.startswith("layer-"):
        return None
    return city_collections(city=city, user=user).get(collection_id)
