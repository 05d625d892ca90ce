"""Benchmark data for `make bench`, one module per part of the app.

SEEDERS are functions `seed(learner) -> dict` whose results are merged into the values the endpoints' paths use
({placeholders} in bench/endpoints.py); each is idempotent (a PostgreSQL bench database is kept between runs).
CHECKS run against the live server after the load: `check(base_url, seed) -> (ok, message)`.
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

# The wrk scripts send this as the `csrftoken` cookie and as the X-CSRFToken header. Django's CsrfViewMiddleware
# takes a header token of CSRF_SECRET_LENGTH (32) characters as the unmasked secret and compares it with the
# cookie's, the same as a JavaScript client that copies the cookie into the header.
CSRF_SECRET = "benchcsrfsecret0123456789abcdefg"

SEEDERS: list[str] = [
    "bench.seeding.study.seed",
    "bench.seeding.study.seed_posts",
    "bench.seeding.exams.seed",
    "bench.seeding.exams.seed_burst",
    "bench.seeding.trainer.seed",
    "bench.seeding.trainer.seed_posts",
    "bench.seeding.progress.seed",
    "bench.seeding.itemstats.seed",
]

CHECKS: list[str] = [
    "bench.seeding.exams.submit_burst",
]

_AUTH_BACKEND = "django.contrib.auth.backends.ModelBackend"


def login_session(user) -> str:
    """A signed-in session for `user`, stored by the configured session engine the way `auth.login` stores it;
    returns the session key (the `sessionid` cookie's value)."""
    assert _AUTH_BACKEND in settings.AUTHENTICATION_BACKENDS, "the bench signs learners in with ModelBackend"
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = _AUTH_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
