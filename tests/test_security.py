"""Django's own CSRF protection, sessions and authentication guard every learner POST; authored text is text."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from studyapp.notes.models import Note
from tests.factories import QuestionFactory
from tests.studying import open_study

ROOT = Path(__file__).resolve().parent.parent

# Every POST a learner (or guest) sends. The CSRF check runs before the view, so the ids need not exist.
LEARNER_POSTS = [
    "/study/answer/",
    "/study/rate/",
    "/study/undo/",
    "/study/questions/1/bury/",
    "/study/questions/1/suspend/",
    "/study/questions/1/unsuspend/",
    "/study/questions/1/flag/",
    "/trainer/rounds/",
    "/trainer/rounds/1/answer/",
    "/exam/start",
    "/exam/1/q/1/",
    "/exam/1/submit",
    "/exam/1/abandon",
    "/exam/1/retake",
    "/settings/",
    "/settings/delete/",
    "/accounts/merge/",
    "/accounts/logout/",
    "/accounts/password/change/",
]


@pytest.fixture
def strict_client(learner) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    return client


def _csrf_cookie(client: Client) -> str:
    client.get("/notes/")  # any page with a form sets the cookie
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize("url", LEARNER_POSTS)
def test_a_post_without_a_csrf_token_is_refused(strict_client, url):
    response = strict_client.post(url, {"token": "x"})
    assert response.status_code == 403
    assert b"CSRF" in response.content or b"forbidden" in response.content.lower()


@pytest.mark.parametrize("url", LEARNER_POSTS)
def test_a_post_with_a_forged_csrf_token_is_refused(strict_client, url):
    _csrf_cookie(strict_client)
    forged = "a" * 64  # well-formed, but not a masking of this browser's secret
    response = strict_client.post(url, {"token": "x"}, headers={"X-CSRFToken": forged})
    assert response.status_code == 403


@pytest.mark.parametrize("url", LEARNER_POSTS)
def test_a_token_from_another_browser_is_refused(strict_client, other_learner, url):
    _csrf_cookie(strict_client)
    elsewhere = Client(enforce_csrf_checks=True)
    elsewhere.force_login(other_learner)
    their_token = _csrf_cookie(elsewhere)
    response = strict_client.post(url, {"token": "x"}, headers={"X-CSRFToken": their_token})
    assert response.status_code == 403


@pytest.mark.parametrize("url", LEARNER_POSTS)
def test_the_same_post_with_the_browsers_own_token_passes_the_check(strict_client, url):
    token = _csrf_cookie(strict_client)
    response = strict_client.post(url, {"token": "x"}, headers={"X-CSRFToken": token})
    assert response.status_code != 403
    assert response.status_code < 500


def test_a_session_survives_a_restart_of_the_app_process(tmp_path):
    """Sessions live in the database: a session made by one process signs the learner in on the next."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'restart.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }

    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    key = run(
        "from django.test import Client; from studyapp.accounts.models import User;"
        "User.objects.create_user('lin', password='a long passphrase 42');"
        "c = Client(); r = c.post('/accounts/login/', {'username': 'lin', 'password': 'a long passphrase 42'});"
        "assert r.status_code == 302, r.status_code;"
        "print(c.cookies['sessionid'].value)"
    )
    page = run(
        "from django.test import Client; c = Client(); c.cookies['sessionid'] = " + repr(key) + ";"
        "r = c.get('/progress/'); print(r.status_code, 'lin' in r.content.decode())"
    )
    assert page == "200 True"


MARKERS = [
    "{{ csrf_token }}",
    "{% csrf_token %}",
    "{{ csp_nonce }}",
    "CSRFPLACEHOLDER0cached0page0token",
    "NONCEPLACEHOLDER0cached0page",
    "STUDYTOKENPLACEHOLDER0showing",
]


def test_template_like_markers_in_a_question_are_shown_as_text(client, learner):
    text = " ".join(MARKERS)
    QuestionFactory(stem_md=text, stem_html=f"<p>{text}</p>")
    client.force_login(learner)
    response = client.get("/study/")
    page = response.content.decode()
    for marker in MARKERS:
        assert marker in page
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert page.count(nonce) == page.count(f'nonce="{nonce}"')  # the nonce only where the page puts it
    assert open_study(client).token  # the real showing token is still there


def test_template_like_markers_in_a_note_are_shown_as_text(client, learner):
    text = " ".join(MARKERS)
    Note.objects.create(
        slug="markers", title="Markers", order=1, theme="Tests", services=[], domain="cloud-concepts",
        task_statement="1.1", summary="s", body_md=text, body_html=f"<p>{text}</p>", search_text=text, source_hash="x",
    )  # fmt: skip
    for who in (None, learner):
        if who:
            client.force_login(who)
        response = client.get("/notes/markers/")
        page = response.content.decode()
        for marker in MARKERS:
            assert marker in page
        nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        assert page.count(nonce) == page.count(f'nonce="{nonce}"')
