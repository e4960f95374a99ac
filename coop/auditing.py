"""Session listeners: the audit trail, told who acts in each web request (the API names its token itself), and
the dashboard's tallies (coop.domain.figures); the key that signs the trail's checkpoints."""

from pathlib import Path

from flask import Flask, current_app
from flask_login import current_user

from coop.domain import audit, checkpoints, figures, networks
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


def signing_key_path() -> Path:
    return Path(current_app.config["COOP_AUDIT_KEY_FILE"])


def signing_key():
    """The instance's checkpoint signing key (generated on first use: outside the database, mode 600)."""
    return checkpoints.load_signing_key(signing_key_path())


def verification_keys(extra: list[Path] = ()) -> list:
    """The public keys a checkpoint may be signed with: this instance's and any given."""
    keys = [checkpoints.load_public_key(path) for path in extra]
    private = signing_key_path()
    if private.exists():
        keys.append(checkpoints.load_signing_key(private, create=False).public_key())
    elif checkpoints.public_key_path(private).exists():
        keys.append(checkpoints.load_public_key(checkpoints.public_key_path(private)))
    return keys
