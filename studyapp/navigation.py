"""The site navigation. A capability appears as a link once its URL exists, so the menu never lies."""

from functools import cache

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from studyapp.accounts.roles import is_instructor

NAV_ITEMS = [
    ("Notes", "notes:index", False),
    ("Study", "study:session", False),
    ("Scenario trainer", "trainer:index", False),
    ("Exam", "exam:index", False),
    ("Progress", "progress", False),
    ("Classes", "classes:index", False),
    ("Author", "author:index", True),
]
SITE_URLS = ["home", "login", "logout", "signup", "password_change", "password_reset"]


@cache  # the URLconf does not change while the process runs: reversing is code, not data
def url_or_none(name: str) -> str | None:
    """The URL of a named route, or None while the feature behind it does not exist."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@cache
def _site_urls() -> dict[str, str | None]:
    return {name: url_or_none(name) for name in SITE_URLS}


@cache  # hashed file names are fixed once collectstatic has run
def _assets() -> dict[str, str]:
    return {"css": static("css/app.css"), "js": static("js/app.js"), "favicon": static("favicon.svg")}


def navigation(request: HttpRequest) -> dict:
    """Context for base.html: the menu (with the current section) and the account links. Lazy: an htmx
    fragment, which shows no menu, does not ask whether the user is an instructor."""
    return {
        "nav_items": SimpleLazyObject(lambda: _menu(request)),
        "site_urls": _site_urls(),
        "assets": _assets(),
    }


def _menu(request: HttpRequest) -> list[dict]:
    items = []
    for label, name, instructors_only in NAV_ITEMS:
        if instructors_only and not is_instructor(request.user):
            continue
        url = url_or_none(name)
        current = url is not None and request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    return items
