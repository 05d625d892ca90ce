from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.core.exceptions import BadRequest
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from studyapp.accounts import guests
from studyapp.accounts.forms import SignUpForm
from studyapp.accounts.models import User

BACKEND = guests.BACKEND


@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    """Create an account; from a guest session, the guest itself becomes the account (same record)."""
    user = request.user
    if user.is_authenticated and not user.is_guest:
        return redirect("home")
    guest = user if user.is_authenticated else None
    form = SignUpForm(request.POST or None, instance=guest)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                account = form.save(commit=False)
                account.is_guest = False
                account.created_from = None
                account.save()
        except IntegrityError:
            form.add_error("username", "A user with that username already exists.")
        else:
            login(request, account, backend=BACKEND)  # new session key: the guest's cookie stops working
            kept = " Your progress so far is kept." if guest else ""
            messages.success(request, f"Welcome, {account.username}! Your account is ready.{kept}")
            return redirect(_safe_next(request) or "home")
    return render(request, "accounts/signup.html", {"form": form, "converting_guest": guest is not None})


class GuestAwareLoginView(LoginView):
    """Logging in from a guest session asks whether to merge the guest's progress into the account."""

    def form_valid(self, form):
        current = self.request.user
        guest = current if current.is_authenticated and current.is_guest else None
        response = super().form_valid(form)
        if guest is not None and guest.pk != form.get_user().pk:
            self.request.session[guests.MERGE_SESSION_KEY] = guest.pk
            target = self.get_success_url()
            return HttpResponseRedirect(f"/accounts/merge/?next={target}")
        return response


@require_http_methods(["GET", "POST"])
def merge_guest(request: HttpRequest) -> HttpResponse:
    """Merge or discard the guest progress left behind when this learner logged in."""
    if not request.user.is_authenticated or request.user.is_guest:
        return redirect("login")
    guest_id = request.session.get(guests.MERGE_SESSION_KEY)
    guest = User.objects.filter(pk=guest_id, is_guest=True).first() if isinstance(guest_id, int) else None
    next_url = _safe_next(request) or "/"
    if guest is None:
        request.session.pop(guests.MERGE_SESSION_KEY, None)
        return redirect(next_url)
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice == "merge":
            guests.merge_guest_into(guest, request.user)
            messages.success(request, "Your guest progress is now part of your account.")
        elif choice == "discard":
            guests.discard_guest(guest)
            messages.info(request, "The guest progress was discarded.")
        else:
            raise BadRequest("Choose whether to merge or discard the guest progress.")
        request.session.pop(guests.MERGE_SESSION_KEY, None)
        return redirect(next_url)
    return render(request, "accounts/merge.html", {"guest": guest, "next": next_url})


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None
