"""The `coop` command line: `coop db upgrade`, `coop users create`, `coop demo`, `coop quickstart`, ..."""

import socket
import sys

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
    from coop.domain.letter_texts import seed_letter_templates
    from coop.models import utcnow

    templates = seed_letter_templates(db.session, utcnow())  # the letters area
    db.session.commit()
    return ("Reference data: added {countries} countries, {providers} providers, {legal_bases} legal bases, "
            "{request_types} request types, {instruments} partner instruments, {contacts} contacts.").format(**added) \
        + f" Deadline rules: added {rules}. Letter templates: added {templates}."


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="COOP_HOST",
              help="Address to listen on (or COOP_HOST).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), envvar="COOP_PORT",
              help="Port to listen on (or COOP_PORT); 0 picks a free one.")
@with_appcontext
def quickstart(host: str, port: int):
    """Upgrade the database, load the demo data if it is empty, and serve coop until Ctrl+C."""
    from flask_migrate import upgrade

    from coop import settle_garbage_collector
    from coop.demo import load_demo_data

    # Bound first, so that a taken port is refused at once; connections wait in the backlog until it serves.
    server = _bind_server(current_app._get_current_object(), host, port)
    upgrade()
    click.echo(_seed_reference_data())
    click.echo(load_demo_data(db.session))
    db.session.remove()  # the server's requests open sessions of their own
    settle_garbage_collector()
    _announce(host, server.effective_port)
    server.run()  # until Ctrl+C (SIGINT), which waitress turns into a clean shutdown
    click.echo("coop has stopped.")


def _bind_server(app: Flask, host: str, port: int):
    """A waitress server already listening on host:port; a clear refusal when the address is taken."""
    from waitress import create_server

    try:
        family, _type, _protocol, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        listening = socket.create_server(address[:2], family=family)  # closes its socket when it fails
    except OSError as problem:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {problem.strerror or problem}. Another program (or another coop) "
            f"may be using it: stop it, or choose another port with --port or COOP_PORT.") from problem
    return create_server(app, sockets=[listening], ident="coop")


def _announce(host: str, port: int) -> None:
    """Print the address and the demo logins: only once the socket is bound, so that the line is true."""
    from coop.demo import DEMO_LOGINS

    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"\ncoop is running at http://{shown_host}:{port}/\n\nDemo logins (user name / password):")
    for username, password, role in DEMO_LOGINS:
        click.echo(f"  {username:<10} {password}   ({role})")
    roles = current_app.config["COOP_MFA_REQUIRED_ROLES"]
    if current_app.config["COOP_REQUIRE_MFA"] or roles:
        who = "everyone" if current_app.config["COOP_REQUIRE_MFA"] else " and ".join(roles)
        click.echo(f"\nA second factor is required for {who}: at the first login coop shows a QR code (and its key)"
                   "\nfor an authenticator app on your phone, then asks for the app's 6-digit code.")
    click.echo("\nStop it with Ctrl+C.", nl=True)
    sys.stdout.flush()


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


@audit.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Sign the trail's head now, store it and print it (keep the line: outside coop it proves the trail later)."""
    from coop.auditing import signing_key, signing_key_path
    from coop.domain.checkpoints import write_checkpoint
    from coop.models import utcnow

    checkpoint = write_checkpoint(db.session, signing_key(), utcnow(), "cli")
    db.session.commit()
    click.echo(checkpoint.to_line())
    click.echo(f"# record {checkpoint.last_id}, {checkpoint.records} records; signed by {signing_key_path()}",
               err=True)


