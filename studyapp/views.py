import sys

from django.db import InterfaceError, OperationalError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from quizzes.exams.blueprint import DOMAIN_WEIGHTS
from quizzes.models import Domain, Question
from studyapp.middleware import DatabaseUnavailableMiddleware
from studyapp.notes.models import ContentRelease, Note


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The whole exam at a glance: its four domains, with what the app has to read and answer in each."""
    notes = dict(Note.objects.order_by().values_list("domain").annotate(count=Count("id")))
    questions = dict(Question.objects.active().order_by().values_list("domain").annotate(count=Count("id")))
    domains = [
        {
            "key": key,
            "label": label,
            "weight": DOMAIN_WEIGHTS[key],
            "notes": notes.get(key, 0),
            "questions": questions.get(key, 0),
        }
        for key, label in Domain.choices
    ]
    return render(request, "home.html", {"domains": domains})


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 only when the database answers a round trip."""
    try:
        ContentRelease.objects.order_by().exists()  # any table will do: a query that must reach the database
    except Exception as error:  # any database failure means "take me out of rotation"
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page; a database outage met outside a view (e.g. saving the session) answers 503 like one met in a
    view (studyapp.middleware), with a page that needs no database."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return DatabaseUnavailableMiddleware.unavailable()
    return render(request, "500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception) if exception else ""}, status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", {"reason": str(exception) if exception else ""}, status=400)
