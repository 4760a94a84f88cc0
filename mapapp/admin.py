from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from mapapp.models import AuditEvent, City, CityRole, User


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
        (_("Region"), {"fields": ("metric_srid", "default_language", "currency", "time_zone")}),
        (_("Map"), {"fields": ("map_center", "map_zoom", "tile_url", "tile_attribution")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )


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
