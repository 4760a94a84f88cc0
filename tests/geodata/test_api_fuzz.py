"""The public REST API fuzzed against its own OpenAPI document with schemathesis: whatever the
generated parameters, no 500, and every answer has a documented status, media type and
shape."""

import pytest
import schemathesis
from django.contrib.gis.geos import Point
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from proposals.models import Proposal
from sites.models import Site


@pytest.fixture
def api_schema(koszalin, grant_call, resident):
    for i in range(3):
        Proposal.objects.create(
            city=koszalin, grant_call=grant_call, author=resident, title=f"P{i}",
            status="submitted", geom=Point(16.18 + i / 100, 54.19, srid=4326),
        )  # fmt: skip
    Site.objects.create(city=koszalin, name="S", geom=Point(16.18, 54.19), moderation="accepted")
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from mapapp.wsgi import application

    # as Django's test client does: the test's transaction must outlive each request
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def test_public_api_keeps_its_contract(api_schema):
    """Each operation of the document, with generated parameters (schemathesis' pytest
    plugin does not load under pytest 9, so the operations are walked here)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        def check(case):
            if (
                case.path_parameters
                and "city" in case.path_parameters
                and (hash(str(case.query)) % 2 == 0)
            ):
                case.path_parameters["city"] = "koszalin"  # half aim at the real city
            # no 5xx; documented status codes, media types, headers and body shapes. Not
            # "schema-valid data is accepted": a well-formed but impossible date (month 13)
            # or bbox is refused with 400 by design, which a pattern cannot say.
            # (the WSGI client does not decode gzip, so ask for none)
            case.call_and_validate(headers={"Accept-Encoding": "identity"}, checks=CHECKS)

        check()


@pytest.fixture
def ogc_schema(exchange_world):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from mapapp.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/ogcapi/koszalin/api?f=json", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_ogc_api_never_answers_a_server_error(ogc_schema):
    """OGC API - Features fuzzed against its own OpenAPI document: whatever the generated
    parameters (bbox, bbox-crs, crs, datetime, limit, cursor, a CQL2 filter, filter-crs,
    the collections' own filters), never a 5xx, and only the status codes it documents."""
    operations = [result.ok() for result in ogc_schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        def check(case):
            case.call_and_validate(
                headers={"Accept-Encoding": "identity", "Accept": "application/geo+json"},
                checks=[checks.not_a_server_error, checks.status_code_conformance],
            )

        check()
