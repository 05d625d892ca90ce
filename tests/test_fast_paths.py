"""The shortcuts hot requests take (CSRF tokens, session decoding, SQLite placeholders) give Django's results."""

import re

import pytest
from django.db.backends.sqlite3.base import SQLiteCursorWrapper as DjangoCursor
from django.middleware.csrf import CSRF_SECRET_LENGTH, _unmask_cipher_token
from django.test import Client

from studyapp.accounts.backends import SessionStore
from studyapp.sqlite.base import SQLiteCursorWrapper

pytestmark = pytest.mark.django_db
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_page_tokens_are_freshly_masked_and_accepted_by_djangos_csrf_check(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    first = CSRF_INPUT.search(client.get("/settings/").content.decode()).group(1)
    second = CSRF_INPUT.search(client.get("/settings/").content.decode()).group(1)
    secret = client.cookies["csrftoken"].value
    assert first != second and len(first) == 2 * CSRF_SECRET_LENGTH
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == secret
    response = client.post("/settings/", {"csrfmiddlewaretoken": first, "theme": "dark"})
    assert response.status_code != 403


def test_a_post_with_a_made_up_token_is_still_refused(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.get("/settings/")
    response = client.post("/settings/", {"csrfmiddlewaretoken": "x" * 64, "theme": "dark"})
    assert response.status_code == 403


def test_stored_pages_get_a_fresh_csrf_token_each_time(client, learner, loaded_content):
    client.force_login(learner)
    first, second = (CSRF_INPUT.search(client.get("/notes/lambda/").content.decode()).group(1) for _ in range(2))
    assert first != second
    assert _unmask_cipher_token(first) == _unmask_cipher_token(second) == client.cookies["csrftoken"].value


def test_a_loaded_session_is_a_private_copy_and_a_changed_row_is_decoded_again():
    store = SessionStore()
    store["basket"] = ["lambda"]
    store.create()
    first = SessionStore(store.session_key)
    first["basket"].append("ecs")  # changes this request's copy only
    assert SessionStore(store.session_key)["basket"] == ["lambda"]
    first.save()
    assert SessionStore(store.session_key)["basket"] == ["lambda", "ecs"]


def test_a_tampered_session_row_loads_as_an_empty_session():
    from django.contrib.sessions.models import Session

    store = SessionStore()
    store["who"] = "someone"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(session_data="tampered:data")
    assert dict(SessionStore(store.session_key).items()) == {}


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("SELECT * FROM t WHERE a = %s AND b LIKE '%%x' AND c IN (%s, %s)", None),
        ("SELECT %(first)s, %(second)s, '100%%'", ("first", "second")),
    ],
)
def test_the_cached_placeholder_rewrite_is_djangos(query, names):
    ours = SQLiteCursorWrapper.convert_query(None, query, param_names=names)
    again = SQLiteCursorWrapper.convert_query(None, query, param_names=names)
    assert ours == again == DjangoCursor.convert_query(None, query, param_names=names)
