"""Polish address points as the register publishes them: the PRG's address points
(*punkty adresowe*, GUGiK, open data), a GML file per municipality or larger area, zipped or
not, read as it comes, without converting it in QGIS first.

Two models are published, and both are read:

- the model of 2021 (namespace https://geoportal.gov.pl/schemas/prgad/1.0): places
  (`AD_Miejscowosc`), streets and squares (`AD_UlicaPlac`) and address points
  (`AD_PunktAdresowy`) are features apart, and a point names its place and street by
  references (`xlink:href="#<gml:id>"`) that may come before or after it in the file;
- the model of 2012 (urn:gugik:specyfikacje:gmlas:panstwowyRejestrGranicAdresy:1.0): each
  `PRG_PunktAdresowy` carries its place, part of place, street and status as text.

Coordinates are in EPSG:2180 (PUWG 1992), whose axes the EPSG register orders northing
first. A `gml:pos` is read in the order its `srsName` declares: the URN and URL forms
("urn:ogc:def:crs:EPSG::2180", the 2012 model's) in the EPSG order, the short "EPSG:2180"
(the 2021 model's) easting first, as GDAL reads them too. A wrong order would put every
point hundreds of kilometres away, and the importer would refuse the file as outside the
city.

A point whose place or street reference the file does not hold cannot be named: it is left
out and counted (`unresolved`); one without a position is left out and counted too.

Every point becomes a row with the same columns in either model, so a name format reads
the same: id_iip, miejscowosc, czesc_miejscowosci, ulica, numer, kod_pocztowy, status, and
"Adres", the address as Polish addresses are written without the postcode and the place:
"Zwycięstwa 42", or, in a place without streets, the place's name and the number,
"Konotop 2"; it names the points unless a name format is given (ADDRESS_FORMAT).

The file is parsed as a stream by lxml (libxml2), which hands over the register's features
only and drops each once read, so memory grows with the points kept, not with the file. It
loads no DTD, resolves no entity and reads nothing over the network; a file that declares
a DTD at all is refused (the register's have none)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

from lxml import etree

from geodata.registers import Addresses

SRID = 2180
ADDRESS = "Adres"  # the column added: the address as written
ADDRESS_FORMAT = "{Adres}"
COLUMNS = [
    "id_iip", "miejscowosc", "czesc_miejscowosci", "ulica", "numer", "kod_pocztowy", "status",
    ADDRESS,
]  # fmt: skip
MODEL_2021 = "https://geoportal.gov.pl/schemas/prgad/1.0"
MODEL_2012 = "urn:gugik:specyfikacje:gmlas:panstwowyRejestrGranicAdresy:1.0"
SUFFIXES = (".gml", ".xml")
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
GML_ID = "{http://www.opengis.net/gml/3.2}id"
HEAD = 16 * 1024  # the namespaces are declared on the root element, in the first lines
MAX_XML = 4 * 1024**3  # a zip's GML larger than this (unpacked): all of Poland, not a city
EPSG_CODE = re.compile(r"EPSG(?::+|/\d+/)(\d+)$", re.IGNORECASE)


class PrgFileError(ValueError):
    """The file is the register's but cannot be read as such."""


class DtdDeclared(PrgFileError):
    """The file declares a DTD: the register's files have none, and none is read."""


