"""Guest learners: try the app without an account, keep the progress when signing up.

A guest is a real User flagged is_guest, created on the first request that stores something (never on
a page that only reads) and attached to the browser's session. Signing up converts that same record;
logging into an existing account from a guest session offers to merge the guest's progress into it.
"""

import secrets
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import rotate_token
from django.utils import timezone
from django.utils.module_loading import import_string

from studyapp.accounts.models import User

BACKEND = "django.contrib.auth.backends.ModelBackend"
GUESTS_PER_ADDRESS_PER_HOUR = 20
# Features that own learner data register `merge(guest, account)` here: it moves or merges the
# guest's rows into the account inside the merge transaction.
GUEST_MERGERS: list[str] = [
    "quizzes.study.guest_merge.merge_study",
    "quizzes.study.guest_merge.merge_trainer",
    "quizzes.study.guest_merge.merge_exams",
    "quizzes.classes.models.merge_guest",  # last: the account's work marks, after the work moved
]
MERGE_SESSION_KEY = "merge_guest_id"


class GuestLimitReached(Exception):
    """Too many guests were created from one address in the last hour."""

    message = (
        "Too many new guest sessions were started from your network in the last hour. "
        "Create a free account or log in to continue, or try again later."
    )


def client_address(request: HttpRequest) -> str:
    """The client's IP: REMOTE_ADDR, or the address the trusted proxies saw (DJANGO_PROXY_COUNT)."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT or 0
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "0.0.0.0")


def learner_or_none(request: HttpRequest) -> User | None:
    """The learner behind this request for pages that only read: never creates anyone.

    The user itself, not request.user's lazy proxy, which costs a lookup per attribute (a study page reads
    about a hundred)."""
    user = request.user
    if not user.is_authenticated:
        return None
    return getattr(user, "_wrapped", user)


def learner_required(view):
    """View decorator: sets request.learner to the signed-in learner or the browser's guest; anyone else is sent
    to log in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        learner = learner_or_none(request)
        if learner is None:
            return redirect_to_login(request.get_full_path())
        request.learner = learner
        return view(request, *args, **kwargs)

    return wrapper


def learner_for_write(request: HttpRequest) -> User:
    """The learner to store progress for: the signed-in user, or a guest created now (one INSERT).

    Raises GuestLimitReached when the visitor's address started too many guests in the last hour.
    """
    if request.user.is_authenticated:
        user = request.user
        if user.is_guest and (user.last_login is None or timezone.now() - user.last_login > timedelta(hours=12)):
            User.objects.filter(pk=user.pk).update(last_login=timezone.now())  # activity, for purge_guests
        return user
    address = client_address(request)
    since = timezone.now() - timedelta(hours=1)
    if User.objects.filter(is_guest=True, created_from=address, date_joined__gte=since).count() >= (
        GUESTS_PER_ADDRESS_PER_HOUR
    ):
        raise GuestLimitReached
    now = timezone.now()
    guest = User(username=f"guest-{secrets.token_hex(8)}", is_guest=True, created_from=address, last_login=now)
    guest.set_unusable_password()
    guest.save()
    guest.in_a_class = False  # as the default manager reads it: a guest joins no class (User.record_work)
    attach_to_session(request, guest)
    return guest


def attach_to_session(request: HttpRequest, user: User) -> None:
    """Log the guest in without the login signal's extra write; a fresh session key and CSRF token.

    A visitor without a session gets a new key when the session is first saved; one who had a session
    gets a new key now (no session fixation).
    """
    if request.session.session_key:
        request.session.cycle_key()
    request.session[SESSION_KEY] = str(user.pk)
    request.session[BACKEND_SESSION_KEY] = BACKEND
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    request.user = user
    rotate_token(request)


@transaction.atomic
def merge_guest_into(guest: User, account: User) -> None:
    """Move everything the guest stored into the account (each feature's merger), then remove the guest."""
    guest = User.objects.select_for_update(of=("self",)).get(pk=guest.pk, is_guest=True)
    for path in GUEST_MERGERS:
        import_string(path)(guest, account)
    guest.delete()


@transaction.atomic
def discard_guest(guest: User) -> None:
    User.objects.filter(pk=guest.pk, is_guest=True).delete()


def purge_inactive_guests(days: int) -> int:
    """Delete guests inactive for `days` days. Returns how many were removed."""
    from quizzes.itemstats.tallies import before_learner_deleted  # item statistics keep anonymous counts

    cutoff = timezone.now() - timedelta(days=days)
    stale = User.objects.filter(is_guest=True, last_login__lt=cutoff)
    count = 0
    for guest in stale.iterator():
        with transaction.atomic():
            before_learner_deleted(guest)
            guest.delete()
        count += 1
    return count
