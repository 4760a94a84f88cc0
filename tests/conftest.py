"""Fixtures shared by the whole suite. They compose: city -> (later) grant_call -> proposal."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would then refuse ORM
# calls made by the test itself. The live server runs in its own thread and is unaffected.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests make many accounts; the production hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploads of a test go to its own folder, never to the developer's .local."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Tiles, counts and stamps are cached: no test sees another's, and a change shows at
    once (the stamp period is a production trade-off, tested where it matters)."""
    from django.core.cache import caches

    settings.DATA_STAMP_SECONDS = 0
    from mapapp.selectors import city_forget

    city_forget()  # cities kept by the process from another test's database
    for alias in ("default", "local"):
        caches[alias].clear()
    yield
    for alias in ("default", "local"):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Tasks (e-mail, exports) run when queued; the tests of the worker itself switch back
    to the database backend and start the real `db_worker`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def english_by_default():
    """Service messages are translated lazily: make the active language deterministic."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def koszalin(db):
    from mapapp.demo import DATA_DIR, DEMO_CITIES
    from mapapp.geo import read_boundary_file
    from mapapp.services import city_save

    spec = next(s for s in DEMO_CITIES if s["slug"] == "koszalin")
    city, _ = city_save(
        slug=spec["slug"],
        name=spec["name"],
        boundary=read_boundary_file(DATA_DIR / spec["file"]),
        metric_srid=spec["metric_srid"],
        default_language=spec["default_language"],
        currency=spec["currency"],
        time_zone=spec["time_zone"],
    )
    return city


@pytest.fixture
def demo_cities(db):
    from mapapp.demo import load_demo_cities

    return {c.slug: c for c in load_demo_cities()}


@pytest.fixture
def ostrava(demo_cities):
    return demo_cities["ostrava"]


# --- browser --------------------------------------------------------------------------


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Chromium is not installed: run scripts/setup.sh (Debian package 'chromium')")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    args = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # Chromium's sandbox cannot run as root
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=args)
        yield browser
        browser.close()


class PageErrors:
    """What went wrong in a page: JavaScript errors, console errors, failed or 4xx/5xx
    requests. Loads from other hosts (basemap tiles; tests have no internet) are set apart."""

    def __init__(self, origin: str):
        self.origin = origin
        self.js_errors: list[str] = []
        self.console_errors: list[tuple[str, str]] = []
        self.bad_requests: list[str] = []

    def external(self, url: str) -> bool:
        return bool(url) and not url.startswith(self.origin)

    def unexpected(self) -> list[str]:
        console = [
            text
            for text, url in self.console_errors
            if not ("Failed to load resource" in text and self.external(url))
        ]
        requests = [u for u in self.bad_requests if not self.external(u.split(" ", 1)[-1])]
        return self.js_errors + console + requests


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15000)
    page = context.new_page()
    errors = PageErrors(live_server.url)
    page.on("pageerror", lambda exc: errors.js_errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and errors.console_errors.append((msg.text, msg.location.get("url", "")))
        ),
    )
    # ERR_ABORTED: a load cut short by navigating on, not a failure of the page
    page.on(
        "requestfailed",
        lambda req: (
            "ERR_ABORTED" not in (req.failure or "")
            and errors.bad_requests.append(f"failed {req.url}")
        ),
    )
    page.on(
        "response",
        lambda resp: resp.status >= 400 and errors.bad_requests.append(f"{resp.status} {resp.url}"),
    )
    page.errors = errors
    page.base_url = live_server.url
    yield page
    context.close()


def wait_until(page, expression: str, timeout: float = 15.0) -> None:
    """Polls a JavaScript expression until it is true. page.wait_for_function evaluates its
    predicate with eval, which our Content Security Policy (rightly) refuses."""
    import time

    end = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > end:
            raise AssertionError(f"not true within {timeout} s: {expression}")
        page.wait_for_timeout(50)
