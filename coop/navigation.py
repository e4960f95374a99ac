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
    ("admin.users", _l("Administration"), frozenset({Role.ADMIN})),
]


def main_navigation() -> list[tuple[str, str]]:
    return [(endpoint, label) for endpoint, label, roles in MENU if current_user.role in roles]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(main_navigation=main_navigation, role_label=role_label)
