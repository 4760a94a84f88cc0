"""Completed projects from before the platform, imported from a city's own file into its
before/after map: any CRS the file declares, points or polygons, all rows or none (each
refusal by row number), and importing again updates instead of duplicating."""

import io
from datetime import date
from decimal import Decimal

import geopandas
import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Point, Polygon

from sites.models import Intervention

pytestmark = pytest.mark.django_db
SQUARE = (18.2925, 49.8355)  # Masarykovo náměstí, Ostrava


def _square(lon, lat, d=0.0004):
    return Polygon([(lon, lat), (lon + d, lat), (lon + d, lat + d), (lon, lat + d)])


def _write(path, rows, crs="EPSG:4326", to=5514):
    frame = geopandas.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs(epsg=to)
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    return path


GOOD = [
    {"nazev": "Komunitní zahrada", "rok": "2021", "druh": "community_garden", "cislo": 1,
     "naklady": 150000.0, "geometry": _square(*SQUARE)},
    {"nazev": "Lavičky u kašny", "rok": "2023-06-15", "druh": "Seating", "cislo": 2,
     "naklady": None, "geometry": Point(SQUARE[0] + 0.002, SQUARE[1])},
]  # fmt: skip
BAD = [
    {"nazev": "", "rok": "2022", "druh": "art", "cislo": 3, "naklady": 1.0,
     "geometry": Point(*SQUARE)},  # no title
    {"nazev": "V Praze", "rok": "2022", "druh": "art", "cislo": 4, "naklady": 1.0,
     "geometry": Point(14.42, 50.08)},  # outside Ostrava
    {"nazev": "Motýlek", "rok": "2022", "druh": "art", "cislo": 5, "naklady": 1.0,
     "geometry": Polygon([(18.29, 49.83), (18.291, 49.831), (18.291, 49.83), (18.29, 49.831)])},
    {"nazev": "Bez data", "rok": "někdy", "druh": "art", "cislo": 6, "naklady": 1.0,
     "geometry": Point(*SQUARE)},
]  # fmt: skip
FIELDS = ["--title-field", "nazev", "--completed-field", "rok", "--category-field", "druh",
          "--cost-field", "naklady", "--id-field", "cislo"]  # fmt: skip


def test_a_file_with_unreadable_rows_imports_nothing_and_says_which(ostrava, tmp_path):
    path = _write(tmp_path / "hotove.gpkg", GOOD + BAD)
    with pytest.raises(CommandError) as refused:
        call_command("import_interventions", str(path), "--city", "ostrava", *FIELDS)
    text = str(refused.value)
    assert "Nothing imported: 4 rows" in text
    assert "row 3: no title" in text and "row 4:" in text and "Ostrava" in text
    assert "row 5:" in text and "Self-intersection" in text and "row 6:" in text
    assert not Intervention.objects.exists()


def test_the_readable_rows_are_imported_once_and_shown(client, ostrava, tmp_path):
    path = _write(tmp_path / "hotove.gpkg", GOOD + BAD)
    out, err = io.StringIO(), io.StringIO()
    args = ("import_interventions", str(path), "--city", "ostrava", *FIELDS, "--skip-invalid")
    call_command(*args, stdout=out, stderr=err)
    assert "read 6, new 2, updated 0, skipped 4" in out.getvalue()
    assert "row 4 skipped" in err.getvalue()
    garden = Intervention.objects.get(title="Komunitní zahrada")
    assert garden.completed_on == date(2021, 12, 31)  # a year alone: its last day
    assert garden.sustainability_ends_on == date(2023, 12, 31)
    assert garden.category == "community_garden" and garden.cost == 150000
    assert garden.area is not None and garden.area.covers(garden.geom)  # point on its surface
    # the file was in S-JTSK (EPSG:5514): the square comes back where it was drawn
    assert abs(garden.area.extent[0] - SQUARE[0]) < 1e-6
    benches = Intervention.objects.get(title="Lavičky u kašny")
    assert benches.category == "seating" and benches.cost == 0 and benches.area is None
    assert benches.completed_on == date(2023, 6, 15) and benches.funding == "other"

    # again, with a corrected title: updated, not doubled
    _write(path, [{**GOOD[0], "nazev": "Komunitní zahrada Fifejdy"}, GOOD[1]])
    out = io.StringIO()
    call_command("import_interventions", str(path), "--city", "ostrava", *FIELDS, stdout=out)
    assert "new 0, updated 2" in out.getvalue()
    assert Intervention.objects.count() == 2
    assert Intervention.objects.filter(title="Komunitní zahrada Fifejdy").exists()

    page = client.get("/ostrava/interventions/").content.decode()
    assert "Komunitní zahrada Fifejdy" in page and "Lavičky u kašny" in page
    api = client.get("/api/v1/ostrava/interventions/").json()
    assert {f["properties"]["title"] for f in api["features"]} >= {"Lavičky u kašny"}


