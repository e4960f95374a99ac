from flask import Blueprint

bp = Blueprint("requests", __name__)

from coop.requests import list_views, views  # noqa: E402,F401  (registers the routes)
