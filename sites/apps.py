from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SitesConfig(AppConfig):
    # Label "sites" is ours: django.contrib.sites is deliberately not installed.
    name = "sites"
    verbose_name = _("Neglected sites")
