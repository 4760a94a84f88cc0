"""The per-city change counters behind ETags and tile stamps (migration geodata 0006)."""

from django.contrib.gis.geos import Point
from django.db import connection

from geodata.exchange import data_stamp
from proposals.models import Proposal
from sites.models import Site


def stamps(*cities):
    return [data_stamp(model, city) for city in cities for model in (Proposal, Site)]


def test_every_kind_of_write_moves_only_its_citys_stamp(
    koszalin, ostrava, grant_call, resident, settings
):
    settings.DATA_STAMP_SECONDS = 0
    before = stamps(koszalin, ostrava)
    proposal = Proposal.objects.create(
        city=koszalin, grant_call=grant_call, author=resident, title="Bench",
        geom=Point(16.18, 54.19, srid=4326), status="submitted",
    )  # fmt: skip
    after_insert = stamps(koszalin, ostrava)
    assert after_insert[0] != before[0]
    assert after_insert[1:] == before[1:]  # sites, and Ostrava, untouched

    # a queryset update touches no updated_at; the counter sees it all the same
    Proposal.objects.filter(pk=proposal.pk).update(title="Renamed")
    after_update = stamps(koszalin, ostrava)
    assert after_update[0] != after_insert[0]
    assert after_update[1:] == before[1:]

    # an update that finds no row is no change
    Proposal.objects.filter(pk=-1).update(title="Nobody")
    assert stamps(koszalin, ostrava) == after_update

    # moving a row to another city changes both cities' stamps
    site = Site.objects.create(
        city=koszalin, name="Yard", geom=Point(16.18, 54.19, srid=4326),
        moderation="accepted", condition="neglected", reported_at=proposal.created_at,
    )  # fmt: skip
    moved = stamps(koszalin, ostrava)
    Site.objects.filter(pk=site.pk).update(city=ostrava)
    now = stamps(koszalin, ostrava)
    assert now[1] != moved[1] and now[3] != moved[3]

    Proposal.objects.filter(pk=proposal.pk).delete()
    assert stamps(koszalin, ostrava)[0] != now[0]


def test_a_bulk_statement_is_one_bump_per_city(koszalin, grant_call, resident, settings):
    settings.DATA_STAMP_SECONDS = 0
    Proposal.objects.bulk_create(
        Proposal(
            city=koszalin,
            grant_call=grant_call,
            author=resident,
            title=f"P{i}",
            geom=Point(16.18, 54.19, srid=4326),
            status="submitted",
        )
        for i in range(50)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n FROM geodata_changestamp WHERE city_id = %s AND table_name = %s",
            [koszalin.pk, "proposals_proposal"],
        )
        counted = cursor.fetchone()[0]
    Proposal.objects.filter(city=koszalin).update(status="granted")
    assert data_stamp(Proposal, koszalin) == f"n{counted + 1}"
