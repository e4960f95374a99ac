"""The main menu: which areas each role sees."""

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from coop.labels import role_label
from coop.models import Role

ALL_ROLES = frozenset(Role)

# (endpoint, label, roles that see it), in menu order.
MENU = [
    ("main.index", _l("Home"), ALL_ROLES),
    ("dashboard.index", _l("Dashboard"), frozenset({Role.HEAD, Role.ADMIN})),
    ("requests.index", _l("Requests"), ALL_ROLES),  # admins read only
    ("cases.index", _l("Cases"), ALL_ROLES),
    ("networks.index", _l("Networks"), frozenset({Role.HEAD, Role.ADMIN})),
    ("partners.index", _l("Partners"), ALL_ROLES),
    ("deadlines.reminder_list", _l("Reminders"), frozenset({Role.OFFICER, Role.HEAD})),
    ("letters.register", _l("Letters"), ALL_ROLES),
    ("deadlines.rules", _l("Deadlines"), frozenset({Role.ADMIN})),
    ("imports.index", _l("Import"), frozenset({Role.OFFICER, Role.HEAD})),
    ("admin.users", _l("Administration"), frozenset({Role.ADMIN})),
    ("audit.checkpoints", _l("Audit"), frozenset({Role.HEAD, Role.ADMIN})),
]


def main_navigation() -> list[tuple[str, str]]:
    return [(endpoint, label) for endpoint, label, roles in MENU if current_user.role in roles]


def init_app(app: Flask) -> None:
    from coop.auth.second_factor import second_factor_required

    app.jinja_env.globals.update(main_navigation=main_navigation, role_label=role_label,
                                 second_factor_required=second_factor_required)
