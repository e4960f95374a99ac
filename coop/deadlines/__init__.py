from flask import Blueprint

bp = Blueprint("deadlines", __name__)

from coop.deadlines import views  # noqa: E402,F401  (registers the routes)