def test_a_file_without_a_crs_needs_one_named(ostrava, tmp_path):
    frame = geopandas.GeoDataFrame(GOOD[1:], geometry="geometry")  # no CRS
    path = tmp_path / "bez-crs.shp"  # a Shapefile without its .prj
    with pytest.warns(UserWarning, match="crs"):  # as such files are made
        frame.to_file(path, driver="ESRI Shapefile", engine="pyogrio")
    args = ["import_interventions", str(path), "--city", "ostrava", *FIELDS]
    with pytest.raises(CommandError, match="declares no coordinate system"):
        call_command(*args)
    call_command(*args, "--srid", "4326", stdout=io.StringIO())
    assert Intervention.objects.count() == 1


def test_officers_add_before_and_after_photos_to_an_imported_project(
    client, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from mapapp.images import NOT_AN_IMAGE
    from mapapp.models import Role
    from tests.proposals.conftest import jpeg_upload, make_user

    path = _write(tmp_path / "hotove.gpkg", GOOD)
    call_command("import_interventions", str(path), "--city", "ostrava", *FIELDS,
                 stdout=io.StringIO())  # fmt: skip
    garden = Intervention.objects.get(title="Komunitní zahrada")
    url = f"/ostrava/interventions/{garden.pk}/pairs/"
    photos = {"before": jpeg_upload("b.jpg", color="gray"),
              "after": jpeg_upload("a.jpg", color="green"), "caption": "Od silnice"}  # fmt: skip

    resident = make_user("obyvatel@example.org", Role.RESIDENT, city=ostrava)
    client.force_login(resident)
    assert client.post(url, photos).status_code == 403
    assert (
        'id="pair-form"' not in client.get(f"/ostrava/interventions/{garden.pk}/").content.decode()
    )

    officer = make_user("referent@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    client.force_login(officer)
    # a text file named .jpg: refused with the reason, nothing stored
    fake = SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")
    response = client.post(url, {**photos, "before": jpeg_upload(), "after": fake}, follow=True)
    assert garden.pairs.count() == 0
    assert str(NOT_AN_IMAGE) in response.content.decode()
    response = client.post(url, {**photos, "before": jpeg_upload(), "after": jpeg_upload()})
    assert response.status_code == 302 and response["Location"].endswith("#pairs-admin")
    [pair] = garden.pairs.all()
    page = client.get(f"/ostrava/interventions/{garden.pk}/").content.decode()
    assert pair.after.url in page and "Od silnice" in page and 'id="pair-form"' in page
    stored = [pair.before.name, pair.after.name]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "remove", "pair": pair.pk})
    assert garden.pairs.count() == 0
    from django.core.files.storage import default_storage

    assert not any(default_storage.exists(name) for name in stored)  # its files went too