@audit.command("verify")
@click.option("--checkpoint", "checkpoint_files", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A file of checkpoints (printed or e-mailed lines) the trail must still reach; repeatable.")
@click.option("--public-key", "public_keys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A public key (.pub) that may have signed them, besides this instance's.")
@click.option("--entity", help="Compare only this row with its history, e.g. request:123 (skips the chain walk).")
@click.option("--no-state", is_flag=True, help="Check the chain and checkpoints only, not the rows.")
@click.option("--strict", is_flag=True, help="Fail on rows without any audit history too (inserted around coop, "
                                             "or written before the trail or by a bulk load).")
@with_appcontext
def audit_verify(checkpoint_files, public_keys, entity, no_state, strict):
    """Prove the audit trail unaltered and reaching every checkpoint, and every audited row in agreement with
    its history; name what is not (exit code 1)."""
    from pathlib import Path

    from coop.auditing import verification_keys
    from coop.database import read_only_session
    from coop.domain.checkpoints import PROBLEMS, CheckpointProblem, parse_checkpoints, stored_checkpoints, verify_trail
    from coop.domain.replay import UnknownEntity, check_state, parse_entity

    sound = True
    if entity:
        try:
            target = parse_entity(entity)
        except UnknownEntity as problem:
            raise click.BadParameter(str(problem), param_hint="--entity") from problem
    else:
        target = None
        try:
            given = [item for path in checkpoint_files for item in parse_checkpoints(Path(path).read_text())]
        except CheckpointProblem as problem:
            raise click.BadParameter(str(problem), param_hint="--checkpoint") from problem
        stored = stored_checkpoints(db.session)
        keys = verification_keys([Path(key) for key in public_keys])
        db.session.rollback()  # what follows reads in sessions of its own, holding no lock
        if no_state:
            with read_only_session(db.engine) as session:
                report = verify_trail(session, [*given, *stored], keys)
        else:
            # The chain walk and the comparison of rows each take minutes at a million requests: the walk runs in
            # a child process meanwhile, on a core of its own.
            walk = _in_child_process(verify_trail, [*given, *stored], keys)
    if not no_state:
        with read_only_session(db.engine) as session:
            state = check_state(session, target, keep=0, on_discrepancy=lambda item: click.echo(f"ROW {item}"))
    if target is None:
        if not no_state:
            report = walk()
        if report.first_broken_id is None:
            click.echo(f"audit trail intact: {report.records} records")
        else:
            sound = False
            click.echo(f"audit trail ALTERED: record {report.first_broken_id} does not match "
                       f"(the {report.records} records before it are intact)")
        failed = [finding for finding in report.findings if not finding.holds]
        click.echo(f"checkpoints: {len(report.findings) - len(failed)} of {len(report.findings)} reached "
                   f"({len(given)} from files, {len(stored)} stored)")
        for finding in failed:
            sound = False
            point = finding.checkpoint
            click.echo(f"checkpoint of {point.at.isoformat()} (record {point.last_id}) FAILS: "
                       f"{PROBLEMS[finding.problem]}")
    if not no_state:
        without = sum(state.unrecorded.values())
        click.echo(f"rows against history: {state.rows} compared, {state.found} disagree"
                   + (f", {without} without audit history" if without else ""))
        for table, count in sorted(state.unrecorded.items()):
            examples = ", ".join(map(str, state.unrecorded_examples[table]))
            click.echo(f"  without history: {table}: {count} (e.g. {examples})")
        sound = sound and state.agrees and not (strict and without)
    if not sound:
        raise SystemExit(1)


def _in_child_process(function, *arguments):
    """Start `function(session, *arguments)` in a forked process with connections of its own; returns a callable
    that waits for its result (where fork is unavailable, the call simply runs when its result is asked for)."""
    import multiprocessing

    from coop.database import read_only_session

    if "fork" not in multiprocessing.get_all_start_methods():
        def later():
            with read_only_session(db.engine) as session:
                return function(session, *arguments)

        return later
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    engine = db.engine

    def run():
        engine.dispose(close=False)  # the parent's pooled connections are not this process's to use
        try:
            with read_only_session(engine) as session:
                sender.send((True, function(session, *arguments)))
        except Exception as error:  # noqa: BLE001  (handed to the parent, which raises it)
            sender.send((False, repr(error)))
        finally:
            sender.close()

    child = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    child.start()
    sender.close()

    def result():
        succeeded, value = receiver.recv()
        child.join()
        if not succeeded:
            raise click.ClickException(f"the chain walk failed: {value}")
        return value

    return result


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
