import zoneinfo

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mapapp.files import delete_after_commit
from proposals.models import (
    BudgetLine,
    CareNotice,
    Criterion,
    GrantCall,
    Organisation,
    Proposal,
    Representative,
)


class RepresentativeInline(admin.TabularInline):
    model = Representative
    extra = 0
    fk_name = "organisation"
    autocomplete_fields = ("user",)
    readonly_fields = ("verified_at", "verified_by")


class OrganisationForm(forms.ModelForm):
    """The number checked and written as the city's country's registers write it, as a
    representative's request is (mapapp.countries.registration_number)."""

    class Meta:
        model = Organisation
        fields = ["city", "name", "registration_number"]

    def clean(self):
        from mapapp.countries import registration_number

        data = super().clean()
        city, number = data.get("city"), data.get("registration_number")
        if city is not None and number:
            try:
                data["registration_number"] = registration_number(city.country, number)
            except ValidationError as error:
                self.add_error("registration_number", error)
        return data


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationForm
    list_display = ("name", "registration_number", "city")
    list_filter = ("city",)
    search_fields = ("name", "registration_number")
    inlines = [RepresentativeInline]


@admin.register(Representative)
class RepresentativeAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "verified_at", "verified_by")
    list_filter = ("organisation__city",)
    search_fields = ("user__email", "organisation__name")
    readonly_fields = ("verified_at", "verified_by")
    actions = ["verify"]

    @admin.action(description=_("Verify the selected representatives"))
    def verify(self, request, queryset):
        queryset.filter(verified_at__isnull=True).update(
            verified_at=timezone.now(), verified_by=request.user
        )


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


def _city_time(call, moment) -> str:
    """A moment as the call's city's clocks show it, with the zone (the list mixes cities)."""
    from django.utils import formats

    local = timezone.localtime(moment, zoneinfo.ZoneInfo(call.city.time_zone))
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} ({call.city.time_zone})"


@admin.register(GrantCall)
class GrantCallAdmin(admin.ModelAdmin):
    """Calls are run from the officer workspace; the admin is for corrections."""

    list_display = ("__str__", "city", "opens", "closes", "total_budget", "current_round")
    list_filter = ("city",)
    list_select_related = ("city",)
    filter_horizontal = ("committee",)
    inlines = [CriterionInline]
    readonly_fields = ("current_round", "round_open", "copied_from")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "closes_at" in form.changed_data:
            from proposals.services.calls import schedule_expiry

            schedule_expiry(obj)  # its unsubmitted proposals expire at the new deadline

    @admin.display(description=_("opens"), ordering="opens_at")
    def opens(self, call):
        return _city_time(call, call.opens_at)

    @admin.display(description=_("closes"), ordering="closes_at")
    def closes(self, call):
        return _city_time(call, call.closes_at)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Dates shown and typed in the call's city's time zone, as in the officers'
        workspace (mapapp.middleware.CityTimeZone); a new call takes its city's from the form."""
        from mapapp.models import City

        zone = None
        if object_id:
            calls = GrantCall.objects.filter(pk=object_id)
            zone = calls.values_list("city__time_zone", flat=True).first()
        elif request.POST.get("city", "").isdigit():
            cities = City.objects.filter(pk=request.POST["city"])
            zone = cities.values_list("time_zone", flat=True).first()
        with timezone.override(zone or timezone.get_current_timezone()):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # the form shows its times now, while the zone is on
            return response


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    readonly_fields = ("item", "amount", "position")
    can_delete = False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    """Read-only: every change of a proposal goes through the services and the audit log."""

    list_display = ("title", "city", "grant_call", "status", "requested_amount", "granted_amount")
    list_filter = ("city", "status", "category")
    search_fields = ("title", "author__email")
    inlines = [BudgetLineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CareNotice)
class CareNoticeAdmin(admin.ModelAdmin):
    """Read-only, but deletable: the officers remove an abusive notice on the project's page
    (services.care.care_notice_remove, with a reason the resident is told); a superuser may
    also delete one here. The audit log keeps that it was sent."""

    list_display = ("proposal", "created_at", "answered_at", "abuse")
    list_filter = ("proposal__city", "abuse")
    search_fields = ("proposal__title", "author__email", "email")
    fields = readonly_fields = (
        "proposal", "author", "open311_client", "email", "text", "photo_link", "media_url",
        "created_at", "answer", "answered_at", "abuse",
    )  # fmt: skip

    @admin.display(description=_("photo"))
    def photo_link(self, obj):
        if not obj.photo:  # private storage has no public address: the page that checks
            return "—"
        url = reverse("proposals:file-care", args=[obj.proposal.city.slug, obj.proposal_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open"))

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        delete_after_commit(obj.photo)

    def delete_queryset(self, request, queryset):
        photos = [n.photo for n in queryset.exclude(photo="")]
        super().delete_queryset(request, queryset)
        delete_after_commit(*photos)
