from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from proposals.models import (
    BudgetLine,
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


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
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


@admin.register(GrantCall)
class GrantCallAdmin(admin.ModelAdmin):
    """Calls are run from the officer workspace; the admin is for corrections."""

    list_display = ("__str__", "city", "opens_at", "closes_at", "total_budget", "current_round")
    list_filter = ("city",)
    filter_horizontal = ("committee",)
    inlines = [CriterionInline]
    readonly_fields = ("current_round", "round_open", "copied_from")


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
