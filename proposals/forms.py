"""Forms parse input only; services validate the programme's rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mapapp.forms import LocationForm
from proposals.models import GrantCall, Proposal
from proposals.services.calls import CALL_FIELDS

BUDGET_ROWS = 8


class ProposalForm(LocationForm, forms.ModelForm):
    """The applicant's fields. Location and budget lines come as raw inputs (see views)."""

    class Meta:
        model = Proposal
        fields = [
            "title",
            "description",
            "category",
            "neighbour_involvement",
            "maintenance_plan",
            "landowner",
            "consent_document",
            "contact_phone",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "neighbour_involvement": forms.Textarea(attrs={"rows": 3}),
            "maintenance_plan": forms.Textarea(attrs={"rows": 3}),
            # a plain input: the stored file is private and has no URL to link to
            "consent_document": forms.FileInput(
                attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}
            ),
        }
        help_texts = {
            "contact_phone": _("Only programme officers see it."),
            "consent_document": _("PDF or image of the landowner's written consent."),
        }

    site = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("The site it would revitalise"),
        help_text=_("Optional. Without a pin or drawing, the project is placed at the site."),
    )

    def __init__(self, *args, **kwargs):
        from sites.selectors import sites_for_picker

        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites_for_picker(city=self.instance.city)
        self.fields["site"].initial = self.instance.site_id
        for field in self.fields.values():
            field.required = False  # drafts may be incomplete; submission checks completeness


def budget_from_post(post) -> list[tuple[str, str]]:
    items = post.getlist("budget_item")
    amounts = post.getlist("budget_amount")
    return list(zip(items, amounts, strict=False))


class SupportForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300)
    age_confirmed = forms.BooleanField(label=_("I am old enough to support"), required=False)
    follow = forms.BooleanField(
        label=_("E-mail me when it is submitted, decided and built"),
        required=False,
        help_text=_("You can stop these e-mails at any time, from a link in each of them."),
    )


class StartProposalForm(forms.Form):
    grant_call = forms.ModelChoiceField(queryset=GrantCall.objects.none(), label=_("Grant call"))
    applicant_kind = forms.ChoiceField(
        choices=Proposal.ApplicantKind.choices, label=_("I apply as"), initial="individual"
    )
    organisation = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, calls, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant_call"].queryset = calls
        self.fields["grant_call"].label_from_instance = lambda c: c.display_title
        if calls.count() == 1:
            self.fields["grant_call"].initial = calls.first().pk


class GrantCallForm(forms.ModelForm):
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    title_pl = forms.CharField(label=_("Title (Polish)"), max_length=200, required=False)
    title_cs = forms.CharField(label=_("Title (Czech)"), max_length=200, required=False)
    description_en = forms.CharField(
        label=_("Description (English)"), widget=forms.Textarea, required=False
    )
    copy_from = forms.ModelChoiceField(
        queryset=GrantCall.objects.none(), required=False, label=_("Copy rules from")
    )

    class Meta:
        model = GrantCall
        fields = ["opens_at", "closes_at", *(f for f in CALL_FIELDS if f != "description")]
        widgets = {
            "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }

    def __init__(self, *args, city, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee_size"].required = False  # newer than the form: 6 when left out
        self.fields["copy_from"].queryset = GrantCall.objects.filter(city=city)
        self.fields["copy_from"].label_from_instance = lambda c: c.display_title

    def clean_committee_size(self):
        size = self.cleaned_data.get("committee_size")
        return size if size is not None else GrantCall._meta.get_field("committee_size").default

    def titles(self) -> dict:
        return {
            lang: self.cleaned_data[f"title_{lang}"]
            for lang in ("en", "pl", "cs")
            if self.cleaned_data.get(f"title_{lang}")
        }
