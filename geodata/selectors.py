"""Reads for reference layers."""

from __future__ import annotations

from django.db.models import QuerySet

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


def in_district(qs: QuerySet, *, city: City, name: str, field: str = "geom") -> QuerySet:
    """Rows whose point lies in the named district of the city's districts layer."""
    from django.db.models import Exists, OuterRef

    districts = district_features(city=city).filter(name=name, geom__covers=OuterRef(field))
    return qs.filter(Exists(districts))
