"""The layer upload's form: the admin's upload page and the REST API's layer import
(geodata.apis.LayerImportApi) check a file and its options with it.

Beyond its fields, the form reads the file's description (pyogrio.read_info: its CRS,
geometry type, columns and count; a scan of a text format, O(1) for GeoPackage, Shapefile
or FlatGeobuf) so that what the importer would surely refuse (a file GDAL cannot read, no
CRS and none given, the wrong geometry for the kind, no features, a name format naming a
missing column) is said at once, by the field at fault, rather than by a job that fails
later. What needs every feature read (invalid geometry, features outside the city) is
still the importer's to find."""

import contextlib
import tempfile
from pathlib import Path

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geodata.importers import (
    LayerImportError,
    geometry_family,
    name_format_fields,
    open_options,
    wanted,
)
from geodata.models import Layer
from mapapp.forms import PlainLabels
from mapapp.models import City

MAX_UPLOAD = 200 * 1024 * 1024
ALLOWED_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".kml", ".gml", ".xml", ".fgb", ".csv"}


class LayerUploadForm(PlainLabels, forms.Form):
    city = forms.ModelChoiceField(queryset=City.objects.defer("boundary"))
    kind = forms.ChoiceField(choices=Layer.Kind.choices)
    name = forms.CharField(
        max_length=200,
        required=False,
        help_text=_("Same name as an existing layer: a new version of it."),
    )
    file = forms.FileField(
        help_text=_(
            "GeoJSON, GeoPackage, zipped Shapefile, or any format GDAL reads; address points "
            "as the registers publish them: RÚIAN's CSV of a Czech municipality, the Polish "
            "PRG's GML (zipped or not)."
        )
    )
    srid = forms.IntegerField(required=False, label=_("CRS (EPSG) of a file that declares none"))
    name_format = forms.CharField(
        max_length=300,
        required=False,
        label=_("Feature names from columns"),
        help_text=_(
            "For address points, whose street and numbers are columns apart: the columns in "
            "braces, e.g. {street} {number}. Empty: the file's name column."
        ),
    )
    make_valid = forms.BooleanField(required=False, label=_("Repair invalid geometry"))
    source = forms.CharField(max_length=300, required=False)
    licence = forms.CharField(max_length=200, required=False)

    def clean_name_format(self):
        name_format = self.cleaned_data["name_format"].strip()
        if name_format:
            try:
                name_format_fields(name_format)
            except LayerImportError:
                raise forms.ValidationError(
                    _("Write the columns in braces, e.g. {street} {number}.")
                ) from None
        return name_format

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise forms.ValidationError(_("Unsupported file type."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is too large."))
        return upload

    def clean(self):
        data = super().clean()
        upload, kind = data.get("file"), data.get("kind")
        if upload is not None and kind and "srid" not in self.errors:
            self._check_contents(upload, kind, data.get("srid"), data.get("name_format"))
        return data

    def _check_contents(self, upload, kind, srid, name_format) -> None:
        import pyogrio

        from geodata.registers import register_of

        with on_disk(upload) as path:
            register = register_of(path)
            if register:  # an address register's file: read by us, not GDAL
                info = {"crs": f"EPSG:{register.SRID}", "geometry_type": "Point",
                        "fields": register.columns(path)}  # fmt: skip
            else:
                try:
                    info = pyogrio.read_info(path, **open_options(path))
                except Exception as exc:  # noqa: BLE001 - pyogrio raises several types
                    self.add_error("file", gettext("GDAL cannot read this file: %(reason)s")
                                   % {"reason": str(exc)[:300]})  # fmt: skip
                    return
                if not info.get("geometry_type"):
                    self.add_error("file", gettext(
                        "The file has no geometry: a CSV needs a WKT column, or lon and lat "
                        "(or x and y) columns."))  # fmt: skip
                    return
        declared = info.get("crs")
        if not declared and srid is None:
            self.add_error("srid", gettext("The file declares no CRS: give its EPSG code."))
        elif declared and srid is not None and _epsg(declared) != srid:
            self.add_error("srid", gettext("The file declares %(crs)s, not EPSG:%(srid)s.")
                           % {"crs": declared[:200], "srid": srid})  # fmt: skip
        family = geometry_family(info.get("geometry_type"))
        if family and family not in wanted(kind):
            self.add_error("kind", gettext(
                "The file holds %(found)s geometry; this kind of layer needs %(wanted)s."
            ) % {"found": family, "wanted": " / ".join(wanted(kind))})  # fmt: skip
        if info.get("features") == 0:
            self.add_error("file", gettext("The file has no features."))
        if name_format:
            columns = [str(c) for c in info.get("fields", [])]
            missing = [f for f in name_format_fields(name_format) if f not in columns]
            if missing:
                self.add_error(
                    "name_format",
                    gettext("No such column: %(missing)s. The file's columns: %(columns)s.")
                    % {"missing": ", ".join(missing), "columns": ", ".join(columns)[:500]},
                )


def _epsg(declared: str) -> int | None:
    """The EPSG code of a CRS as pyogrio gives it (None: none, or not one pyproj reads)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(declared).to_epsg()
    except CRSError:
        return None


@contextlib.contextmanager
def on_disk(upload):
    """The upload as a file GDAL can open: where Django keeps a large one already, else a
    copy in a temporary folder (with its name, whose suffix tells GDAL the format). The
    upload is read from its start again afterwards."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
    else:
        with tempfile.TemporaryDirectory(prefix="layer-check-") as folder:
            path = Path(folder) / Path(upload.name).name
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            yield str(path)
    upload.seek(0)
