"""The API's exception handler: every error, expected or not, leaves in the one shape of `error_body`."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from platform_site.errors import error_body
from platform_site.middleware import (
    DATABASE_DOWN,
    RETRY_AFTER_SECONDS,
    SERVICE_UNAVAILABLE_MESSAGE,
    already_logged,
    log_database_down,
)
from recommendations.types import FeedRequestError

logger = logging.getLogger(__name__)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than the limit of {limit} bytes." if limit else None)


class ServiceUnavailable(exceptions.APIException):
    """The database is down or restarting: try again shortly (Retry-After), nothing was saved."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = SERVICE_UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"
    wait = RETRY_AFTER_SECONDS


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for name, value in detail.items():
            message = _first_message(value)
            if message:
                return message if name == "non_field_errors" else f"{name}: {message}"
        return ""
    if isinstance(detail, list):
        for value in detail:
            message = _first_message(value)
            if message:
                return message
        return ""
    return str(detail)


def _validation_fields(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _from_django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, exceptions.APIException):
        return exc
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, DjangoValidationError):
        return _from_django_validation_error(exc)
    if isinstance(exc, FeedRequestError):
        return exceptions.ValidationError({exc.field: [str(exc)]})
    if isinstance(exc, DATABASE_DOWN):
        return ServiceUnavailable()
    return None


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF EXCEPTION_HANDLER: every error, expected or not, leaves as the same JSON shape."""
    api_exc = _as_api_exception(exc)
    if api_exc is None:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(
            error_body("server_error", "Something went wrong on our side."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    headers = {}
    if getattr(api_exc, "auth_header", None):
        headers["WWW-Authenticate"] = api_exc.auth_header
    if getattr(api_exc, "wait", None):
        headers["Retry-After"] = str(int(api_exc.wait))
    if isinstance(api_exc, exceptions.ValidationError):
        fields = _validation_fields(api_exc.detail)
        body = error_body("invalid", _first_message(fields) or "Invalid input.", fields)
    else:
        code = getattr(api_exc.detail, "code", None) or api_exc.default_code
        body = error_body(code, str(api_exc.detail))
    set_rollback()
    response = Response(body, status=api_exc.status_code, headers=headers)
    if isinstance(api_exc, ServiceUnavailable):
        log_database_down(context["request"], exc)
        already_logged(response)
    return response


@csrf_exempt  # a write to a wrong address is a 404, not a CSRF failure page
def not_found(request, *args, **kwargs) -> JsonResponse:
    """For URLs under the API that match no endpoint."""
    return JsonResponse(
        error_body("not_found", "No API endpoint at this address (API addresses end with a slash)."), status=404
    )
