"""Property-based tests (hypothesis) of geometry validation: whatever arrives, the answer is a
valid location inside the city or a ValidationError with a message, never a crash, and what
is accepted really is valid, inside the city and within the limits (checked in PostGIS)."""

import json

import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proposals.geometry import check_location, parse_geojson_geometry

LON = st.floats(min_value=16.10, max_value=16.30, allow_nan=False)
LAT = st.floats(min_value=54.12, max_value=54.26, allow_nan=False)
ANY = st.floats(allow_nan=True, allow_infinity=True)
PROPERTIES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rings(coords):
    return st.lists(st.tuples(coords[0], coords[1]), min_size=3, max_size=40)


@PROPERTIES
@given(ring=rings((LON, LAT)))
def test_any_drawn_ring_is_accepted_valid_or_refused_with_a_reason(koszalin, ring):
    geojson = json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})
    try:
        area = parse_geojson_geometry(geojson)
        location = check_location(city=koszalin, max_area_m2=50_000, max_vertices=30, area=area)
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
        return
    stored = GEOSGeometry(location.area.wkt, srid=4326)
    assert stored.valid
    assert koszalin.boundary.covers(stored)
    assert shapely.get_num_coordinates(shapely.from_wkt(stored.wkt)) <= 30
    assert stored.transform(2180, clone=True).area <= 50_000
    assert koszalin.boundary.covers(location.point)


@PROPERTIES
@given(x=ANY, y=ANY)
def test_any_pin_is_accepted_inside_or_refused(koszalin, x, y):
    text = json.dumps({"type": "Point", "coordinates": [x, y]})
    try:
        location = check_location(city=koszalin, point=parse_geojson_geometry(text))
    except ValidationError as exc:
        assert exc.messages
        return
    assert koszalin.boundary.covers(location.point)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["type", "coordinates", "geometry", "x"]), children, max_size=4
        )
    ),  # fmt: skip
    max_leaves=30,
)


@PROPERTIES
@given(data=JSONISH, kind=st.sampled_from(["Point", "Polygon", "MultiPolygon", "LineString"]))
def test_malformed_geojson_is_refused_never_a_crash(koszalin, data, kind):
    document = {"type": kind, "coordinates": data} if not isinstance(data, dict) else data
    try:
        geometry = parse_geojson_geometry(json.dumps(document))
        where = {"point": geometry} if kind == "Point" else {"area": geometry}
        check_location(city=koszalin, max_area_m2=50_000, max_vertices=30, **where)
    except ValidationError as exc:
        assert exc.messages
