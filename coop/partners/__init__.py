from flask import Blueprint

bp = Blueprint("partners", __name__)

from coop.partners import reference_views, views  # noqa: E402,F401  (registers the routes)
