from flask import Blueprint

bp = Blueprint("cases", __name__)

from coop.cases import views  # noqa: E402,F401  (registers the routes)
