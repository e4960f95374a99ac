"""coop: tracks a police cybercrime department's international cooperation requests."""

import gc
import os
import secrets
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
# The source tree keeps the templates beside the package; a plain (non-editable) install carries them inside it.
TEMPLATES = next((folder for folder in (ROOT / "templates", Path(__file__).resolve().parent / "templates")
                  if (folder / "base.html").is_file()), ROOT / "templates")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; `test_config` overrides settings (tests, scripts)."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(TEMPLATES),
    )
    app.config.from_object("config.Config")
    if test_config:
        app.config.from_mapping(test_config)
    _fill_instance_defaults(app)

    from coop import addresses, auditing, cli, database, errors, i18n, navigation, security
    from coop.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)
    with app.app_context():
        database.configure_engine(db.engine)

    security.init_app(app)
    addresses.init_app(app)
    auditing.init_app(app)
    i18n.init_app(app)
    navigation.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)
    return app


def settle_garbage_collector() -> None:
    """Call once a server has built the application: what start-up made (modules, the app, its caches) lives as
    long as the process, so the cyclic collector stops scanning it, and runs less often. A page allocates hundreds
    of thousands of short-lived objects; at Python's default thresholds the collections they set off added 10 to
    40 ms to a dashboard render at random (measured at 1,000,000 requests). The test suite does the same."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def _fill_instance_defaults(app: Flask) -> None:
    """Database, secret key, checkpoint key and upload folder default to files in the instance folder."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'coop.sqlite'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _shared_secret_key(instance / "secret_key")
    if not app.config.get("COOP_AUDIT_KEY_FILE"):
        app.config["COOP_AUDIT_KEY_FILE"] = str(instance / "audit_signing_key")
    if not app.config.get("COOP_UPLOAD_FOLDER"):
        app.config["COOP_UPLOAD_FOLDER"] = str(instance / "uploads")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})


def _shared_secret_key(path: Path) -> str:
    """Read the key every worker shares, creating it once (atomically) if it is missing."""
    if not path.exists():
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: the first worker wins, the others read its key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _register_blueprints(app: Flask) -> None:
    from coop.admin import bp as admin_bp
    from coop.api import bp as api_bp
    from coop.audit import bp as audit_bp
    from coop.auth import bp as auth_bp
    from coop.cases import bp as cases_bp
    from coop.dashboard import bp as dashboard_bp
    from coop.deadlines import bp as deadlines_bp
    from coop.imports import bp as imports_bp
    from coop.letters import bp as letters_bp
    from coop.main import bp as main_bp
    from coop.networks import bp as networks_bp
    from coop.partners import bp as partners_bp
    from coop.requests import bp as requests_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(requests_bp, url_prefix="/requests")
    app.register_blueprint(cases_bp, url_prefix="/cases")
    app.register_blueprint(networks_bp)  # /identifiers/..., /networks/, /cases/<id>/network
    app.register_blueprint(partners_bp, url_prefix="/partners")
    app.register_blueprint(deadlines_bp)  # reminders, deadline rules, calendars, iCalendar feeds
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(imports_bp, url_prefix="/imports")
    app.register_blueprint(letters_bp, url_prefix="/letters")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp, url_prefix="/audit")
