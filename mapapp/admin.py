from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from mapapp.models import AuditEvent, City, CityRole, JobRun, OutgoingMail, User


@admin.register(City)
class CityAdmin(LeafletGeoAdmin):
    # django-leaflet's widget uses the Leaflet copy shipped in its package: works offline,
    # unlike GeoDjango's default OpenLayers widget, which loads its library from a CDN.
    list_display = ("name", "slug", "metric_srid", "default_language", "currency", "is_active")
    list_filter = ("is_active", "currency", "default_language")
    search_fields = ("name", "slug")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active", "boundary")}),
        (
            _("Region"),
            {"fields": ("metric_srid", "default_language", "currency", "time_zone", "country")},
        ),
        (_("Map"), {"fields": ("map_center", "map_zoom", "tile_url", "tile_attribution")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change):
        """A country set here fills the city's empty legal fields, as `city_add` does."""
        from mapapp.services import city_information_from_country

        super().save_model(request, obj, form, change)
        if "country" in form.changed_data and obj.country:
            city_information_from_country(actor=request.user, city=obj)


class CityRoleInline(admin.TabularInline):
    model = CityRole
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active")
    search_fields = ("email", "first_name", "last_name")
    inlines = [CityRoleInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "preferred_language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(CityRole)
class CityRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "city", "role", "created_at")
    list_filter = ("city", "role")
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ("at", "actor_label", "action", "object_type", "object_id", "city")
    list_filter = ("action", "city")
    search_fields = ("actor_label", "object_id", "note")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """E-mails waiting or given up (a sent one leaves no row), for superusers: an operator
    who has fixed the mail server or its credentials sends the given-up ones again. They
    hold personal data (recipients, decisions, links), so nobody else sees them."""

    list_display = ("created_at", "subject", "recipient_count", "failed_at", "error")
    list_filter = (("failed_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("subject", "body", "recipients", "created_at", "failed_at", "last_error")
    actions = ["send_again"]

    @admin.display(description=_("recipients"))
    def recipient_count(self, obj) -> int:
        return len(obj.recipients)

    @admin.display(description=_("error"))
    def error(self, obj) -> str:
        return obj.last_error[:120]

    @admin.action(description=_("Send the selected e-mails again"))
    def send_again(self, request, queryset):
        from mapapp.tasks import deliver_mail

        again = list(queryset.filter(failed_at__isnull=False).values_list("pk", flat=True))
        OutgoingMail.objects.filter(pk__in=again).update(failed_at=None, last_error="")
        for pk in again:
            deliver_mail.enqueue(pk)
        self.message_user(request, _("%(n)s e-mails queued again.") % {"n": len(again)})

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """When each scheduled job last worked and why it last failed (/healthz/jobs reports the
    times to monitoring, not the errors)."""

    list_display = ("name", "last_success_at", "last_failure_at")
    readonly_fields = ("name", "last_success_at", "last_failure_at", "last_error")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
