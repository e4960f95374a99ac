"""Errors of the JSON API: always JSON, with a message in the caller's language and details per field.

    {"error": {"status": 422, "code": "invalid", "message": "...", "fields": {"title": ["Enter a title."]}}}

`coop.errors` hands every error under /api/ here, so that even a URL the API does not have answers in JSON.
"""

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

API_PATH_PREFIX = "/api/"

# (machine code, message) per HTTP status.
STATUS_MESSAGES = {
    400: ("bad_request", _l("The request could not be understood. Nothing has been changed.")),
    401: ("unauthorized", _l("Authentication required: send a valid personal token as “Authorization: Bearer "
                             "<token>”.")),
    403: ("forbidden", _l("You do not have the rights to do this.")),
    404: ("not_found", _l("This does not exist or is not available to you.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    409: ("conflict", _l("The resource was changed meanwhile. Reload it and try again.")),
    413: ("too_large", _l("The request is too large. Nothing has been saved.")),
    415: ("unsupported_media_type", _l("Send the body as JSON (Content-Type: application/json).")),
    422: ("invalid", _l("Some fields are not valid. Nothing has been changed.")),
    429: ("too_many_requests", _l("Too many requests. Please wait a moment and try again.")),
    500: ("internal_error", _l("Something went wrong on our side. Nothing has been lost; please try again.")),
}


class ApiError(HTTPException):
    """An error the API answers with: its status, a machine code, a message and, optionally, field details."""

    def __init__(self, status: int, code: str | None = None, message: str | None = None,
                 fields: dict[str, list[str]] | None = None):
        default_code, default_message = STATUS_MESSAGES.get(status, STATUS_MESSAGES[500])
        super().__init__(str(message or default_message))
        self.code = status
        self.error_code = code or default_code
        self.message = str(message or default_message)
        self.fields = fields or {}


def invalid(fields: dict[str, list[str]], message: str | None = None, status: int = 422) -> ApiError:
    """A refusal naming the fields at fault."""
    return ApiError(status, "invalid" if status == 422 else "bad_request", message or str(STATUS_MESSAGES[422][1]),
                    {name: [str(text) for text in texts] for name, texts in fields.items()})


def is_api_request(path: str) -> bool:
    return path.startswith(API_PATH_PREFIX)


def error_response(error: HTTPException):
    """The JSON answer to `error` (an ApiError, or any HTTP error raised by Flask or Werkzeug)."""
    status = error.code or 500
    if isinstance(error, ApiError):
        code, message, fields = error.error_code, error.message, error.fields
    elif status == 401 and request.headers.get("Authorization"):
        code, message, fields = "invalid_token", str(_l("The token is unknown, revoked or expired.")), {}
    else:
        code, default_message = STATUS_MESSAGES.get(status, (f"http_{status}", error.description))
        message, fields = str(default_message), {}
    body = {"status": status, "code": code, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(error=body)
    response.status_code = status
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value  # Allow (405), Retry-After (429) ...
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="coop"'
    return response


def csrf_error_response():
    return error_response(ApiError(400, "csrf_failed", str(_l(
        "The CSRF token is missing or invalid. A browser session must send the X-CSRFToken header; other "
        "systems authenticate with a personal token instead."))))


def internal_error_response():
    return error_response(ApiError(500))


def refuse_unreadable_arguments() -> None:
    """A 400 for a path or query argument with a NUL character (no database can compare text with one)."""
    if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                      for key, value in request.args.items(multi=True)):
        raise ApiError(400, "bad_request", str(_l("The address contains a NUL character.")))
