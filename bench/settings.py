"""Settings for the benchmark server: the project's, plus a plain DRF peer endpoint."""

from mapapp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
