from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_cache_table(sender, using, verbosity=1, **kwargs):
    """The database cache's table (production's shared cache, see settings.CACHES), made by
    every `migrate` so that no deployment step can be forgotten. Does nothing for other cache
    backends or when the table exists."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=max(0, verbosity - 1))


class MapappConfig(AppConfig):
    name = "mapapp"
    verbose_name = _("Cities and accounts")

    def ready(self):
        from mapapp import signals  # noqa: F401 - connects the receivers

        post_migrate.connect(_create_cache_table, sender=self)
