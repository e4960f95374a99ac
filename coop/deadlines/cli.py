"""`coop deadlines ...` and `coop reminders ...`: thin wrappers over the domain, for operators and cron."""

import json
import signal
import time
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from coop.extensions import db


@click.group()
def deadlines():
    """Deadline rules and the clocks on requests."""


@deadlines.command("preview")
@click.option("--type", "type_code", required=True, help="Request type code, e.g. preservation_state.")
@click.option("--basis", "basis_code", default=None, help="Legal basis code, e.g. budapest.")
@click.option("--partner", "partner_code", default=None, help="Partner code: ISO alpha-2 (DE) or a slug (meta).")
@click.option("--start", "start_text", required=True, help="YYYY-MM-DD or YYYY-MM-DDTHH:MM, in coop's zone.")
@click.option("--requested-by", "requested_by", default=None, help="The date we ask for (YYYY-MM-DD), if any.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def preview_command(type_code, basis_code, partner_code, start_text, requested_by, as_json):
    """Print the deadlines and reminder dates a new request with these values would get."""
    from coop.domain.deadlines import preview
    from coop.i18n import local_zone
    from coop.models import LegalBasis, Partner, RequestType

    zone = local_zone()
    start = _parse_start(start_text, zone)
    request_type = db.session.scalar(select(RequestType).where(RequestType.code == type_code))
    if request_type is None:
        raise click.BadParameter(f"no request type {type_code!r}", param_hint="--type")
    basis = partner = None
    if basis_code:
        basis = db.session.scalar(select(LegalBasis).where(LegalBasis.code == basis_code))
        if basis is None:
            raise click.BadParameter(f"no legal basis {basis_code!r}", param_hint="--basis")
    if partner_code:
        partner = db.session.scalar(select(Partner).where(Partner.code == partner_code))
        if partner is None:
            raise click.BadParameter(f"no partner {partner_code!r}", param_hint="--partner")
    wanted = _parse_day(requested_by, "--requested-by") if requested_by else None
    clocks = preview(db.session, request_type, basis, partner, start, zone, requested_by=wanted)
    result = {
        "type": type_code, "basis": basis_code, "partner": partner_code, "start": start.astimezone(zone).isoformat(),
        "zone": str(zone), "partner_zone": partner.time_zone if partner else None,
        "deadlines": [_clock_json(item, zone) for item in clocks if item.clock is not None],
        "entered_per_request": [item.rule.kind.value for item in clocks if item.clock is None],
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{type_code} · {basis_code or 'any basis'} · {partner_code or 'any partner'} · start "
               f"{start.astimezone(zone):%Y-%m-%d %H:%M} ({zone})")
    if not result["deadlines"] and not result["entered_per_request"]:
        click.echo("  no deadline rules apply")
    for item in result["deadlines"]:
        click.echo(f"  {item['kind']:<24} due {item['due']}   ({item['rule']})")
        for moment in item["reminders"]:
            click.echo(f"  {'':<24} remind {moment}")
    for kind in result["entered_per_request"]:
        click.echo(f"  {kind:<24} date entered for each request")


def _clock_json(item, zone) -> dict:
    rule, clock = item.rule, item.clock
    length = "entered" if rule.amount == 0 else f"{rule.amount} {rule.unit.value}"
    return {
        "kind": rule.kind.value,
        "due": clock.due_at.astimezone(zone).isoformat(),
        "reminders": [planned.due_at.astimezone(zone).isoformat() for planned in item.reminders],
        "rule": f"{rule.scope_key}: {length} from {rule.start_event.value}",
        "unit": rule.unit.value,
    }


def _parse_day(text: str, hint: str):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"{text!r} is not YYYY-MM-DD", param_hint=hint) from None


def _parse_start(text: str, zone) -> datetime:
    for layout in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, layout).replace(tzinfo=zone).astimezone(UTC)
        except ValueError:
            continue
    raise click.BadParameter(f"{text!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:MM", param_hint="--start")


@deadlines.command("seed-rules")
@with_appcontext
def seed_rules_command():
    """Add the default deadline rules that are missing (never changes existing ones)."""
    from coop.domain.deadlines import seed_deadline_rules

    added = seed_deadline_rules(db.session)
    db.session.commit()
    click.echo(f"Deadline rules: added {added}.")


@deadlines.command("recompute")
@click.option("--all", "everything", is_flag=True, help="Finished requests too (after loading data).")
@with_appcontext
def recompute_command(everything: bool):
    """Recompute the clocks and reminders of the open requests (after an upgrade, or a bulk import)."""
    from coop.domain.deadlines import recompute_all, recompute_open_requests
    from coop.models import utcnow

    changes = (recompute_all if everything else recompute_open_requests)(db.session, utcnow())
    db.session.commit()
    click.echo(f"{len(changes)} deadlines changed in {len({change.request_id for change in changes})} requests.")


@click.group()
def reminders():
    """Send due reminders by e-mail (run by cron or a systemd timer, never inside the web server)."""


@reminders.command("sweep")
@click.option("--now", "now_text", default=None, hidden=True, help="Pretend it is this UTC time (testing).")
@with_appcontext
def sweep_command(now_text: str | None):
    """Queue and send every due reminder not yet sent, once; safe when two run at the same time."""
    from coop.deadlines.sweep import run_sweep

    now = datetime.fromisoformat(now_text).astimezone(UTC) if now_text else None
    click.echo(str(run_sweep(now)))


@reminders.command("loop")
@click.option("--interval", default=60, show_default=True, help="Seconds between sweeps.")
@click.option("--runs", default=0, help="Stop after this many sweeps (0: run until stopped).")
@with_appcontext
def loop_command(interval: int, runs: int):
    """Sweep every minute until stopped (for a simple deployment without cron)."""
    from coop.deadlines.sweep import run_sweep

    stopping = []
    previous = signal.signal(signal.SIGTERM, lambda *_args: stopping.append(True))  # finish the sweep, then stop
    done = 0
    try:
        while not stopping:
            started = time.monotonic()
            try:
                click.echo(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} {run_sweep()}")
            except Exception as error:  # a database or network hiccup must not end the loop
                db.session.rollback()
                current_app.logger.exception("reminder sweep failed")
                click.echo(f"sweep failed: {error}", err=True)
            done += 1
            if runs and done >= runs:
                break
            _sleep_until(started + interval, stopping)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sleep_until(deadline: float, stopping: list) -> None:
    while not stopping and time.monotonic() < deadline:
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0)))


@reminders.command("outbox")
@with_appcontext
def outbox_command():
    """Show how many e-mails wait, were sent, or were refused."""
    from coop.domain.outbox import outbox_counts

    for state, count in outbox_counts(db.session).items():
        click.echo(f"{state.value:<8} {count}")
