"""Session listeners: the audit trail, told who acts in each web request (the API names its token itself), and
the dashboard's tallies (coop.domain.figures)."""

from flask import Flask
from flask_login import current_user

from coop.domain import audit, figures, networks
from coop.extensions import db


def init_app(app: Flask) -> None:
    audit.install(db.session)
    figures.install(db.session, app.config["COOP_TIMEZONE"])
    networks.install(db.session)

    @app.before_request
    def identify_actor():
        if current_user and current_user.is_authenticated:
            audit.set_actor(audit.Actor(current_user.id, current_user.username, "web"))
        else:
            audit.set_actor(audit.Actor(None, None, "web"))
