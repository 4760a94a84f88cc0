from django import forms
from django.utils.translation import gettext_lazy as _

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
    completed_on = forms.DateField(
        label=_("Completed"), widget=forms.DateInput(attrs={"type": "date"})
    )
    cost = forms.DecimalField(label=_("Cost"), min_value=0, max_digits=12, decimal_places=2)
    maintainer = forms.CharField(label=_("Maintained by"), max_length=200, required=False)
    volunteers = forms.IntegerField(label=_("Volunteers"), min_value=0, required=False)
    volunteer_hours = forms.DecimalField(label=_("Volunteer hours"), min_value=0, required=False)
    sustainability_ends_on = forms.DateField(
        label=_("Sustainability period ends"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    before = forms.FileField(label=_("Before photo"), required=False)
    after = forms.FileField(label=_("After photo, same viewpoint"), required=False)
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class PhotoPairForm(forms.Form):
    """A before/after pair added to a completed project's page."""

    before = forms.FileField(label=_("Before photo"))
    after = forms.FileField(label=_("After photo, same viewpoint"))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)
