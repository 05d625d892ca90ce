"""The benchmark's reference endpoints live in bench/ and exist only under bench.settings (make bench)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from studyapp.accounts.models import User

pytestmark = pytest.mark.django_db
bench_urls = pytest.mark.urls("bench.urls")


def test_the_production_site_has_no_bench_endpoints(client, learner):
    client.force_login(learner)
    assert client.get("/_bench/ok").status_code == 404
    assert client.post("/_bench/signed-in-post").status_code == 404
    assert client.post("/_bench/signed-in-write").status_code == 404


@bench_urls
def test_the_trivial_view_answers_ok_beside_the_whole_site(client):
    response = client.get("/_bench/ok")
    assert response.status_code == 200 and response.content == b"ok"
    assert client.get("/").status_code == 200


@bench_urls
def test_the_reference_posts_need_a_signed_in_learner_and_a_csrf_token(learner):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/_bench/signed-in-write").status_code == 403  # no CSRF token
    browser.get("/")  # the CSRF cookie
    token = browser.cookies["csrftoken"].value
    assert browser.post("/_bench/signed-in-write", headers={"X-CSRFToken": token}).status_code == 404  # nobody
    browser.force_login(learner)
    assert browser.get("/_bench/signed-in-write").status_code == 405
    response = browser.post("/_bench/signed-in-write", headers={"X-CSRFToken": browser.cookies["csrftoken"].value})
    assert response.status_code == 200
    assert response.content == b"ok"


@bench_urls
def test_the_reference_posts_take_the_unmasked_csrf_secret_the_wrk_scripts_send(learner):
    from bench.seeding import CSRF_SECRET, login_session

    browser = Client(enforce_csrf_checks=True)
    browser.cookies["sessionid"] = login_session(learner)
    browser.cookies["csrftoken"] = CSRF_SECRET
    assert browser.post("/_bench/signed-in-post", headers={"X-CSRFToken": CSRF_SECRET}).status_code == 200
    assert browser.post("/_bench/signed-in-post", headers={"X-CSRFToken": "x" * 32}).status_code == 403


@bench_urls
def test_the_reference_write_changes_nothing_in_the_learners_row(client, learner, django_assert_num_queries):
    client.force_login(learner)
    before = User.objects.values().get(pk=learner.pk)
    with django_assert_num_queries(2):  # the session, the user
        assert client.post("/_bench/signed-in-post").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.post("/_bench/signed-in-write").status_code == 200
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == 3 and statements[2].startswith("UPDATE")  # the session, the user, one row
    assert User.objects.values().get(pk=learner.pk) == before
