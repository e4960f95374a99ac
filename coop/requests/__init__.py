from flask import Blueprint

bp = Blueprint("requests", __name__)

from coop.requests import views  # noqa: E402,F401  (registers the routes)
