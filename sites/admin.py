"""Admin: Open311 applications and their keys (the rest of sites has its own pages)."""

from django.contrib import admin

from sites.models import Open311Client


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "is_active", "created_at")
    list_filter = ("city", "is_active")
    readonly_fields = ("api_key", "created_at")
    fields = ("city", "name", "contact_email", "is_active", "api_key", "created_at")
