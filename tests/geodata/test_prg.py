"""Polish address points as the PRG publishes them (geodata.prg): GUGiK's GML of a
municipality, in the model of 2021 (places, streets and points apart, joined by references,
positions easting first under "EPSG:2180") and in the model of 2012 (each point with its
names as text, positions northing first under the URN), zipped or not, imported as they come
through the command's importer and the GIS staff's API, and then found by "find a place".

The files are written here in the two models' structure, with positions made by pyproj
from places in Koszalin: a swapped axis or a wrong CRS puts the points hundreds of
kilometres away, and an unresolved reference would name a point by the wrong street."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from geodata.importers import LayerImportError, import_layer
from geodata.models import Layer
from mapapp.models import Role
from tests.proposals.conftest import make_user

pytestmark = pytest.mark.django_db

# (gml:id of the street, or None for a place without streets; house number; postcode;
# lon/lat)
POINTS = [
    ("ul-zwyciestwa", "42", "75-034", (16.18010, 54.18890)),
    ("pl-polonii", "3A", "75-001", (16.18280, 54.19120)),
    ("ul-mickiewicza", "12", "75-004", (16.17650, 54.19480)),
    ("ul-zwyciestwa", "105", "75-016", (16.18650, 54.19330)),
    (None, "7", "75-900", (16.17200, 54.16900)),  # a place without streets: its name
]
STREETS = {  # gml:id: (nazwaPelna, TERYTNazwa2, TERYTNazwa1)
    "ul-zwyciestwa": ("Zwycięstwa", "", "Zwycięstwa"),
    "pl-polonii": ("Plac Polonii", "", "Polonii"),
    "ul-mickiewicza": ("", "Adama", "Mickiewicza"),  # no full name: the parts, second first
}


def _puwg(lon: float, lat: float) -> tuple[float, float]:
    """EPSG:2180's easting and northing."""
    from pyproj import Transformer

    return Transformer.from_crs(4326, 2180, always_xy=True).transform(lon, lat)