def _photos(folder, **named):
    """Real JPEG files in `folder`: name -> colour; the first carries GPS metadata."""
    from PIL import Image

    from tests.proposals.conftest import jpeg_bytes

    folder.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (49.0, 50.0, 6.0)}  # GPSInfo: where the photographer stood
    for n, (name, color) in enumerate(named.items()):
        (folder / name).write_bytes(jpeg_bytes(color, exif=exif.tobytes() if n == 0 else None))


PHOTO_FIELDS = [*FIELDS, "--before-photos-field", "pred", "--after-photos-field", "po",
                "--photo-captions-field", "popisky"]  # fmt: skip


def test_photos_named_by_the_rows_come_with_them_once(
    client, ostrava, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage
    from PIL import Image

    colours = {"zahrada-pred.jpg": "gray", "zahrada-po.jpg": "green",
               "zahrada-pred2.jpg": "black", "zahrada-po2.jpg": "olive",
               "lavicky-pred.jpg": "brown", "lavicky-po.jpg": "orange"}  # fmt: skip
    _photos(tmp_path / "foto", **colours)
    rows = [
        {**GOOD[0], "pred": "foto/zahrada-pred.jpg; foto/zahrada-pred2.jpg",
         "po": "foto/zahrada-po.jpg;foto/zahrada-po2.jpg", "popisky": "Od silnice; Od školy"},
        {**GOOD[1], "pred": "foto/lavicky-pred.jpg", "po": "foto/lavicky-po.jpg",
         "popisky": None},
    ]  # fmt: skip
    path = _write(tmp_path / "hotove.gpkg", rows)
    out = io.StringIO()
    call_command("import_interventions", str(path), "--city", "ostrava", *PHOTO_FIELDS,
                 stdout=out)  # fmt: skip
    assert "photo pairs: new 3, kept 0, removed 0" in out.getvalue()
    garden = Intervention.objects.get(title="Komunitní zahrada")
    first, second = garden.pairs.all()
    assert (first.caption, second.caption) == ("Od silnice", "Od školy")
    with Image.open(first.before.path) as stored:  # decoded and written anew
        assert stored.getpixel((5, 5))[0] > 100 and not stored.getexif()  # gray, no GPS
    assert str(tmp_path) not in first.before.name  # stored in MEDIA_ROOT, under a new name
    page = client.get(f"/ostrava/interventions/{garden.pk}/").content.decode()
    assert first.after.url in page and "Od školy" in page

    # an officer adds a pair by hand; the file drops the second pair and renames a caption
    from mapapp.models import Role
    from sites.services import intervention_add_pair
    from tests.proposals.conftest import jpeg_upload, make_user

    officer = make_user("referent@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    by_hand = intervention_add_pair(actor=officer, intervention=garden,
                                    before=jpeg_upload(), after=jpeg_upload())  # fmt: skip
    dropped = [second.before.name, second.after.name]
    rows[0] = {**rows[0], "pred": "foto/zahrada-pred.jpg", "po": "foto/zahrada-po.jpg",
               "popisky": "Od hlavní silnice"}  # fmt: skip
    _write(path, rows)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # files go once the rows have gone
        call_command("import_interventions", str(path), "--city", "ostrava", *PHOTO_FIELDS,
                     stdout=out)  # fmt: skip
    assert "photo pairs: new 0, kept 2, removed 1" in out.getvalue()
    assert set(garden.pairs.values_list("pk", flat=True)) == {first.pk, by_hand.pk}
    first.refresh_from_db()
    assert first.caption == "Od hlavní silnice"
    assert not any(default_storage.exists(name) for name in dropped)
    assert default_storage.exists(by_hand.before.name)


@pytest.mark.parametrize(
    "pred, po, why",
    [
        ("foto/chybi.jpg", "foto/po.jpg", "photo foto/chybi.jpg: no such file"),
        ("foto/text.jpg", "foto/po.jpg", "photo foto/text.jpg: The file is not a JPEG"),
        ("../tajne.jpg", "foto/po.jpg", "photo ../tajne.jpg: outside the photos folder"),
        ("foto/pred.jpg; foto/pred.jpg", "foto/po.jpg", "2 before photos but 1 after photos"),
        (";".join(["foto/pred.jpg"] * 7), ";".join(["foto/po.jpg"] * 7),
         "7 photo pairs: at most 6"),
    ],
)  # fmt: skip
def test_a_row_whose_photos_cannot_be_read_is_refused_and_nothing_is_stored(
    ostrava, tmp_path, settings, pred, po, why
):
    from pathlib import Path

    data = tmp_path / "data"
    _photos(data / "foto", **{"pred.jpg": "gray", "po.jpg": "green"})
    (data / "foto" / "text.jpg").write_text("not a photo")
    _photos(tmp_path, **{"tajne.jpg": "red"})  # beside the folder, not in it
    good = {**GOOD[1], "pred": "foto/pred.jpg", "po": "foto/po.jpg", "popisky": None}
    path = _write(data / "hotove.gpkg", [good, {**GOOD[0], "pred": pred, "po": po,
                                               "popisky": None}])  # fmt: skip
    media = Path(settings.MEDIA_ROOT)
    before = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    with pytest.raises(CommandError) as refused:
        call_command("import_interventions", str(path), "--city", "ostrava", *PHOTO_FIELDS)
    assert f"row 2: {why}" in str(refused.value)
    assert not Intervention.objects.exists()
    after = {p for p in media.rglob("*") if p.is_file()} if media.exists() else set()
    assert after == before  # the good row's photos were not stored either


def test_photos_from_another_folder(ostrava, tmp_path):
    _photos(tmp_path / "archiv", **{"a.jpg": "gray", "b.jpg": "green"})
    path = _write(tmp_path / "hotove.gpkg",
                  [{**GOOD[1], "pred": "a.jpg", "po": "b.jpg", "popisky": "U kašny"}])  # fmt: skip
    call_command("import_interventions", str(path), "--city", "ostrava", *PHOTO_FIELDS,
                 "--photos", str(tmp_path / "archiv"), stdout=io.StringIO())  # fmt: skip
    assert Intervention.objects.get().pairs.get().caption == "U kašny"


def test_a_refusal_while_storing_takes_the_photos_already_stored_back(ostrava, tmp_path):
    """A row's pairs that no longer fit beside those officers added by hand are found only
    while storing: the rows before it, their new photo files included, are undone."""
    from pathlib import Path

    from django.conf import settings

    from mapapp.models import Role
    from sites.services import intervention_add_pair
    from tests.proposals.conftest import jpeg_upload, make_user

    _photos(tmp_path / "foto", **{"a.jpg": "gray", "b.jpg": "green", "c.jpg": "red",
                                  "d.jpg": "blue"})  # fmt: skip
    garden = {**GOOD[0], "pred": "foto/a.jpg", "po": "foto/b.jpg", "popisky": None}
    benches = {**GOOD[1], "pred": None, "po": None, "popisky": None}
    path = _write(tmp_path / "hotove.gpkg", [garden, benches])
    call_command("import_interventions", str(path), "--city", "ostrava", *PHOTO_FIELDS,
                 stdout=io.StringIO())  # fmt: skip
    officer = make_user("referent@example.org", Role.PROGRAMME_OFFICER, city=ostrava)
    full = Intervention.objects.get(title="Lavičky u kašny")
    for _ in range(6):
        intervention_add_pair(actor=officer, intervention=full, before=jpeg_upload(),
                              after=jpeg_upload())  # fmt: skip
    media = Path(settings.MEDIA_ROOT)
    files_before = {p for p in media.rglob("*") if p.is_file()}

    _write(path, [{**garden, "pred": "foto/a.jpg; foto/c.jpg", "po": "foto/b.jpg; foto/d.jpg"},
                  {**benches, "pred": "foto/c.jpg", "po": "foto/d.jpg"}])  # fmt: skip
    with pytest.raises(CommandError, match="row 2: 1 photo pairs and 6 added by hand"):
        call_command("import_interventions", str(path), "--city", "ostrava", *PHOTO_FIELDS)
    assert Intervention.objects.get(title="Komunitní zahrada").pairs.count() == 1
    assert {p for p in media.rglob("*") if p.is_file()} == files_before


def test_photos_are_re_encoded_before_the_transaction_and_progress_is_reported(ostrava, tmp_path):
    """Re-encoding is the slow part: it runs before the rows' transaction opens, so a file
    of hundreds of projects holds no locks for minutes; each stage reports its progress."""
    from django.db import connection

    from sites.importers import import_interventions

    _photos(tmp_path / "foto", **{"a.jpg": "gray", "b.jpg": "green", "c.jpg": "red",
                                  "d.jpg": "blue"})  # fmt: skip
    rows = [{**GOOD[0], "pred": "foto/a.jpg; foto/c.jpg", "po": "foto/b.jpg; foto/d.jpg",
             "popisky": None}, {**GOOD[1], "pred": None, "po": None, "popisky": None}]  # fmt: skip
    path = _write(tmp_path / "hotove.gpkg", rows)
    calls = []

    def progress(stage, done, total):
        calls.append((stage, done, total, len(connection.savepoint_ids)))

    fields = {"title": "nazev", "completed": "rok", "before_photos": "pred",
              "after_photos": "po", "photo_captions": "popisky"}  # fmt: skip
    import_interventions(city=ostrava, path=path, fields=fields, progress=progress)
    outer = calls[0][3]  # savepoints of pytest-django's own test transaction
    assert [c[:3] for c in calls if c[0] == "photos"] == [("photos", 1, 2), ("photos", 2, 2)]
    assert all(c[3] == outer for c in calls if c[0] == "photos")
    assert ("rows", 2, 2) in [c[:3] for c in calls] and calls[-1][:3] == ("saving", 2, 2)
    assert Intervention.objects.get(title="Komunitní zahrada").pairs.count() == 2


def test_two_rows_for_the_same_project_are_refused_not_merged(ostrava, tmp_path):
    """Importing again updates a project by its id (or title and date): two rows of one file
    with the same key would overwrite each other silently, so the second is refused."""
    twice = {**GOOD[1], "nazev": "Lavičky u kašny", "cislo": 1}  # GOOD[0]'s id
    path = _write(tmp_path / "hotove.gpkg", [GOOD[0], twice])
    with pytest.raises(CommandError, match="row 2: the same id as row 1"):
        call_command("import_interventions", str(path), "--city", "ostrava", *FIELDS)
    same = {**GOOD[0], "cislo": 2}  # no id column given: title and date are the key
    path = _write(tmp_path / "hotove.gpkg", [GOOD[0], same])
    no_id = FIELDS[: FIELDS.index("--id-field")]
    with pytest.raises(CommandError, match="row 2: the same title and date as row 1"):
        call_command("import_interventions", str(path), "--city", "ostrava", *no_id)
    assert not Intervention.objects.exists()


@pytest.mark.django_db(transaction=True)  # two officers' imports, in two connections
def test_two_imports_at_once_wait_for_each_other_instead_of_failing(ostrava, tmp_path):
    """Two officers import files sharing projects at the same moment, in different orders:
    each would hold a project the other needs, and the database would end one of them as a
    deadlock. The second waits for the first instead, then updates what it stored; the
    photos it prepared meanwhile for a pair the first stored are not left behind."""
    import threading
    import time
    from pathlib import Path

    from django.conf import settings
    from django.db import connection, transaction

    from sites.importers import import_interventions

    _photos(tmp_path / "foto", **{"pred.jpg": "gray", "po.jpg": "green"})
    garden = {**GOOD[0], "pred": "foto/pred.jpg", "po": "foto/po.jpg", "popisky": None}
    benches = {**GOOD[1], "pred": None, "po": None, "popisky": None}
    a_garden = _write(tmp_path / "a1.gpkg", [garden])
    a_benches = _write(tmp_path / "a2.gpkg", [benches])
    b_both = _write(tmp_path / "b.gpkg", [benches, garden])
    options = {"city": ostrava, "id_field": "cislo",
               "fields": {"title": "nazev", "completed": "rok", "before_photos": "pred",
                          "after_photos": "po", "photo_captions": "popisky"}}  # fmt: skip
    media = Path(settings.MEDIA_ROOT)
    files_before = {p for p in media.rglob("*") if p.is_file()}
    outcome, a_holds, b_started = {}, threading.Event(), threading.Event()

    def officer_a():  # one long import: the garden saved, the benches still to come
        try:
            with transaction.atomic():
                import_interventions(path=a_garden, **options)
                a_holds.set()
                b_started.wait(10)
                time.sleep(1.5)  # B saves the benches meanwhile, then waits for the garden
                import_interventions(path=a_benches, **options)
            outcome["a"] = "done"
        except Exception as error:
            outcome["a"] = repr(error)
        finally:
            a_holds.set()
            connection.close()

    def officer_b():
        b_started.set()
        try:
            result = import_interventions(path=b_both, **options)
            outcome["b"] = (result.created, result.updated, result.pairs_added, result.pairs_kept)
        except Exception as error:
            outcome["b"] = repr(error)
        finally:
            connection.close()

    a = threading.Thread(target=officer_a)
    a.start()
    a_holds.wait(30)
    b = threading.Thread(target=officer_b)
    b.start()
    a.join(60)
    b.join(60)
    assert outcome == {"a": "done", "b": (0, 2, 0, 1)}
    assert Intervention.objects.count() == 2
    [pair] = Intervention.objects.get(title="Komunitní zahrada").pairs.all()
    added = {p for p in media.rglob("*") if p.is_file()} - files_before
    assert {p.relative_to(media).as_posix() for p in added} == {pair.before.name, pair.after.name}


def test_costs_written_as_text_are_read_as_people_type_amounts(ostrava, tmp_path):
    """A city's file often holds its costs as text, as its officers wrote them: read as the
    forms read amounts; one that reads two ways ("1.500") is refused by row, not taken for
    one and a half."""
    text = [
        {"nazev": "Altán", "rok": "2020", "druh": "seating", "cislo": 11, "naklady": "12 000 Kč",
         "geometry": Point(*SQUARE)},
        {"nazev": "Záhon", "rok": "2020", "druh": "greenery", "cislo": 12,
         "naklady": "1 250,50", "geometry": Point(SQUARE[0] + 0.001, SQUARE[1])},
        {"nazev": "Lavička", "rok": "2020", "druh": "seating", "cislo": 13,
         "naklady": "1,250.50", "geometry": Point(SQUARE[0] + 0.002, SQUARE[1])},
    ]  # fmt: skip
    call_command("import_interventions", str(_write(tmp_path / "text.gpkg", text)),
                 "--city", "ostrava", *FIELDS)  # fmt: skip
    costs = dict(Intervention.objects.values_list("title", "cost"))
    assert costs == {"Altán": 12000, "Záhon": Decimal("1250.50"), "Lavička": Decimal("1250.50")}
    ambiguous = [{**text[0], "cislo": 14, "nazev": "Kašna", "naklady": "1.500"}]
    with pytest.raises(CommandError) as refused:
        call_command("import_interventions", str(_write(tmp_path / "two.gpkg", ambiguous)),
                     "--city", "ostrava", *FIELDS)  # fmt: skip
    assert "row 1:" in str(refused.value) and "1.500" in str(refused.value)
    assert not Intervention.objects.filter(title="Kašna").exists()
