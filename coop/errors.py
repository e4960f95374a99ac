"""Error pages in the user's language."""

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Nothing has been changed.")),
    403: (_l("Access denied"), _l("You do not have the rights to open this page.")),
    404: (_l("Not found"), _l("This page does not exist or is not available to you.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("File too large"), _l("The upload exceeds the allowed size. Nothing has been saved.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (_l("Internal error"), _l("Something went wrong on our side. Nothing has been lost; please try again.")),
}


def render_error(code: int, message: str | None = None):
    title, default_message = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def init_app(app: Flask) -> None:
    from coop.api import errors as api_errors  # under /api/ errors are JSON, even for a URL that matches nothing

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        if api_errors.is_api_request(request.path):
            return api_errors.csrf_error_response()
        return render_error(400, str(_l("The form has expired or was not sent from coop. Please reload the page "
                                        "and try again; nothing has been changed.")))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if api_errors.is_api_request(request.path):
            return api_errors.error_response(error)
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    @app.errorhandler(500)
    def internal_error(_error):
        from coop.extensions import db

        db.session.rollback()
        if api_errors.is_api_request(request.path):
            return api_errors.internal_error_response()
        return render_error(500)
