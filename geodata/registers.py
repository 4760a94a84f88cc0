"""Address registers' files as the registers publish them, read by us rather than by GDAL:
the Czech RÚIAN's CSV (geodata.ruian) and the Polish PRG's GML (geodata.prg). Each reader
module has the same parts: SRID, ADDRESS_FORMAT, is_address_file(path), columns(path) and
read(path) -> Addresses. The importer and the upload form ask `register_of(path)`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType


@dataclass
class Addresses:
    frame: object  # a GeoDataFrame in the register's CRS, every column text
    without_coordinates: int = 0  # left out: the register gives them no place
    unresolved: int = 0  # left out: their street or place is named by a reference the file
    # does not hold, so they cannot be named


def register_of(path: str | Path) -> ModuleType | None:
    """The reader of the register whose file this is, or None for any other file."""
    from geodata import prg, ruian

    return next((each for each in (ruian, prg) if each.is_address_file(Path(path))), None)
