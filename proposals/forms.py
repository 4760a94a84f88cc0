"""Forms parse input only; services validate the programme's rules."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mapapp.amounts import AmountField
from mapapp.forms import LocationForm, PlainLabels
from proposals import messages as msg
from proposals.models import CareNotice, GrantCall, Proposal
from proposals.services.calls import CALL_FIELDS, MAX_CRITERIA

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


class CareNoticeForm(forms.Form):
    text = forms.CharField(
        label=_("What did you find?"),
        max_length=CareNotice.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where, what is broken or neglected, and since when, if you know."),
    )
    photo = forms.FileField(
        label=_("A photo (if you have one)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Only those who look after the place and the city see it."),
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


class CallTextsForm(PlainLabels, forms.ModelForm):
    """A call's title and description in each of the site's languages (settings.LANGUAGES:
    a language added there gets its fields here); at least one title."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        texts = {}
        for code, name in settings.LANGUAGES:
            texts[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
            )
        for code, name in settings.LANGUAGES:
            texts[f"description_{code}"] = forms.CharField(
                label=_("Description (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
            )
        self.fields = {**texts, **self.fields}  # the texts first
        if self.instance.pk:
            for code, _name in settings.LANGUAGES:
                self.initial.setdefault(f"title_{code}", (self.instance.title or {}).get(code))
                description = (self.instance.description or {}).get(code)
                self.initial.setdefault(f"description_{code}", description)

    def clean(self):
        data = super().clean()
        if not self.titles():
            self.add_error(f"title_{settings.LANGUAGES[0][0]}", msg.CALL_TITLE_MISSING)
        return data

    def _texts(self, prefix: str) -> dict:
        return {
            code: self.cleaned_data[f"{prefix}_{code}"].strip()
            for code, _name in settings.LANGUAGES
            if (self.cleaned_data.get(f"{prefix}_{code}") or "").strip()
        }

    def titles(self) -> dict:
        return self._texts("title")

    def descriptions(self) -> dict:
        return self._texts("description")


AMOUNT_FIELDS = {"total_budget": AmountField, "project_cap": AmountField}

DATETIME_WIDGETS = {  # in the city's time (the page's zone); the format the browser's input reads
    "opens_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    "closes_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
}
CALL_FORM_FIELDS = ["opens_at", "closes_at", *(f for f in CALL_FIELDS if f != "description")]


class GrantCallForm(CallTextsForm):
    copy_from = forms.ModelChoiceField(  # chosen above the form, which it then fills in
        queryset=GrantCall.objects.none(), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = GrantCall
        fields = CALL_FORM_FIELDS
        widgets = DATETIME_WIDGETS
        field_classes = AMOUNT_FIELDS  # typed as people type amounts

    def __init__(self, *args, city, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee_size"].required = False  # newer than the form: 6 when left out
        self.fields["copy_from"].queryset = GrantCall.objects.filter(city=city)

    @classmethod
    def initial_from(cls, source: GrantCall) -> dict:
        """The form filled in from an earlier call: its rules and description (a new title
        and dates are the officer's to give)."""
        initial = {
            f: getattr(source, f) for f in CALL_FORM_FIELDS if f not in ("opens_at", "closes_at")
        }
        for code, _name in settings.LANGUAGES:
            initial[f"description_{code}"] = (source.description or {}).get(code)
        return initial | {"copy_from": source.pk}

    def clean_committee_size(self):
        size = self.cleaned_data.get("committee_size")
        return size if size is not None else GrantCall._meta.get_field("committee_size").default


class GrantCallEditForm(CallTextsForm):
    """Corrections and extensions of a call (services.calls.grant_call_update): what the
    call's phase no longer allows to change is shown, not offered."""

    class Meta:
        model = GrantCall
        fields = CALL_FORM_FIELDS
        widgets = DATETIME_WIDGETS
        field_classes = AMOUNT_FIELDS  # typed as people type amounts

    def __init__(self, *args, **kwargs):
        from django.utils import timezone

        from proposals.services.calls import RULES

        super().__init__(*args, **kwargs)
        call, now = self.instance, timezone.now()
        locked = set()
        if call.opens_at <= now:
            locked |= {"opens_at", *RULES}
        if call.closes_at <= now:
            locked.add("closes_at")
        if call.current_round or call.round_open:
            locked.add("committee_size")
        for name in locked:
            self.fields[name].disabled = True
        self.locked = locked

    def changes(self) -> dict:
        out = {}
        for name in CALL_FORM_FIELDS:
            if name not in self.cleaned_data or name in self.locked:
                continue
            value, stored = self.cleaned_data[name], self.initial.get(name)
            if (
                name in DATETIME_WIDGETS
                and stored
                and value == stored.replace(second=0, microsecond=0)
            ):
                continue  # the input shows minutes: a time set to the second is unchanged
            out[name] = value
        return out


class OrganisationRequestForm(PlainLabels, forms.Form):
    name = forms.CharField(label=_("Organisation's name"), max_length=200)
    registration_number = forms.CharField(
        label=_("Registration number"),
        max_length=60,
        help_text=_(
            "As in the public register: in Poland the KRS number (or the NIP or REGON of an "
            "organisation outside the KRS), in Czechia the IČO."
        ),
    )
    role = forms.CharField(
        label=_("Your role in the organisation"),
        max_length=100,
        required=False,
        help_text=_("For example: chair of the board, member authorised by the board."),
    )


class CriterionForm(PlainLabels, forms.Form):
    """One assessment criterion of a call: its name in each language and its weight (a row
    of the criteria's formset; services.calls.criteria_set checks them together)."""

    key = forms.CharField(required=False, widget=forms.HiddenInput)
    weight = AmountField(
        label=_("Weight"), required=False, initial=Decimal("1"), max_digits=4, decimal_places=2
    )

    def __init__(self, *args, names_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # an opened call: only the names change; the weight comes from `initial`, whatever
        # is posted (services.calls.criteria_set refuses any other change)
        self.fields["weight"].disabled = names_only
        names = {
            f"name_{code}": forms.CharField(
                label=_("Name (%(language)s)") % {"language": language},
                max_length=120,
                required=False,
            )
            for code, language in settings.LANGUAGES
        }
        self.fields = {**names, **self.fields}

    def criterion(self) -> tuple[str | None, dict, Decimal | None]:
        data = self.cleaned_data
        names = {code: data.get(f"name_{code}", "") for code, _l in settings.LANGUAGES}
        return data.get("key") or None, names, data.get("weight")


class BaseCriteriaFormSet(forms.BaseFormSet):
    def rows(self) -> list[tuple[str | None, dict, Decimal | None]]:
        """The criteria sent, in order, for services.calls: the rows that were there (even
        emptied, so the service names what is wrong) and the new ones filled in, without
        those ticked for removal."""
        return [
            form.criterion()
            for form in self.forms
            if (form.initial or form.has_changed()) and not form.cleaned_data.get("DELETE")
        ]


_CRITERIA_ROWS = {
    "formset": BaseCriteriaFormSet,
    "max_num": MAX_CRITERIA,  # as many as services.calls takes, however many are sent
    "absolute_max": MAX_CRITERIA,
    "validate_max": True,
}
CriteriaFormSet = forms.formset_factory(CriterionForm, extra=2, can_delete=True, **_CRITERIA_ROWS)
# an opened call's criteria: their names only (no row added or removed)
CriteriaNamesFormSet = forms.formset_factory(CriterionForm, extra=0, **_CRITERIA_ROWS)


def criteria_initial(criteria) -> list[dict]:
    """The criteria formsets' rows for criteria as they are (a call's or a city's)."""
    return [
        {"key": c.key, "weight": c.weight}
        | {f"name_{code}": (c.name or {}).get(code, "") for code, _l in settings.LANGUAGES}
        for c in criteria
    ]
