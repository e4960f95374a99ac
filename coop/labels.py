"""Translated, human-readable names of coop's enum values, for templates and forms."""

from flask_babel import lazy_gettext as _l

from coop.models import Role

ROLE_LABELS = {
    Role.OFFICER: _l("Liaison officer"),
    Role.HEAD: _l("Department head"),
    Role.ADMIN: _l("Administrator"),
}


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[role])
