"""The benchmark's reference endpoints: what every page and every learner POST is read against in the wrk table."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST


@require_GET
def trivial(request: HttpRequest) -> HttpResponse:
    """The yardstick: every page is measured against this view in the same run."""
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def signed_in_post(request: HttpRequest) -> HttpResponse:
    """The floor of a learner's POST: signed in (session and user), CSRF-checked, form parsed, no work of its own."""
    if not request.user.is_authenticated:
        raise Http404("No such page.")
    request.POST  # noqa: B018 - parse the form, as every learner POST does
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def signed_in_write(request: HttpRequest) -> HttpResponse:
    """The floor of a learner's POST that writes: as signed_in_post, plus one row (the learner's own, set to the
    value it has) written in a transaction."""
    if not request.user.is_authenticated:
        raise Http404("No such page.")
    request.POST  # noqa: B018
    with transaction.atomic():
        get_user_model().objects.filter(pk=request.user.pk).update(last_login=F("last_login"))
    return HttpResponse("ok", content_type="text/plain")
