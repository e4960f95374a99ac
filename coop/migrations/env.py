import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from coop.database import refresh_statistics
from coop.models.requests import is_text_search_object

config = context.config
fileConfig(config.config_file_name)
logger = logging.getLogger("alembic.env")

# Flask-Migrate's generated env.py calls the deprecated `db.get_engine()`; `db.engine` is the current API.
engine = current_app.extensions["migrate"].db.engine
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
target_db = current_app.extensions["migrate"].db


def get_metadata():
    return target_db.metadata


def include_name(name, type_, _parent_names):
    """Leave out of autogenerate the text search indexes, which the models do not describe."""
    return not is_text_search_object(name, type_)


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=get_metadata(),
                      literal_binds=True, render_as_batch=True, include_name=include_name)
    with context.begin_transaction():
        context.run_migrations()


def _set_sqlite_foreign_keys(connection, enforced: bool) -> None:
    # On the driver's connection, outside any transaction (inside one SQLite ignores the pragma).
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if enforced else 'OFF'}")


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives
    conf_args.setdefault("include_name", include_name)

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # a batch migration recreates a table: dropping the old one must not trip its references
            _set_sqlite_foreign_keys(connection, False)
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        try:
            with context.begin_transaction():
                before = set(context.get_context().get_current_heads())
                context.run_migrations()
                changed = set(context.get_context().get_current_heads()) != before
                if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                    raise RuntimeError(f"the migration broke references, nothing is changed: {broken[:5]}")
            if changed:  # the planner's statistics, counted once the schema (and its indexes) changed
                refresh_statistics(connection)
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()  # no transaction open, or the pragma would be ignored
                _set_sqlite_foreign_keys(connection, True)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
