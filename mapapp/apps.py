from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MapappConfig(AppConfig):
    name = "mapapp"
    verbose_name = _("Cities and accounts")

    def ready(self):
        from mapapp import signals  # noqa: F401 - connects the receivers
