from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from studyapp.accounts.guests import learner_or_none
from studyapp.pagecache import stored_page


@require_GET
@stored_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", request.page_cache_context)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 only when the database answers a round trip."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database failure means "take me out of rotation"
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def trivial(request: HttpRequest) -> HttpResponse:
    """The benchmark's yardstick: every page is measured against this view in the same run."""
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def signed_in_post(request: HttpRequest, write: bool) -> HttpResponse:
    """The benchmark's floor for the learners' POSTs (`make bench` only; a 404 elsewhere): a signed-in,
    CSRF-checked POST that does no work of its own and answers "ok"; with `write`, it also writes one row
    (the learner's own, to the value it has) in a transaction. Every answer and rating costs this much
    before its own work, so the write endpoints' ratios are read against it."""
    if not settings.BENCH_ENDPOINTS:
        raise Http404("No such page.")
    learner = learner_or_none(request)
    if learner is None:
        raise Http404("No such page.")
    if write:
        with transaction.atomic(), connection.cursor() as cursor:
            table = connection.ops.quote_name(get_user_model()._meta.db_table)
            cursor.execute(f"UPDATE {table} SET last_login = last_login WHERE id = %s", [learner.pk])  # noqa: S608
    return HttpResponse("ok", content_type="text/plain")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context processors' database work, so it survives a broken DB.
    return render(request, "500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception) if exception else ""}, status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", {"reason": str(exception) if exception else ""}, status=400)
