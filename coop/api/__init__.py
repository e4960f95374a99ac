from flask import Blueprint

bp = Blueprint("api", __name__)

from coop.api import views  # noqa: E402,F401  (registers the routes)
