import pytest

from mapapp.models import Role

# The proposal fixtures (officer, committee, resident, grant_call, draft ... in_assessment)
# compose into sites' fixtures: a completed proposal becomes an intervention.
from tests.proposals.conftest import *  # noqa: F403
from tests.proposals.conftest import make_user

PIN = '{"type": "Point", "coordinates": [16.1817, 54.1903]}'


@pytest.fixture
def planner(koszalin):
    return make_user("planner@example.org", Role.PLANNER, city=koszalin)


@pytest.fixture
def pending_report(resident, koszalin):
    from sites.services import site_report

    return site_report(
        reporter=resident,
        city=koszalin,
        name="Broken benches by the pond",
        description="Three benches without planks.",
        point_geojson=PIN,
    )
