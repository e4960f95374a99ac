from flask import Blueprint
from flask_login import login_required

from coop.models import Role
from coop.security import role_required

bp = Blueprint("admin", __name__)


@bp.before_request
@login_required
@role_required(Role.ADMIN)
def require_admin():
    """Every page of this blueprint is for administrators only."""


from coop.admin import views  # noqa: E402,F401  (registers the routes)
