"""Form pieces shared by the apps."""

from django import forms
from django.utils.translation import gettext_lazy as _


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
