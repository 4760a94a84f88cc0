from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
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


# --- API tokens. DRF's own admin listed every token's key to whoever could see the list, and
# its change and delete pages name a token by its key (Token.__str__), which the admin's log
# then keeps. Ours is a list only: the key's last characters, the holder, when it was made,
# ends and was last used, and an action that ends the chosen tokens (audited). Tokens are
# made by their holders at /me/token/ (or with `manage.py drf_create_token`). DRF's
# changelist is kept for its mapping of rows to the holder's id: a key is never in a page's
# form or address.
from django.contrib.admin import helpers  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.authtoken.admin import TokenAdmin as DrfTokenAdmin  # noqa: E402
from rest_framework.authtoken.models import Token, TokenProxy  # noqa: E402

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


class _TokenRow:
    """A token as its row names it: the holder and the key's last characters."""

    def __init__(self, token):
        self.pk, self._label = token.pk, f"{token.user} (…{token.key[-4:]})"

    def __str__(self):
        return self._label


@admin.register(TokenProxy)
class ApiTokenAdmin(DrfTokenAdmin):
    list_display = ("key_end", "user", "created", "ends", "last_used")
    list_display_links = None
    search_help_text = _("E-mail")
    actions = ["end_tokens"]

    def get_urls(self):  # the list only: no page that would name a token by its key
        return [path("", self.admin_site.admin_view(self.changelist_view),
                     name="authtoken_tokenproxy_changelist")]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "record")

    def action_checkbox(self, obj):
        """The row's checkbox is labelled with str(obj), DRF's key: with its holder here."""
        return super().action_checkbox(_TokenRow(obj))

    @admin.display(description=_("key"))
    def key_end(self, obj) -> str:
        return "…" + obj.key[-4:]

    @admin.display(description=_("ends"))
    def ends(self, obj):
        from mapapp.authentication import token_expires

        return token_expires(obj) or "—"

    @admin.display(description=_("last used"))
    def last_used(self, obj):
        record = getattr(obj, "record", None)
        return (record and record.last_used_at) or "—"

    @admin.action(description=_("End the selected tokens"), permissions=["delete"])
    def end_tokens(self, request, queryset):
        """The rows' checkboxes carry the holders' ids (TokenProxy.pk), which the admin's
        own filter of the queryset by pk cannot match: the ids are read from the form
        (unless every token the list's search and filters show was chosen)."""
        from mapapp.audit import audit_record

        if request.POST.get("select_across") == "1":
            chosen = Token.objects.filter(key__in=queryset.values("key"))
        else:
            holders = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            chosen = Token.objects.filter(user_id__in=[h for h in holders if h.isdigit()])
        ended = 0
        for token in chosen.select_related("user"):
            audit_record(actor=request.user, action="token.revoked", obj=token.user,
                         after={"by": "admin"})  # fmt: skip
            token.delete()
            ended += 1
        self.message_user(request, ngettext("%(n)s token ended.", "%(n)s tokens ended.", ended)
                          % {"n": ended})  # fmt: skip

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser
