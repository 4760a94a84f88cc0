"""CSV files meant for spreadsheets (the officers' call table, the planners' analysis).

Two things a spreadsheet does with a plain CSV that these files prevent:
- a cell starting with =, +, -, @ (or a tab or carriage return) is run as a formula, so a
  proposal titled '=HYPERLINK(...)' would act on the officer's machine (CSV injection):
  such text cells get a leading apostrophe, which spreadsheets show as text;
- Excel reads a UTF-8 file without a byte order mark in the machine's legacy code page,
  which garbles Polish and Czech letters: the file starts with one.

GIS exports (geodata.export_jobs) stay exact: GIS tools read them, and an apostrophe would
change the data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_response(header: list[str], rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    response = HttpResponse(
        out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
