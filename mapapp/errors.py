"""A 404 whose message is written for people (translated): the error page and the machine
interfaces' JSON show it, where other 404s (unknown addresses, get_object_or_404) show a
generic text."""

from django.http import Http404


class NotFound(Http404):
    """Raise with a translated message, e.g. NotFound(_("No such collection."))."""


# The machine interfaces' paths: their errors are JSON (their clients parse the body) and they
# negotiate their language with Accept-Language alone.
MACHINE_PREFIXES = ("/api/", "/ogcapi/", "/open311/", "/tiles/")