def prg_2021(
    *, missing_street: bool = True, unplaced: bool = True, more: int = 0, outside: int = 0
) -> bytes:
    """The 2021 model: the points first, their place and streets after them, as the
    register's files may order them; one point names a street the file does not hold.
    `more` points on Zwycięstwa from number 200, `outside` just west of the city."""
    members = []
    points = list(POINTS)
    if missing_street:
        points.append(("ul-missing", "1", "75-000", (16.1800, 54.1900)))
    points += [("ul-zwyciestwa", str(200 + n), "75-016", (16.18 + n * 0.0005, 54.185))
               for n in range(more)]  # fmt: skip
    points += [("ul-zwyciestwa", str(900 + n), "75-016", (16.09, 54.19 + n * 0.001))
               for n in range(outside)]  # fmt: skip
    for n, (street, number, postcode, (lon, lat)) in enumerate(points):
        east, north = _puwg(lon, lat)
        street_ref = f'<prgad:ulica2 xlink:href="#{street}"/>' if street else ""
        members.append(f"""
  <gml:featureMember>
    <prgad:AD_PunktAdresowy gml:id="PL.ZIPIN.3261.EMUiA_p{n}_2025-10-14T14_05_46_02_00">
      <prgad:idIIP><prgad:AD_IdentyfikatorIIP>
        <prgad:lokalnyId>00000000-0000-4000-8000-00000000000{n}</prgad:lokalnyId>
        <prgad:przestrzenNazw>PL.PZGIK.200</prgad:przestrzenNazw>
      </prgad:AD_IdentyfikatorIIP></prgad:idIIP>
      <prgad:numerPorzadkowy>{number}</prgad:numerPorzadkowy>
      <prgad:georeferencja>
        <gml:Point srsName="EPSG:2180" srsDimension="2"><gml:pos>{east:.2f} {north:.2f}</gml:pos>
        </gml:Point>
      </prgad:georeferencja>
      <prgad:kodPocztowy>{postcode}</prgad:kodPocztowy>
      <prgad:miejscowosc xlink:href="#koszalin"/>
      {street_ref}
    </prgad:AD_PunktAdresowy>
  </gml:featureMember>""")
    if unplaced:  # a new address without its position yet
        members.append("""
  <gml:featureMember><prgad:AD_PunktAdresowy gml:id="unplaced">
    <prgad:numerPorzadkowy>9</prgad:numerPorzadkowy><prgad:georeferencja/>
    <prgad:miejscowosc xlink:href="#koszalin"/><prgad:ulica2 xlink:href="#ul-zwyciestwa"/>
  </prgad:AD_PunktAdresowy></gml:featureMember>""")
    for gml_id, (full, second, first) in STREETS.items():
        members.append(f"""
  <gml:featureMember>
    <prgad:AD_UlicaPlac gml:id="{gml_id}">
      <prgad:geometria></prgad:geometria>
      <prgad:nazwaPelna>{full}</prgad:nazwaPelna>
      <prgad:rodzaj>1</prgad:rodzaj>
      <prgad:TERYTNazwa1>{first}</prgad:TERYTNazwa1>
      <prgad:TERYTNazwa2>{second}</prgad:TERYTNazwa2>
      <prgad:miejsce xlink:href="#koszalin"/>
    </prgad:AD_UlicaPlac>
  </gml:featureMember>""")
    east, north = _puwg(16.1817, 54.1903)
    members.append(f"""
  <gml:featureMember>
    <prgad:AD_Miejscowosc gml:id="koszalin">
      <prgad:nazwa>Koszalin</prgad:nazwa><prgad:rodzaj>96</prgad:rodzaj>
      <prgad:georeferencja><gml:Point srsName="EPSG:2180" srsDimension="2">
        <gml:pos>{east:.0f} {north:.0f}</gml:pos></gml:Point></prgad:georeferencja>
      <prgad:TERYTGminy>3261011</prgad:TERYTGminy>
    </prgad:AD_Miejscowosc>
  </gml:featureMember>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2"
  xmlns:xlink="http://www.w3.org/1999/xlink"
  xmlns:prgad="https://geoportal.gov.pl/schemas/prgad/1.0">{"".join(members)}
</gml:FeatureCollection>
""".encode()


def prg_2012() -> bytes:
    """The 2012 model: names as text, positions northing first under the URN, and the
    administrative units, which are not points, alongside."""
    members = []
    for n, (street, number, postcode, (lon, lat)) in enumerate(POINTS):
        east, north = _puwg(lon, lat)
        name = {"ul-zwyciestwa": "Zwycięstwa", "pl-polonii": "Plac Polonii",
                "ul-mickiewicza": "Adama Mickiewicza"}.get(street)  # fmt: skip
        street_element = (
            f"<prg-ad:ulica>{name}</prg-ad:ulica>" if name
            else '<prg-ad:ulica nilReason="inapplicable" xsi:nil="true"/>'
        )  # fmt: skip
        members.append(f"""
    <prg-ad:PRG_PunktAdresowy gml:id="PL.ZIPIN.3261.EMUiA_{n}">
      <prg-ad:idIIP><bt:BT_Identyfikator><bt:lokalnyId>id-{n}</bt:lokalnyId>
      </bt:BT_Identyfikator></prg-ad:idIIP>
      <prg-ad:jednostkaAdmnistracyjna>Polska</prg-ad:jednostkaAdmnistracyjna>
      <prg-ad:miejscowosc>Koszalin</prg-ad:miejscowosc>
      <prg-ad:czescMiejscowosci nilReason="inapplicable" xsi:nil="true"/>
      {street_element}
      <prg-ad:numerPorzadkowy>{number}</prg-ad:numerPorzadkowy>
      <prg-ad:kodPocztowy>{postcode}</prg-ad:kodPocztowy>
      <prg-ad:status>istniejacy</prg-ad:status>
      <prg-ad:pozycja>
        <gml:Point srsName="urn:ogc:def:crs:EPSG::2180" srsDimension="2" gml:id="g{n}">
          <gml:pos>{north:.4f} {east:.4f}</gml:pos>
        </gml:Point>
      </prg-ad:pozycja>
    </prg-ad:PRG_PunktAdresowy>""")
    members.append("""
    <prg-ad:PRG_JednostkaAdministracyjnaNazwa gml:id="unit">
      <prg-ad:nazwa>zachodniopomorskie</prg-ad:nazwa><prg-ad:idTERYT>32</prg-ad:idTERYT>
    </prg-ad:PRG_JednostkaAdministracyjnaNazwa>""")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<gml:FeatureCollection xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:gml="http://www.opengis.net/gml/3.2"
  xmlns:bt="urn:gugik:specyfikacje:gmlas:modelPodstawowy:1.0"
  xmlns:prg-ad="urn:gugik:specyfikacje:gmlas:panstwowyRejestrGranicAdresy:1.0" gml:id="prg-ad">
  <gml:featureMembers>{"".join(members)}
  </gml:featureMembers>
</gml:FeatureCollection>
""".encode()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", "PRG - punkty adresowe")
        archive.writestr(name, data)
    return buffer.getvalue()


NAMES = ["Adama Mickiewicza 12", "Koszalin 7", "Plac Polonii 3A", "Zwycięstwa 105",
         "Zwycięstwa 42"]  # fmt: skip


def _check_points(layer: Layer) -> None:
    features = {f.name: f for f in layer.features.all()}
    assert sorted(features) == NAMES
    for street, number, postcode, (lon, lat) in POINTS:
        feature = next(f for name, f in features.items() if name.endswith(f" {number}"))
        point = feature.geom.transform(2180, clone=True)
        assert (point.x, point.y) == pytest.approx(_puwg(lon, lat), abs=0.01)  # to 1 cm
        assert feature.attributes["kod_pocztowy"] == postcode  # text, as written
        assert feature.attributes["numer"] == number
        assert feature.attributes["miejscowosc"] == "Koszalin"
        assert feature.attributes["ulica"] == (
            "" if street is None else feature.name[: -len(number) - 1]
        )
        assert feature.attributes["Adres"] == feature.name  # the address as written, kept


@pytest.mark.parametrize("packed", [False, True], ids=["gml", "zip"])
def test_the_2021_model_is_imported_as_published(koszalin, tmp_path, packed):
    if packed:
        path = tmp_path / "PRG_punkty_adresowe_3261011.zip"
        path.write_bytes(zipped("3261011_PRG_PA.xml", prg_2021()))
    else:
        path = tmp_path / "3261011_PRG_PA.gml"
        path.write_bytes(prg_2021())
    report = import_layer(city=koszalin, kind="address", path=path, name="Punkty adresowe",
                          source="PRG, GUGiK")  # fmt: skip
    assert (report.read, report.imported) == (5, 5)
    assert (report.without_coordinates, report.unresolved) == (1, 1)
    assert report.summary().endswith(
        "left out without coordinates 1, left out with their street or place missing 1"
    )
    _check_points(Layer.objects.get(city=koszalin, name="Punkty adresowe"))


def test_a_few_points_outside_the_citys_boundary_are_left_out_many_refuse_it(koszalin, tmp_path):
    """The register draws its municipality, the platform's boundary may be generalised: the
    points between the two lines are left out and counted; a file mostly outside is another
    place's, or in a wrong CRS, and is refused."""
    from django.contrib.gis.geos import Point

    assert not koszalin.boundary.contains(Point(16.09, 54.19, srid=4326))
    path = tmp_path / "PA.gml"
    path.write_bytes(prg_2021(more=20, outside=1))  # 1 of 26
    report = import_layer(city=koszalin, kind="address", path=path, name="Punkty adresowe")
    assert (report.read, report.imported, report.outside) == (26, 25, 1)
    assert report.summary().endswith("left out outside the city 1")
    layer = Layer.objects.get(name="Punkty adresowe", is_current=True)
    assert layer.feature_count == layer.features.count() == 25
    assert not layer.features.filter(name="Zwycięstwa 900").exists()
    path.write_bytes(prg_2021(more=20, outside=2))  # 2 of 27: more than 5 %
    with pytest.raises(LayerImportError, match="2 features lie outside Koszalin"):
        import_layer(city=koszalin, kind="address", path=path, name="Punkty adresowe")
    assert Layer.objects.get(name="Punkty adresowe", is_current=True) == layer  # unchanged


def test_the_2012_model_is_imported_with_its_positions_northing_first(koszalin, tmp_path):
    path = tmp_path / "punkty_2012.gml"
    path.write_bytes(prg_2012())
    report = import_layer(city=koszalin, kind="address", path=path, name="PRG 2012")
    assert (report.read, report.imported, report.unresolved) == (5, 5, 0)  # units: not points
    layer = Layer.objects.get(name="PRG 2012")
    _check_points(layer)
    assert {f.attributes["status"] for f in layer.features.all()} == {"istniejacy"}


def test_a_name_format_names_the_same_columns_in_either_model(koszalin, tmp_path):
    for n, data in enumerate([prg_2021(), prg_2012()]):
        path = tmp_path / f"prg{n}.gml"
        path.write_bytes(data)
        import_layer(city=koszalin, kind="address", path=path, name=f"A{n}",
                     name_format="{ulica|miejscowosc} {numer}, {kod_pocztowy}")  # fmt: skip
        names = sorted(Layer.objects.get(name=f"A{n}").features.values_list("name", flat=True))
        assert names == ["Adama Mickiewicza 12, 75-004", "Koszalin 7, 75-900",
                         "Plac Polonii 3A, 75-001", "Zwycięstwa 105, 75-016",
                         "Zwycięstwa 42, 75-034"]  # fmt: skip
    with pytest.raises(LayerImportError, match="kod_pocztowy"):  # it lists the columns
        import_layer(city=koszalin, kind="address", path=path, name_format="{street}")


def test_a_broken_or_hostile_file_is_refused_and_nothing_is_imported(koszalin, tmp_path):
    cut = tmp_path / "cut.gml"
    cut.write_bytes(prg_2021()[:-300])
    with pytest.raises(LayerImportError, match="not well-formed GML"):
        import_layer(city=koszalin, kind="address", path=cut)
    laughs = tmp_path / "laughs.gml"
    laughs.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml/3.2" '
        b'xmlns:prgad="https://geoportal.gov.pl/schemas/prgad/1.0">&lol2;'
        b"</gml:FeatureCollection>"
    )
    with pytest.raises(LayerImportError, match="declares a DTD"):
        import_layer(city=koszalin, kind="address", path=laughs)
    swapped = tmp_path / "swapped.gml"  # northing first under the short name: far away
    swapped.write_bytes(
        prg_2021().replace(b'srsName="EPSG:2180"', b'srsName="urn:ogc:def:crs:EPSG::2180"')
    )
    with pytest.raises(LayerImportError, match="outside Koszalin"):
        import_layer(city=koszalin, kind="address", path=swapped)
    assert not Layer.objects.filter(city=koszalin, kind="address").exists()


