"""Errors that are not the site's fault are answered as such, never as a 500 or a traceback: a database that is down
or restarting is a 503 (try again soon), an admin filter out of range a 400, an address too long a 414."""

import logging

import psycopg
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template import loader
from django.urls import reverse

from platform_site.errors import error_body

logger = logging.getLogger(__name__)

# Django's wrappers, and psycopg's own for the recommender's raw cursors (binary vector reads on Django's connection).
DATABASE_DOWN = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
RETRY_AFTER_SECONDS = 5
SERVICE_UNAVAILABLE_MESSAGE = "The service is briefly unavailable; please try again in a few seconds."


def log_database_down(request, exc: Exception) -> None:
    """One line per refused request: an outage fills the log with what happened, not with tracebacks."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    logger.warning("database unavailable, answered 503 to %s %s: %s", request.method, request.path, reason)


def already_logged(response):
    """Django logs every 5xx once more ("Service Unavailable: /path"); the line above already said it, and why."""
    response._has_been_logged = True
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage met by a view (or its template) into a 503: JSON under /api/, a page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DATABASE_DOWN):
            return None
        log_database_down(request, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse(error_body("service_unavailable", SERVICE_UNAVAILABLE_MESSAGE), status=503)
        else:
            # Rendered without the request: the usual context (user, session) needs the database.
            response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        already_logged(response)
        return response


class AdminOverflowMiddleware:
    """A filter value no column can hold (`?published_at__year=99999999999`, a 30-digit id) is bad input: 400.

    Django's admin turns most odd filters into a redirect, but a number that overflows fails later, while the query is
    compiled or the date built, on every changelist. Only under the admin: elsewhere an overflow is a bug to see.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OverflowError) or not request.path.startswith(reverse("admin:index")):
            return None
        logger.info("admin filter out of range, answered 400 to %s: %s", request.get_full_path(), exception)
        return HttpResponseBadRequest(
            "A filter in this address is out of range (a number or a year too large). Remove it and try again.",
            content_type="text/plain; charset=utf-8",
        )


# The longest address (path and query) the site reads: gunicorn's own request-line limit is set higher
# (gunicorn.conf.py), so that the refusal comes from here, as JSON under /api/, rather than as gunicorn's HTML page.
MAX_URL_LENGTH = 4094


class UrlLengthMiddleware:
    """An address longer than MAX_URL_LENGTH is a 414: the API's JSON error under /api/, a short page elsewhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if len(request.get_full_path()) <= MAX_URL_LENGTH:
            return self.get_response(request)
        message = f"The address is longer than the limit of {MAX_URL_LENGTH} characters."
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("request_uri_too_long", message), status=414)
        return HttpResponse(loader.render_to_string("414.html"), status=414)
