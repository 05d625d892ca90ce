"""A database outage answers 503 "try again in a moment", not a 500 error page."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger("django.request")


class DatabaseUnavailableMiddleware:
    """Turn the database errors an unreachable or restarting server raises (OperationalError, InterfaceError)
    into a 503 page with Retry-After, so that load balancers and htmx treat it as temporary.

    Nothing half-done is kept: the request's transaction was rolled back with the error, and Django hands the
    broken connection back (a pooled one is discarded by the pool), so the next request reconnects. The page
    is rendered without the request: its context processors would query the database that just failed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # Logged with its traceback: on SQLite a programming error (no such column) is an OperationalError too.
        logger.error("Database unavailable: %s %s", request.method, request.path, exc_info=exception)
        return self.unavailable()

    @staticmethod
    def unavailable() -> HttpResponse:
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response
