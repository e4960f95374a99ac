from flask import Blueprint

bp = Blueprint("main", __name__)

from coop.main import views  # noqa: E402,F401  (registers the routes)
