from django import forms
from django.utils.translation import gettext_lazy as _

from mapapp.amounts import AmountField
from mapapp.forms import LocationForm
from proposals.models import Proposal
from sites.models import Site


class SiteForm(LocationForm, forms.ModelForm):
    """A report by a resident (name, description, place, photos) or, for staff, a full site."""

    class Meta:
        model = Site
        fields = ["name", "description", "condition", "ownership", "district"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            for name in ("condition", "ownership", "district"):
                del self.fields[name]


class InterventionForm(LocationForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("The story"), widget=forms.Textarea, required=False)
    category = forms.ChoiceField(label=_("Category"), choices=Proposal.Category.choices)
    # a date input takes ISO dates only, whatever the language's own format
    completed_on = forms.DateField(
        label=_("Completed"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    cost = AmountField(label=_("Cost"), min_value=0, max_digits=12, decimal_places=2)
    maintainer = forms.CharField(label=_("Maintained by"), max_length=200, required=False)
    volunteers = forms.IntegerField(label=_("Volunteers"), min_value=0, required=False)
    volunteer_hours = forms.DecimalField(  # "12,5" in Polish and Czech too
        label=_("Volunteer hours"), min_value=0, required=False, localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )  # fmt: skip
    sustainability_ends_on = forms.DateField(
        label=_("Sustainability period ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    before = forms.FileField(label=_("Before photo"), required=False)
    after = forms.FileField(label=_("After photo, same viewpoint"), required=False)
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class PhotoPairForm(forms.Form):
    """A before/after pair added to a completed project's page."""

    before = forms.FileField(label=_("Before photo"))
    after = forms.FileField(label=_("After photo, same viewpoint"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class ProjectImportForm(forms.Form):
    """An officer's upload of completed projects (sites.project_imports): the data file, a
    zip of the photos its rows name, and the importer's options."""

    data = forms.FileField(
        label=_("Data file"),
        help_text=_(
            "A GeoPackage (.gpkg) or GeoJSON file, or a zip file holding a Shapefile, or the "
            "data file together with its photos."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".gpkg,.geojson,.json,.zip"}),
    )
    photos = forms.FileField(
        label=_("Photos (a zip file)"),
        required=False,
        help_text=_(
            "The photos the rows name, with the same folder names. Without it, the names are "
            "looked up in the data file's zip."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip"}),
    )
    id_field = forms.CharField(
        label=_("Column that identifies each project"),
        max_length=100,
        required=False,
        help_text=_(
            "Importing a corrected file again then updates those projects. Without it, a "
            "project is known by its title and date."
        ),
    )
    srid = forms.IntegerField(
        label=_("EPSG code of a file that declares no coordinate system"),
        required=False,
        min_value=1,
        max_value=999999,
    )
    sustainability_months = forms.IntegerField(
        label=_("Sustainability period (months after completion)"),
        min_value=0,
        max_value=120,
        initial=24,
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the readable rows and list the others"),
        required=False,
        help_text=_("Without it, a file with any unreadable row imports nothing."),
    )

    def __init__(self, *args, **kwargs):
        from sites.importers import INTERVENTION_FIELDS

        super().__init__(*args, **kwargs)
        for key in INTERVENTION_FIELDS:  # the file's own column names, if not ours
            self.fields[f"column_{key}"] = forms.CharField(
                label=key, max_length=100, required=False,
                widget=forms.TextInput(attrs={"placeholder": key, "autocomplete": "off"}),
            )  # fmt: skip

    def column_fields(self):
        return [self[name] for name in self.fields if name.startswith("column_")]

    def columns_given(self) -> bool:
        return any(field.value() or field.errors for field in self.column_fields())

    def main_fields(self):
        return [self[name] for name in self.fields if not name.startswith("column_")]

    def clean_data(self):
        from sites.project_imports import check_data_upload

        check_data_upload(self.cleaned_data["data"])
        return self.cleaned_data["data"]

    def clean_photos(self):
        from sites.project_imports import check_photos_upload

        photos = self.cleaned_data.get("photos")
        if photos:
            check_photos_upload(photos)
        return photos

    def clean_srid(self):
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        srid = self.cleaned_data.get("srid")
        if srid:
            try:
                CRS.from_epsg(srid)
            except CRSError:
                raise forms.ValidationError(_("Unknown EPSG code %(code)s."),
                                            params={"code": srid}) from None  # fmt: skip
        return srid

    @staticmethod
    def initial_from(options: dict) -> dict:
        """The form filled as the city's last import was (its column names, id column,
        EPSG code and period): the same file is imported again after corrections."""
        initial = {f"column_{key}": name for key, name in options.get("columns", {}).items()}
        initial.update({key: options[key] for key in ("id_field", "srid", "sustainability_months")
                        if options.get(key) not in (None, "")})  # fmt: skip
        return initial

    def options(self) -> dict:
        data = self.cleaned_data
        columns = {name.removeprefix("column_"): value.strip() for name, value in data.items()
                   if name.startswith("column_") and value.strip()}  # fmt: skip
        return {"id_field": data["id_field"].strip(), "srid": data["srid"],
                "sustainability_months": data["sustainability_months"],
                "skip_invalid": data["skip_invalid"], "columns": columns}  # fmt: skip
