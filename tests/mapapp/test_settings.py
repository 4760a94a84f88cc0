"""Production settings: switched by DJANGO_ENV, strict, and clean under check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import database_url

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x7Gq!m2Vt9#rL4pZ8wK1sN6bY3hJ0cF5dA-uE_oI+tR7yP2qW9zX4vB6nM1kL8jH",
    "ALLOWED_HOSTS": "wecreatespace.example.org",
}


def test_check_deploy_passes_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_values():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0,"
        " s.EMAIL_BACKEND)"
    )
    result = manage("shell", "-c", code, **PRODUCTION, EMAIL_URL="smtp://mail.example.org:587")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "True",
        "True",
        "True",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_links_in_e_mails_use_the_site_address():
    code = "from django.conf import settings as s; print(s.SITE_URL)"
    result = manage("shell", "-c", code, **PRODUCTION)
    assert result.stdout.strip().splitlines()[-1] == "https://wecreatespace.example.org"
    result = manage("shell", "-c", code, **PRODUCTION, SITE_URL="https://grants.example.org/")
    assert result.stdout.strip().splitlines()[-1] == "https://grants.example.org"
    result = manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": ".example.org"})
    assert result.returncode != 0 and "SITE_URL" in result.stderr  # a wildcard names no site


def test_development_needs_no_environment_and_keeps_its_key_out_of_git():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
    assert (ROOT / ".local" / "secret_key").exists()
    ignored = subprocess.run(
        ["git", "check-ignore", ".local/secret_key"], cwd=ROOT, capture_output=True, text=True
    )
    assert ignored.returncode == 0


def test_migrations_match_the_models():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


PAGES_UNDER_PRODUCTION = """
import re
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", "--noinput", verbosity=0)
client = Client()
for path in ("/", "/koszalin/", "/koszalin/proposals/", "/koszalin/analysis/", "/api/v1/docs/",
             "/accounts/login/", "/no-such-page/"):
    response = client.get(path, secure=True, HTTP_HOST="wecreatespace.example.org")
    html = response.content.decode()
    refs = re.findall(r'/static/[^"\\'\\s)]+', html)
    unhashed = [r for r in refs if not re.search(r"\\.[0-9a-f]{12}\\.", r)]
    print(path, response.status_code, len(refs), unhashed)
"""


@pytest.mark.django_db(transaction=True)
def test_pages_render_with_the_production_static_storage(koszalin, tmp_path):
    """Production serves static files from collectstatic's hashed manifest, which the tests
    and runserver do not use: a missing file referenced by a template or by a stylesheet's
    url() (a vendored library upgraded without its images) would fail only in a deployment.
    Here collectstatic runs as a deployment's does, and the main pages render with every
    static reference hashed."""

    result = manage(
        "shell", "-c", PAGES_UNDER_PRODUCTION, **PRODUCTION, STATIC_ROOT=str(tmp_path),
        DATABASE_URL=database_url(),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if line[:1] == "/")
    for path in ("/", "/koszalin/", "/koszalin/proposals/", "/koszalin/analysis/",
                 "/api/v1/docs/", "/accounts/login/"):  # fmt: skip
        status, refs, unhashed = lines[path].split(" ", 2)
        assert status == "200" and int(refs) > 0 and unhashed == "[]", (path, lines[path])
    assert lines["/no-such-page/"].startswith("404 ")
    assert (tmp_path / "staticfiles.json").exists()


@pytest.mark.parametrize(
    "behind_proxy, header", [("1", "HTTP_X_REAL_IP"), ("0", "")], ids=["proxy", "direct"]
)
def test_behind_the_proxy_limits_read_the_address_nginx_saw(behind_proxy, header):
    """The deployment's nginx passes X-Real-IP; without reading it, every visitor would have
    nginx's address and share one allowance of sign-ups, logins and reports."""
    code = "from django.conf import settings as s; print(repr(s.RATE_LIMIT_ADDRESS_HEADER))"
    result = manage("shell", "-c", code, **PRODUCTION, BEHIND_TLS_PROXY=behind_proxy)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == repr(header)
