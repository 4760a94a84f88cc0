"""Czech address points as the register publishes them: RÚIAN's "Adresní místa" CSV, one
file per municipality (ČÚZK, monthly, CC BY 4.0), read as they come, without converting
them in QGIS first.

The file is semicolon-separated, in windows-1250 (UTF-8 is read too), with Czech column
names, and gives each address point's definition point in S-JTSK as two positive numbers,
"Souřadnice Y" and "Souřadnice X" in metres: EPSG:5514 (S-JTSK / Krovak East North), whose
axes point east and north, has them negated (x = -Y, y = -X). A point the register gives no
coordinates (a few, for new addresses) cannot be placed: it is left out and counted.

The columns keep their names, so a name format names them as they are. One is added,
"Adresa": the address as Czech addresses are written, and the name when no name format is
given (ADDRESS_FORMAT): "Nádražní 1256/12a"; a village's houses, without streets, by the
part of the municipality, "Proskovice 45"; a house with a *číslo evidenční* (a temporary
or recreational building, "Typ SO" č.ev.) marked so, "Chatová č. ev. 12", since the same
number may be another house's *číslo popisné*."""

from __future__ import annotations

import csv
from pathlib import Path

from geodata.registers import Addresses

SRID = 5514
X, Y = "Souřadnice X", "Souřadnice Y"
MARKS = ("Kód ADM", X, Y)  # a header with these is RÚIAN's
ADDRESS = "Adresa"  # the column added: the address as written
ADDRESS_FORMAT = "{Adresa}"  # ADDRESS, as a name format
ENCODINGS = ("utf-8-sig", "cp1250")


def _header(path: Path) -> tuple[list[str], str] | None:
    """The file's columns and its encoding, or None when it cannot be read as text."""
    with Path(path).open("rb") as handle:
        first = handle.readline(64 * 1024)
    for encoding in ENCODINGS:
        try:
            line = first.decode(encoding)
        except UnicodeDecodeError:
            continue
        return [c.strip() for c in next(csv.reader([line], delimiter=";"), [])], encoding
    return None


def is_address_file(path: str | Path) -> bool:
    """Whether the file is a RÚIAN address points CSV (by its suffix and its header)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return False
    found = _header(path)
    return found is not None and all(mark in found[0] for mark in MARKS)


def columns(path: str | Path) -> list[str]:
    """The columns a name format may name: the file's, and the address as written."""
    found = _header(Path(path))
    return [*found[0], *([] if ADDRESS in found[0] else [ADDRESS])] if found else []


def read(path: str | Path) -> Addresses:
    """The address points, in EPSG:5514, every column kept as text (house numbers with
    leading zeros and postcodes stay as written)."""
    import geopandas
    import pandas

    path = Path(path)
    _columns, encoding = _header(path)
    table = pandas.read_csv(path, sep=";", encoding=encoding, dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    east = -pandas.to_numeric(table[Y].str.replace(",", ".").str.strip(), errors="coerce")
    north = -pandas.to_numeric(table[X].str.replace(",", ".").str.strip(), errors="coerce")
    placed = east.notna() & north.notna()
    if ADDRESS not in table.columns:
        table[ADDRESS] = [written(row) for row in table.to_dict("records")]
    frame = geopandas.GeoDataFrame(
        table[placed].reset_index(drop=True),
        geometry=geopandas.points_from_xy(east[placed], north[placed]),
        crs=f"EPSG:{SRID}",
    )
    return Addresses(frame=frame, without_coordinates=int((~placed).sum()))


def written(row: dict) -> str:
    """One address point as Czech addresses are written: street (or, without streets, the
    part of the municipality), the house number, "č. ev." before a *číslo evidenční*, and
    the orientation number with its letter after a slash."""
    place = (row.get("Název ulice") or "").strip() or (row.get("Název části obce") or "").strip()
    house = (row.get("Číslo domovní") or "").strip()
    if (row.get("Typ SO") or "").replace(" ", "").lower().startswith("č.ev"):
        house = f"č. ev. {house}"
    orientation = (row.get("Číslo orientační") or "").strip()
    if orientation:
        house += f"/{orientation}{(row.get('Znak čísla orientačního') or '').strip()}"
    return f"{place} {house}".strip()
