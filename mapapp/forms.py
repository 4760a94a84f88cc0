"""Form pieces shared by the apps."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mapapp.models import CityInformation


class PlainLabels:
    """A form whose labels end without Django's colon, as the hand-written forms' labels do
    (forms rendered whole, `{{ form.as_p }}`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LocationForm(forms.Form):
    """A pin or a drawn area from the map editor, or coordinates typed without a mouse."""

    geom = forms.CharField(widget=forms.HiddenInput, required=False)
    area = forms.CharField(widget=forms.HiddenInput, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )

    def location_geojson(self):
        """(point, area) GeoJSON from the map, or a point typed as coordinates."""
        data = self.cleaned_data
        area, point = data.get("area") or None, data.get("geom") or None
        lat, lon = data.get("latitude"), data.get("longitude")
        if lat is not None and lon is not None and not area:
            point = f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}'
        return point, area


CONTACT_FIELDS = ("postal_address", "contact_email", "contact_phone", "website")
PRIVACY_FIELDS = ("dpo_contact", "authority_name", "authority_url")
ACCESSIBILITY_FIELDS = (
    "accessibility_status", "site_published_on", "site_updated_on", "accessibility_prepared_on",
    "accessibility_reviewed_on", "accessibility_method", "accessibility_contact",
    "enforcement_name", "enforcement_url",
)  # fmt: skip


def https_by_default(field, **kwargs):
    """A web address typed without its scheme is taken as https (Django 6's default)."""
    from django.db import models

    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class CityInformationForm(forms.ModelForm):
    """The city's contact, privacy and accessibility details, as officers keep them. Texts a
    resident reads have a field per language of the site (settings.LANGUAGES)."""

    PER_LANGUAGE = {
        "operator": (_("Who runs the programme (%(language)s)"), forms.TextInput),
        "introduction": (
            _("The programme in the city's words (%(language)s)"),
            lambda: forms.Textarea(attrs={"rows": 3}),
        ),
        "accessibility_findings": (
            _("Content found not accessible (%(language)s)"),
            lambda: forms.Textarea(attrs={"rows": 4}),
        ),
        "building_accessibility": (
            _("Accessibility of the office (%(language)s)"),
            lambda: forms.Textarea(attrs={"rows": 3}),
        ),
    }

    class Meta:
        model = CityInformation
        fields = [*CONTACT_FIELDS, *PRIVACY_FIELDS, *ACCESSIBILITY_FIELDS]
        formfield_callback = https_by_default
        widgets = {
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "accessibility_prepared_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "site_published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "site_updated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "accessibility_reviewed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        texts = {}
        for name, (label, widget) in self.PER_LANGUAGE.items():
            max_length = {"operator": 300, "introduction": 1000}.get(name, 4000)
            for code, language in settings.LANGUAGES:
                texts[f"{name}_{code}"] = forms.CharField(
                    label=label % {"language": language}, required=False,
                    max_length=max_length, widget=widget(),
                )  # fmt: skip
                self.initial.setdefault(
                    f"{name}_{code}", (getattr(self.instance, name) or {}).get(code, "")
                )
        # the operator's names and the introduction first, the findings among the
        # accessibility fields
        order = [*(f for f in texts if f.startswith(("operator_", "introduction_"))),
                 *self.fields]  # fmt: skip
        at = order.index("accessibility_method") + 1
        findings = [f for f in texts if f.startswith("accessibility_findings_")]
        order[at:at] = findings
        at = order.index("accessibility_contact")
        order[at:at] = [f for f in texts if f.startswith("building_accessibility_")]
        self.fields = {name: self.fields.get(name) or texts[name] for name in order}

    def groups(self) -> list[tuple[str, list]]:
        """(legend, bound fields) for the page's fieldsets."""
        groups = [
            (
                _("Contact"),
                lambda n: n.startswith(("operator_", "introduction_")) or n in CONTACT_FIELDS,
            ),
            (_("Personal data"), lambda n: n in PRIVACY_FIELDS),
            (
                _("Accessibility statement"),
                lambda n: (
                    n.startswith(("accessibility_findings_", "building_accessibility_"))
                    or n in ACCESSIBILITY_FIELDS
                ),
            ),
        ]
        return [(legend, [self[n] for n in self.fields if test(n)]) for legend, test in groups]

    def data_for_service(self) -> dict:
        """cleaned_data as the service takes it: a {language: text} dict per text."""
        from mapapp.services import INFORMATION_FIELDS

        data = {k: v for k, v in self.cleaned_data.items() if k in INFORMATION_FIELDS}
        for name in self.PER_LANGUAGE:
            data[name] = {
                code: self.cleaned_data.get(f"{name}_{code}", "")
                for code, _language in settings.LANGUAGES
            }
        return data
