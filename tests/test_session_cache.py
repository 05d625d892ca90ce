"""Sessions read through a file cache shared by the workers of one host (DJANGO_SESSION_CACHE_DIR): Django's
`cached_db` engine over its file-based cache, so a signed-in request runs no session query and a logout in one
worker is seen by every other."""

import pytest
from django.core.cache.backends.filebased import FileBasedCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_dir(settings, tmp_path):
    directory = tmp_path / "sessions"
    settings.CACHES = {
        **settings.CACHES,
        "sessions": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(directory)},
    }
    settings.SESSION_CACHE_ALIAS = "sessions"
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    return directory


def another_workers_view(directory, client: Client):
    """What a worker that has never seen this session finds in the shared directory."""
    from django.contrib.sessions.backends.cached_db import KEY_PREFIX

    cache = FileBasedCache(str(directory), {})
    return cache.get(KEY_PREFIX + client.cookies["sessionid"].value)


def test_a_signed_in_page_reads_its_session_from_the_shared_directory(client, learner, shared_dir):
    assert client.post("/accounts/login/", {"username": learner.username, "password": PASSWORD}).status_code == 302
    assert another_workers_view(shared_dir, client) is not None  # written through at login
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/study/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert client.get("/").context["user"] == learner


def test_a_logout_in_one_worker_signs_out_every_other(client, learner, shared_dir):
    client.post("/accounts/login/", {"username": learner.username, "password": PASSWORD})
    other_tab = Client()
    other_tab.cookies["sessionid"] = client.cookies["sessionid"].value
    assert other_tab.get("/").context["user"] == learner
    client.post("/accounts/logout/")
    assert another_workers_view(shared_dir, other_tab) is None  # gone from the directory every worker reads
    assert not other_tab.get("/").context["user"].is_authenticated