def _is_prg(head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore")
    return MODEL_2021 in text or MODEL_2012 in text


def _members(path: Path) -> list[str]:
    """The zip's members that are the register's GML."""
    with zipfile.ZipFile(path) as archive:
        found = []
        for info in archive.infolist():
            if info.is_dir() or not info.filename.lower().endswith(SUFFIXES):
                continue
            with archive.open(info) as member:
                if _is_prg(member.read(HEAD)):
                    found.append(info.filename)
        return found


def is_address_file(path: str | Path) -> bool:
    """Whether the file is the PRG's address points: a GML (.gml or .xml) of either model,
    or a zip holding such GML."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in SUFFIXES:
            with path.open("rb") as handle:
                return _is_prg(handle.read(HEAD))
        if suffix == ".zip" and zipfile.is_zipfile(path):
            return bool(_members(path))
    except (OSError, zipfile.BadZipFile):
        return False
    return False


def columns(path: str | Path) -> list[str]:
    """The columns a name format may name: the same for every file of the register."""
    return list(COLUMNS)


def _streams(path: Path, stack: ExitStack) -> list:
    if path.suffix.lower() != ".zip":
        return [stack.enter_context(path.open("rb"))]
    archive = stack.enter_context(zipfile.ZipFile(path))
    streams = []
    for name in _members(path):
        if archive.getinfo(name).file_size > MAX_XML:
            raise PrgFileError(
                f"{name} is {archive.getinfo(name).file_size // 1024**2} MB unpacked: import "
                "the municipality's file, not a region's"
            )
        streams.append(stack.enter_context(archive.open(name)))
    return streams


def _local(tag: str) -> tuple[str, str]:
    """An element's namespace and local name."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


FEATURES = {
    (MODEL_2021, "AD_Miejscowosc"), (MODEL_2021, "AD_UlicaPlac"),
    (MODEL_2021, "AD_PunktAdresowy"), (MODEL_2012, "PRG_PunktAdresowy"),
}  # fmt: skip
FEATURE_TAGS = sorted(f"{{{namespace}}}{name}" for namespace, name in FEATURES)


def _features(stream) -> Iterator[tuple[str, str, etree._Element]]:
    """Each feature of the register's models, whole, then dropped from the tree with what
    came before it (features of other kinds, the 2012 model's administrative units say,
    are never handed over)."""
    events = etree.iterparse(
        stream, events=("end",), tag=FEATURE_TAGS, load_dtd=False, no_network=True,
        resolve_entities=False, huge_tree=False, remove_comments=True, remove_pis=True,
    )  # fmt: skip
    checked = False
    for _event, element in events:
        if not checked:
            _refuse_a_dtd(element.getroottree())
            checked = True
        yield *_local(element.tag), element
        element.clear()
        node = element
        while node is not None:  # the feature, its member, the collection: what precedes goes
            parent = node.getparent()
            while parent is not None and node.getprevious() is not None:
                del parent[0]
            node = parent
    if not checked and events.root is not None:  # no feature: still, was it a DTD's?
        _refuse_a_dtd(events.root.getroottree())


def _refuse_a_dtd(tree) -> None:
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DtdDeclared("a DTD is declared")


def _children(element: etree._Element) -> dict[str, etree._Element]:
    """A feature's child elements by their tag, the first of each (read once, as a feature
    has a dozen children and a point is asked for most of them)."""
    return {child.tag: child for child in reversed(element)}


def _text(children: dict, namespace: str, name: str) -> str:
    child = children.get(f"{{{namespace}}}{name}")
    if child is None or child.text is None:
        return ""
    return " ".join(child.text.split())


def _descendant_text(element: etree._Element, name: str) -> str:
    """The first descendant of this local name's text, in any namespace (lokalnyId, in
    either model's identifier)."""
    found = next(element.iter(f"{{*}}{name}"), None)
    return " ".join((found.text or "").split()) if found is not None else ""


def _href(children: dict, namespace: str, *names: str) -> str | None:
    """The local reference ("#id" -> "id") of the first child of these names that has one."""
    for name in names:
        child = children.get(f"{{{namespace}}}{name}")
        if child is not None and child.get(XLINK_HREF):
            return child.get(XLINK_HREF).rsplit("#", 1)[-1]
    return None


_NORTH_FIRST: dict[str, tuple[int, bool]] = {}


def _crs(srs_name: str) -> tuple[int, bool]:
    """The EPSG code a srsName names, and whether its positions come northing first."""
    if srs_name not in _NORTH_FIRST:
        match = EPSG_CODE.search(srs_name.strip())
        srid = int(match.group(1)) if match else SRID
        north_first = False
        if srs_name.lower().startswith(("urn:", "http:", "https:")):  # the EPSG axis order
            from pyproj import CRS

            north_first = CRS.from_epsg(srid).axis_info[0].direction in ("north", "south")
        _NORTH_FIRST[srs_name] = (srid, north_first)
    return _NORTH_FIRST[srs_name]


def _position(element: etree._Element) -> tuple[int, float, float] | None:
    """The point's EPSG code, easting and northing, or None without a readable one."""
    point = next(element.iter("{*}Point"), None)
    if point is None:
        return None
    srid, north_first = _crs(point.get("srsName") or f"EPSG:{SRID}")
    pos = next(point.iter("{*}pos"), None)
    try:
        first, second = (float(v) for v in (pos.text or "").split()[:2])
    except (AttributeError, ValueError):
        return None
    return (srid, second, first) if north_first else (srid, first, second)


def written(row: dict) -> str:
    """The address as Polish addresses are written, without postcode and place: the street
    (or, where the place has no streets, the place) and the house number."""
    return f"{row.get('ulica') or row.get('miejscowosc') or ''} {row.get('numer') or ''}".strip()


def read(path: str | Path) -> Addresses:
    """The address points, in EPSG:2180 (or what their srsName says), every column text."""
    import geopandas
    import pandas

    path = Path(path)
    places: dict[str, str] = {}
    streets: dict[str, str] = {}
    points: list[tuple[dict, str | None, str | None, tuple | None]] = []
    with ExitStack() as stack:
        for stream in _streams(path, stack):
            try:
                for namespace, kind, element in _features(stream):
                    _take(namespace, kind, element, places, streets, points)
            except etree.XMLSyntaxError as exc:
                raise PrgFileError(f"{path.name} is not well-formed GML: {exc}") from exc
            except DtdDeclared as exc:
                raise PrgFileError(f"{path.name} declares a DTD, which is not read") from exc
    rows, xs, ys, srids = [], [], [], set()
    without_coordinates = unresolved = 0
    for row, place, street, position in points:
        if place is not None:
            row["miejscowosc"] = places.get(place)
        if street is not None:
            row["ulica"] = streets.get(street)
        if row["miejscowosc"] is None or row["ulica"] is None:
            unresolved += 1
            continue
        if position is None:
            without_coordinates += 1
            continue
        srid, x, y = position
        row[ADDRESS] = written(row)
        rows.append(row)
        xs.append(x)
        ys.append(y)
        srids.add(srid)
    if len(srids) > 1:
        raise PrgFileError(f"{path.name} mixes CRSs: EPSG:{', EPSG:'.join(map(str, srids))}")
    frame = geopandas.GeoDataFrame(
        pandas.DataFrame(rows, columns=COLUMNS, dtype=str),
        geometry=geopandas.points_from_xy(xs, ys),
        crs=f"EPSG:{srids.pop() if srids else SRID}",
    )
    return Addresses(frame=frame, without_coordinates=without_coordinates, unresolved=unresolved)


def _take(namespace, kind, element, places, streets, points) -> None:
    """Keeps what one feature says: a place's or street's name by its gml:id, or a point's
    columns, references and position."""
    identifier, children = element.get(GML_ID, ""), _children(element)
    if kind == "AD_Miejscowosc":
        places[identifier] = _text(children, namespace, "nazwa")
    elif kind == "AD_UlicaPlac":
        full = _text(children, namespace, "nazwaPelna")
        parts = (_text(children, namespace, "TERYTNazwa2"),
                 _text(children, namespace, "TERYTNazwa1"))  # fmt: skip
        streets[identifier] = full or " ".join(p for p in parts if p)
    elif kind == "AD_PunktAdresowy":  # the 2021 model: place and street by reference
        place = _href(children, namespace, "miejscowosc")
        street = _href(children, namespace, "ulica", "ulica1", "ulica2")
        row = _point_row(element, children, namespace)
        # without a reference to its place: nameless, left out as an unresolved one
        points.append((row, place or "", street, _position(element)))
    else:  # the 2012 model: all as text
        row = _point_row(
            element,
            children,
            namespace,
            ("miejscowosc", "miejscowosc"),
            ("czesc_miejscowosci", "czescMiejscowosci"),
            ("ulica", "ulica"),
        )
        points.append((row, None, None, _position(element)))


def _point_row(element, children, namespace, *more: tuple[str, str]) -> dict:
    """A point's columns: those both models give as text, and `more` (column, element) the
    2012 model's point carries too; the others empty, for now."""
    row = dict.fromkeys(COLUMNS, "")
    row["id_iip"] = _descendant_text(element, "lokalnyId")
    named = (("numer", "numerPorzadkowy"), ("kod_pocztowy", "kodPocztowy"), ("status", "status"))
    for column, name in (*named, *more):
        row[column] = _text(children, namespace, name)
    return row
