"""Czech address points as RÚIAN publishes them (geodata.ruian): a municipality's
"Adresní místa" CSV, semicolon-separated, windows-1250, S-JTSK coordinates as positive
Y and X, imported as it comes through the command's importer and the GIS staff's API, and
then found by "find a place". The coordinates are made by pyproj from places in Ostrava,
so a wrong sign or swapped axes put the points outside the city or away from them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from geodata.importers import LayerImportError, import_layer
from geodata.models import Layer
from mapapp.models import Role
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db

HEADER = (
    "Kód ADM;Kód obce;Název obce;Název MOMC;Název MOP;Kód části obce;Název části obce;"
    "Název ulice;Typ SO;Číslo domovní;Číslo orientační;Znak čísla orientačního;PSČ;"
    "Souřadnice Y;Souřadnice X;Platí Od"
)
# (street, part of the municipality, kind and house number, orientation number and letter,
# lon/lat)
PLACES = [
    ("Nádražní", "Moravská Ostrava", "č.p.", "1256", "12", "a", (18.2870, 49.8380)),
    ("", "Proskovice", "č.p.", "45", "", "", (18.2010, 49.7600)),  # a village part: no streets
    ("Sportovní", "Přívoz", "č.p.", "1256", "", "", (18.2700, 49.8520)),
    ("Chatová", "Hrabová", "č.ev.", "12", "", "", (18.2480, 49.7780)),  # a cottage
]


def _sjtsk(lon: float, lat: float) -> tuple[float, float]:
    """RÚIAN's "Souřadnice Y" and "Souřadnice X": EPSG:5514's easting and northing,
    negated (both positive)."""
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 5514, always_xy=True).transform(lon, lat)
    return -x, -y


def ruian_csv(encoding: str = "cp1250", *, unplaced: bool = True) -> bytes:
    lines = [HEADER]
    for n, (street, part, kind, house, orientation, letter, (lon, lat)) in enumerate(PLACES):
        sy, sx = _sjtsk(lon, lat)
        lines.append(
            f"{41000000 + n};554821;Ostrava;Moravská Ostrava a Přívoz;;{400000 + n};{part};"
            f"{street};{kind};{house};{orientation};{letter};70200;{sy:.2f};{sx:.2f};"
            "2011-07-01T00:00:00"
        )
    if unplaced:  # a new address the register has not placed yet
        lines.append("41999999;554821;Ostrava;;;400009;Hrabová;Nová;č.p.;9;;;72000;;;2026-11-01")
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.mark.parametrize("encoding", ["cp1250", "utf-8-sig"])
def test_the_registers_csv_is_imported_as_published(ostrava, tmp_path, encoding):
    path = tmp_path / "20261031_OB_554821_ADR.csv"
    path.write_bytes(ruian_csv(encoding))
    report = import_layer(city=ostrava, kind="address", path=path, name="Adresní místa",
                          source="RÚIAN, ČÚZK", licence="CC BY 4.0")  # fmt: skip
    assert (report.read, report.imported, report.without_coordinates) == (4, 4, 1)
    assert "left out without coordinates 1" in report.summary()
    layer = Layer.objects.get(city=ostrava, name="Adresní místa")
    features = {f.name: f for f in layer.features.all()}
    assert sorted(features) == [
        "Chatová č. ev. 12", "Nádražní 1256/12a", "Proskovice 45", "Sportovní 1256",
    ]  # fmt: skip
    for street, part, _kind, house, _o, _l, (lon, lat) in PLACES:
        name = next(n for n in features if n.startswith(street or part))
        point = features[name].geom.transform(5514, clone=True)
        x, y = _sjtsk(lon, lat)
        assert (point.x, point.y) == pytest.approx(
            (-x, -y), abs=0.01
        )  # where the register says, to 1 cm
        assert features[name].attributes["PSČ"] == "70200"  # text, as written
        assert features[name].attributes["Číslo domovní"] == house
        assert features[name].attributes["Adresa"] == name  # the address as written, kept


def test_a_name_format_names_the_registers_columns(ostrava, tmp_path):
    path = tmp_path / "adresy.csv"
    path.write_bytes(ruian_csv())
    import_layer(city=ostrava, kind="address", path=path, name="Adresy",
                 name_format="{Název ulice|Název části obce} {Číslo domovní}, {PSČ}")  # fmt: skip
    names = sorted(Layer.objects.get(name="Adresy").features.values_list("name", flat=True))
    assert names == [
        "Chatová 12, 70200", "Nádražní 1256, 70200", "Proskovice 45, 70200",
        "Sportovní 1256, 70200",
    ]  # fmt: skip
    with pytest.raises(LayerImportError, match="Souřadnice X"):  # it lists the columns
        import_layer(city=ostrava, kind="address", path=path, name_format="{ulice}")


def test_another_csv_goes_to_gdal_with_its_coordinate_columns_found(ostrava, tmp_path):
    """Not the register's: GDAL reads it, its points from lon/lat (or x/y) columns; one
    without coordinates is refused as having no geometry, not a crash."""
    path = tmp_path / "body.csv"
    path.write_text("name;lon;lat\nKašna;18.2925;49.8355\n", encoding="utf-8")
    with pytest.raises(LayerImportError, match="no CRS"):
        import_layer(city=ostrava, kind="address", path=path)
    report = import_layer(city=ostrava, kind="address", path=path, source_srid=4326)
    feature = report.layer.features.get()
    assert feature.name == "Kašna" and feature.geom.coords == pytest.approx((18.2925, 49.8355))
    assert "lon" not in feature.attributes  # the point holds them
    table = tmp_path / "table.csv"
    table.write_text("name;street\nKašna;Masarykovo náměstí\n", encoding="utf-8")
    with pytest.raises(LayerImportError, match="has no geometry"):
        import_layer(city=ostrava, kind="address", path=table, source_srid=4326)


def test_gis_staff_send_it_to_the_api_and_residents_find_the_addresses(
    client, ostrava, django_capture_on_commit_callbacks
):
    from mapapp.services import api_token_issue

    user = make_user("gis@example.cz", Role.GIS_STAFF, city=ostrava)
    gis = {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=user, can_import=True).key}"}
    url = "/api/v1/ostrava/layers/imports/"

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("554821_ADR.csv", ruian_csv(), "text/csv")

    wrong = client.post(url, {"file": upload(), "kind": "address", "srid": "2180"}, **gis)
    assert wrong.status_code == 400
    assert "EPSG:5514" in wrong.json()["errors"]["srid"][0]  # what the register's file is
    columns = client.post(url, {"file": upload(), "kind": "address",
                                "name_format": "{ulice} {cislo}"}, **gis)  # fmt: skip
    assert (
        columns.status_code == 400 and "Název ulice" in columns.json()["errors"]["name_format"][0]
    )
    written = client.post(url, {"file": upload(), "kind": "address", "name": "Adresy",
                                "name_format": "{Adresa}, {PSČ}"}, **gis)  # fmt: skip
    assert written.status_code == 202, written.content  # the column added may be named
    park = client.post(url, {"file": upload(), "kind": "park"}, **gis)
    assert park.status_code == 400 and "Point" in park.json()["errors"]["kind"][0]
    table = SimpleUploadedFile("table.csv", b"name,street\nA,B\n", "text/csv")
    flat = client.post(url, {"file": table, "kind": "address", "srid": "4326"}, **gis)
    assert flat.status_code == 400 and "no geometry" in flat.json()["errors"]["file"][0]

    with django_capture_on_commit_callbacks(execute=True):  # the worker takes it
        sent = client.post(url, {"file": upload(), "kind": "address",
                                 "name": "Adresní místa"}, **gis)  # fmt: skip
    assert sent.status_code == 202, sent.content
    done = client.get(sent["Location"], **gis).json()
    assert done["state"] == "done" and "imported 4" in done["summary"], done
    found = client.get("/ostrava/places/", {"q": "Nádražní 12a"}).json()["places"]
    assert [p["name"] for p in found] == ["Nádražní 1256/12a"]
    assert found[0]["kind_label"] == "Address" and found[0]["geometry"]["type"] == "Point"
