"""The `coop` command line: `coop db upgrade`, `coop users create`, `coop demo`, `coop quickstart`, ..."""

import click
from flask import Flask, current_app, render_template
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from coop.deadlines.cli import deadlines as deadline_commands
from coop.deadlines.cli import reminders as reminder_commands
from coop.extensions import db
from coop.imports.commands import import_group


def _create_app(*_args) -> Flask:
    from coop import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """coop: international cooperation requests, their deadlines and reminders."""


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(demo)
    app.cli.add_command(quickstart)
    app.cli.add_command(seed)
    app.cli.add_command(translate)
    app.cli.add_command(audit)
    app.cli.add_command(figures_group)
    app.cli.add_command(backup)
    app.cli.add_command(import_group)
    app.cli.add_command(deadline_commands)
    app.cli.add_command(reminder_commands)
    app.before_request(_refuse_outdated_schema)


def _refuse_outdated_schema():
    """Stop with a clear page, not an obscure SQL error, when the database predates this code."""
    if current_app.extensions.get("coop_schema_ok") or not current_app.config["COOP_CHECK_SCHEMA"]:
        return None
    from coop.schema import is_up_to_date

    # Loading the logged-in user (or an API token) has already opened this request's transaction, which on
    # SQLite holds the write lock (BEGIN IMMEDIATE): the check's own connection would wait for it in vain.
    db.session.rollback()
    if not is_up_to_date(db.engine):
        return render_template("errors/outdated_schema.html"), 503
    current_app.extensions["coop_schema_ok"] = True
    return None


@click.group()
def users():
    """Manage user accounts."""


@users.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name shown in coop.")
@click.option("--role", type=click.Choice(["officer", "head", "admin"]), default="officer", show_default=True)
@click.option("--email", default=None)
@click.password_option()
@with_appcontext
def create_user(username: str, full_name: str, role: str, email: str | None, password: str):
    """Create a user account."""
    from coop.domain.accounts import PasswordProblem, check_password_policy, hash_password
    from coop.models import Role, User

    username = username.strip().lower()
    if db.session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username!r} already exists")
    try:
        check_password_policy(password, username, current_app.config["COOP_MIN_PASSWORD_LENGTH"])
    except PasswordProblem as problem:
        raise click.ClickException(f"password refused: {problem.code.replace('_', ' ')}") from problem
    db.session.add(User(username=username, full_name=full_name, email=email, role=Role(role),
                        password_hash=hash_password(password)))
    db.session.commit()
    click.echo(f"created {role} {username}")


@click.command()
@with_appcontext
def demo():
    """Fill an empty database with a believable department's data."""
    from coop.demo import load_demo_data

    click.echo(load_demo_data(db.session))


@click.command()
@with_appcontext
def seed():
    """Add the countries, providers, legal bases and request types that are missing (never changes existing ones)."""
    click.echo(_seed_reference_data())


def _seed_reference_data() -> str:
    from coop.domain.reference_data import seed_reference_data

    added = seed_reference_data(db.session)
    from coop.domain.deadlines import seed_deadline_rules

    rules = seed_deadline_rules(db.session)  # the deadlines area: rules refer to the request types just seeded
    from coop.domain.reference_translations import fill_kazakh_texts

    fill_kazakh_texts(db.session.connection())  # rows seeded before they had Kazakh texts
    db.session.commit()
    return ("Reference data: added {countries} countries, {providers} providers, {legal_bases} legal bases, "
            "{request_types} request types, {instruments} partner instruments, {contacts} contacts.").format(**added) \
        + f" Deadline rules: added {rules}."


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def quickstart(host: str, port: int):
    """Upgrade the database, load the demo data if it is empty, and start the server."""
    from flask_migrate import upgrade

    from coop.demo import DEMO_LOGINS, load_demo_data

    upgrade()
    click.echo(_seed_reference_data())
    click.echo(load_demo_data(db.session))
    click.echo(f"\ncoop is running at http://{host}:{port}/\n\nDemo logins (user name / password):")
    for username, password, role in DEMO_LOGINS:
        click.echo(f"  {username:<10} {password}   ({role})")
    click.echo("\nStop it with Ctrl+C.")
    current_app.run(host=host, port=port, debug=False, use_reloader=False)


@click.group()
def translate():
    """Maintain the translation catalogues (for developers)."""


def _pybabel(*arguments: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", *arguments])


@translate.command("update")
def translate_update():
    """Extract every message from code and templates and merge it into each catalogue."""
    from coop import ROOT

    pot = ROOT / "coop" / "translations" / "messages.pot"
    _pybabel("extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "--no-location",
             "--sort-output", "--ignore-dirs=.venv", "-o", str(pot), str(ROOT))
    _pybabel("update", "-i", str(pot), "-d", str(ROOT / "coop" / "translations"), "--no-fuzzy-matching",
             "--ignore-obsolete", "-w", "110")
    pot.unlink()


@translate.command("compile")
def translate_compile():
    """Compile the catalogues (the install does this too)."""
    from coop import ROOT

    _pybabel("compile", "-d", str(ROOT / "coop" / "translations"))


@click.group()
def audit():
    """The tamper-evident audit trail."""


@audit.command("verify")
@with_appcontext
def audit_verify():
    """Prove the audit trail is unaltered, or name the first altered record (exit code 1)."""
    from coop.domain.audit import verify_chain

    report = verify_chain(db.session)
    if report.intact:
        click.echo(f"audit trail intact: {report.records} records")
        return
    click.echo(f"audit trail ALTERED: record {report.first_broken_id} does not match "
               f"(the {report.records} records before it are intact)")
    raise SystemExit(1)


@click.group("figures")
def figures_group():
    """The dashboard's tallies, kept in step with every change."""


@figures_group.command("rebuild")
@with_appcontext
def figures_rebuild():
    """Recount the tallies from the requests (after changing COOP_TIMEZONE, or writing rows around coop)."""
    from coop.domain import figures

    with db.engine.begin() as connection:
        figures.rebuild(connection, current_app.config["COOP_TIMEZONE"])
    click.echo("figures recounted")


@click.group()
def backup():
    """Back up and restore the SQLite database and the attachments (PostgreSQL: see the README)."""


def _sqlite_path():
    from pathlib import Path

    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise click.ClickException("this command backs up SQLite; on PostgreSQL use pg_dump (see the README)")
    return Path(url.database)


@backup.command("create")
@click.argument("destination", type=click.Path(file_okay=False))
@with_appcontext
def backup_create(destination: str):
    """Write a consistent backup archive into DESTINATION, while coop keeps running."""
    from pathlib import Path

    from coop.backup import create_backup
    from coop.models import utcnow

    archive = create_backup(_sqlite_path(), Path(current_app.config["COOP_UPLOAD_FOLDER"]), Path(destination),
                            utcnow())
    click.echo(f"backup written: {archive}")


@backup.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--overwrite", is_flag=True, help="Replace the existing database (stop coop first).")
@with_appcontext
def backup_restore(archive: str, overwrite: bool):
    """Check ARCHIVE against its manifest and restore the database and attachments from it."""
    from pathlib import Path

    from coop.backup import BackupError, restore_backup

    database = _sqlite_path()
    db.session.remove()
    db.engine.dispose()
    try:
        manifest = restore_backup(Path(archive), database, Path(current_app.config["COOP_UPLOAD_FOLDER"]),
                                  overwrite)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"restored {len(manifest['files'])} files from the backup of {manifest['created']}")
