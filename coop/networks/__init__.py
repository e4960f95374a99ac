"""Identifiers across requests and the networks of cases they connect: an identifier's page, links between
identifiers, a case's network (its page, its picture, its export) and the head's list of networks."""

from flask import Blueprint, url_for

bp = Blueprint("networks", __name__)


def identifier_url(kind, normalized: str) -> str:
    """The address of an identifier's page."""
    return url_for("networks.identifier", kind=getattr(kind, "value", kind), normalized=normalized)


@bp.record_once
def register_helpers(state) -> None:
    state.app.jinja_env.globals.update(identifier_url=identifier_url)


from coop.networks import views  # noqa: E402,F401  (registers the routes)
