import os
import shutil

import pytest

from tests.factories import InstructorFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls in browser tests are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config, items):
    """Browser tests need the system Chromium: skipped with the reason without it, unless CI requires it."""
    if CHROMIUM:
        return
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) or item.get_closest_marker("browser"):
            if REQUIRE_BROWSER:
                raise pytest.UsageError(
                    "REQUIRE_BROWSER=1 but no Chromium was found on PATH: install it (apt-get install -y chromium)."
                )
            item.add_marker(pytest.mark.skip(reason="Chromium not found (apt-get install -y chromium to run)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cache keys carry ids and versions that a rolled-back test database hands out again."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def learner(db):
    return UserFactory(username="ada")


@pytest.fixture
def other_learner(db):
    return UserFactory(username="grace")


@pytest.fixture
def instructor(db):
    return InstructorFactory(username="barbara")


@pytest.fixture
def loaded_content(db):
    """The real content/ loaded into the test database."""
    from io import StringIO

    from django.core.management import call_command

    call_command("load_content", stdout=StringIO())
