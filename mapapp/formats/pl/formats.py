"""Polish dates with dots, as Polish offices write them ("10.11.2026 14:05"). Django's own
`pl` writes short dates with hyphens and two spaces before the time ("10-11-2026  14:05")
and reads none of them back: its input formats are dotted. Everything else is Django's."""

from django.conf.locale.pl.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
