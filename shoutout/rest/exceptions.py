"""One error shape for every REST error response: ``{"code", "message", ...}``."""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shoutout.errors import ShoutOutError


def _first_code(detail):
    codes = detail if not isinstance(detail, dict) else list(detail.values())
    while isinstance(codes, (list, tuple)) and codes:
        codes = codes[0]
    return codes if isinstance(codes, str) else "invalid"


def exception_handler(exc, context):
    """Render ShoutOut errors and DRF errors with a stable ``code`` and a ``message``.

    Validation errors keep DRF's per-field messages under ``errors``.
    """
    if isinstance(exc, ShoutOutError):
        return Response(exc.as_dict(), status=exc.http_status)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = ", ".join(exc.detail) if isinstance(exc.detail, dict) else ""
        message = f"Invalid value for {fields}." if fields else "Invalid request."
        response.data = {"code": "invalid", "message": message, "errors": exc.detail}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"code": "invalid_json", "message": str(exc.detail)}
    elif isinstance(exc, exceptions.UnsupportedMediaType):
        response.data = {
            "code": "unsupported_media_type",
            "message": f"{exc.detail} Send the body as JSON with the header Content-Type: application/json.",
        }
    elif isinstance(exc, exceptions.APIException):
        code = _first_code(exc.get_codes())
        if response.status_code == status.HTTP_404_NOT_FOUND:
            code = "not_found"
        response.data = {"code": code, "message": str(exc.detail)}
    return response
