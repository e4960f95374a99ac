from flask import Blueprint

bp = Blueprint("imports", __name__)

from coop.imports import views  # noqa: E402,F401  (registers the routes)