def test_gis_staff_send_the_zip_to_the_api_and_residents_find_the_addresses(
    client, koszalin, django_capture_on_commit_callbacks
):
    from mapapp.services import api_token_issue

    user = make_user("gis@example.org", Role.GIS_STAFF, city=koszalin)
    gis = {"HTTP_AUTHORIZATION": f"Token {api_token_issue(user=user, can_import=True).key}"}
    url = "/api/v1/koszalin/layers/imports/"

    def upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("PRG_3261011.zip", zipped("PA.gml", prg_2021()),
                                  "application/zip")  # fmt: skip

    wrong = client.post(url, {"file": upload(), "kind": "address", "srid": "4326"}, **gis)
    assert wrong.status_code == 400
    assert "EPSG:2180" in wrong.json()["errors"]["srid"][0]  # what the register's file is
    columns = client.post(url, {"file": upload(), "kind": "address",
                                "name_format": "{street} {number}"}, **gis)  # fmt: skip
    assert columns.status_code == 400
    assert "miejscowosc" in columns.json()["errors"]["name_format"][0]
    park = client.post(url, {"file": upload(), "kind": "park"}, **gis)
    assert park.status_code == 400 and "Point" in park.json()["errors"]["kind"][0]
    plain = SimpleUploadedFile("PA.xml", prg_2021(), "application/xml")  # .xml, as published
    with django_capture_on_commit_callbacks(execute=True):  # the worker takes it
        sent = client.post(url, {"file": plain, "kind": "address",
                                 "name": "Punkty adresowe"}, **gis)  # fmt: skip
    assert sent.status_code == 202, sent.content
    done = client.get(sent["Location"], **gis).json()
    assert done["state"] == "done" and "imported 5" in done["summary"], done
    found = client.get("/koszalin/places/", {"q": "Zwycięstwa 42"}).json()["places"]
    assert [p["name"] for p in found] == ["Zwycięstwa 42"]
    assert found[0]["kind_label"] == "Address" and found[0]["geometry"]["type"] == "Point"
