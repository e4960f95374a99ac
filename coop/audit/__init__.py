"""The audit page: the trail's signed checkpoints, for heads and administrators to keep and check."""

from flask import Blueprint
from flask_login import login_required

from coop.models import Role
from coop.security import role_required

bp = Blueprint("audit", __name__)


@bp.before_request
@login_required
@role_required(Role.HEAD, Role.ADMIN)
def require_head_or_admin():
    """Heads and administrators only."""


from coop.audit import views  # noqa: E402,F401  (registers the routes)
