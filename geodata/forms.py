"""The layer upload's form: the admin's upload page and the REST API's layer import
(geodata.apis.LayerImportApi) check a file and its options with it."""

from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from geodata.importers import LayerImportError, name_format_fields
from geodata.models import Layer
from mapapp.models import City

MAX_UPLOAD = 200 * 1024 * 1024
ALLOWED_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".kml", ".gml", ".fgb", ".csv"}


class LayerUploadForm(forms.Form):
    city = forms.ModelChoiceField(queryset=City.objects.defer("boundary"))
    kind = forms.ChoiceField(choices=Layer.Kind.choices)
    name = forms.CharField(
        max_length=200,
        required=False,
        help_text=_("Same name as an existing layer: a new version of it."),
    )
    file = forms.FileField(
        help_text=_("GeoJSON, GeoPackage, zipped Shapefile, or any format GDAL reads.")
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
