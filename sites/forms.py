from django import forms
from django.utils.translation import gettext_lazy as _

from sites.models import Site


class SiteForm(forms.ModelForm):
    """A report by a resident (name, description, place, photos) or, for staff, a full site."""

    geom = forms.CharField(widget=forms.HiddenInput, required=False)
    area = forms.CharField(widget=forms.HiddenInput, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )

    class Meta:
        model = Site
        fields = ["name", "description", "condition", "ownership", "district"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            for name in ("condition", "ownership", "district"):
                del self.fields[name]

    def location_geojson(self):
        data = self.cleaned_data
        area, point = data.get("area") or None, data.get("geom") or None
        lat, lon = data.get("latitude"), data.get("longitude")
        if lat is not None and lon is not None and not area:
            point = f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}'
        return point, area
