import re

import pytest
from django.urls import reverse

from quizzes.models import Question

pytestmark = pytest.mark.django_db


def test_the_home_page_tells_a_newcomer_where_to_start(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Where to start" in body
    assert 'href="/accounts/signup/"' in body
    assert 'href="#main"' in body  # skip link
    assert 'href="/study/"' in body  # a visitor can answer a question without signing up first


def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    body = response.content.decode()
    scripts = re.findall(r"<script[^>]*>", body)
    assert scripts, "the page loads htmx and app.js"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag
        assert "src=" in tag  # no inline script bodies
    assert "style=" not in body


def test_htmx_is_configured_for_the_strict_policy(client):
    body = client.get("/").content.decode()
    assert '"allowEval": false' in body
    assert "data-hx-headers" in body and "X-CSRFToken" in body


def test_the_health_check_answers_after_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_the_health_check_reports_503_when_the_database_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_an_unknown_address_gets_the_404_page_in_the_site_layout(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert 'class="site-header"' in body


def test_the_navigation_names_every_capability(client):
    body = client.get("/").content.decode()
    for label in ["Notes", "Study", "Scenario trainer", "Exam", "Progress"]:
        assert label in body
    assert "Author" not in body


def test_instructors_see_the_author_entry_in_the_navigation(client, instructor, learner):
    client.force_login(learner)
    assert ">Author<" not in client.get("/").content.decode()
    client.force_login(instructor)
    assert "Author" in client.get("/").content.decode()


def test_the_home_page_takes_a_bounded_number_of_queries(client, learner, django_assert_max_num_queries):
    client.force_login(learner)
    with django_assert_max_num_queries(4):  # session, user, notes and questions per domain
        client.get(reverse("home"))


def test_the_home_page_presents_the_four_domains_with_their_weights_and_content(client, loaded_content):
    body = client.get("/").content.decode()
    for label, weight in [
        ("Cloud Concepts", 24),
        ("Security and Compliance", 30),
        ("Cloud Technology and Services", 34),
        ("Billing, Pricing and Support", 12),
    ]:
        assert f">{label}</a></h3>" in body
        assert f"<strong>{weight} %</strong>" in body
    technology = Question.objects.active().filter(domain="cloud-technology").count()
    assert technology > 100 and f"{technology} practice questions" in body
    assert 'href="/notes/#security-compliance"' in body
