"""Time the tallies' rebuild and the upgrade of an existing database, on a copy of a generated one.

    .venv/bin/python -m bench.migrate --url sqlite:///bench/results/coop-1m.sqlite --label "SQLite, 1M"

On a copy without planner statistics (SQLite: `VACUUM INTO` a file next to it; PostgreSQL: a database made from
it as a template), first `coop figures rebuild` (coop.domain.figures.rebuild, what the generator and a change of
zone run), then the copy is taken back to the schema before the tallies (revision c2a7e51f0d3b: no tally tables,
no deadline index by request and state) and timed while `coop db upgrade` brings it to the head: counting the
tallies in the migration, building the indexes, and the `ANALYZE` that follows. The copy is deleted afterwards.
"""

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.run import RESULTS, make_bench_app

BEFORE_TALLIES = "c2a7e51f0d3b"
TARGET_S = 180


def copy_database(url: str) -> str:
    """A copy of the database at `url` without statistics; returns its URL."""
    from bench.generate import drop_statistics

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        target = Path(parsed.database).with_name(Path(parsed.database).stem + "-migration-copy.sqlite")
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.exec_driver_sql(f"VACUUM INTO '{target}'")
        engine.dispose()
        copy = parsed.set(database=str(target)).render_as_string(hide_password=False)
    else:
        name = f"{parsed.database}_migration_copy"
        server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')
        server.dispose()
        copy = parsed.set(database=name).render_as_string(hide_password=False)
    drop_statistics(copy)
    return copy


def delete_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    server = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    server.dispose()


class StepTimer:
    """Alembic's `on_version_apply` callback: the time each revision took."""

    def __init__(self):
        self.steps: list[tuple[str, float]] = []
        self.last = time.perf_counter()

    def __call__(self, ctx=None, step=None, heads=None, run_args=None, **_kwargs) -> None:
        now = time.perf_counter()
        self.steps.append((f"{step.up_revision_id}: {step.up_revision.doc.splitlines()[0][:70]}", now - self.last))
        self.last = now


def measure(url: str, label: str, keep_copy: bool, rebuild: bool = True) -> dict:
    from flask_migrate import downgrade, upgrade

    from coop.domain import figures
    from coop.extensions import db

    load_at_start = os.getloadavg()
    started = time.perf_counter()
    copy = copy_database(url)
    copied_s = time.perf_counter() - started
    print(f"copied in {copied_s:.0f} s", file=sys.stderr, flush=True)
    app = make_bench_app(copy)
    result = {"label": label, "url": make_url(url).render_as_string(hide_password=True), "copy_s": copied_s,
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        with app.app_context():
            if rebuild:
                started = time.perf_counter()
                with db.engine.begin() as connection:
                    figures.rebuild(connection, app.config["COOP_TIMEZONE"])
                result["rebuild_s"] = time.perf_counter() - started
                print(f"tallies rebuilt in {result['rebuild_s']:.1f} s", file=sys.stderr, flush=True)
            downgrade(revision=BEFORE_TALLIES)
            db.engine.dispose()
        from bench.generate import drop_statistics

        drop_statistics(copy)  # the downgrade's connections ran PRAGMA optimize when they closed
        app = make_bench_app(copy)
        timer = StepTimer()
        app.extensions["migrate"].configure_args["on_version_apply"] = timer
        with app.app_context():
            started = time.perf_counter()
            timer.last = started
            upgrade()
            result["upgrade_s"] = time.perf_counter() - started
            db.engine.dispose()
        result["upgrade_steps"] = [{"step": step, "seconds": seconds} for step, seconds in timer.steps]
        # What is left after the last step is the ANALYZE of env.py (and closing up).
        result["analyze_s"] = result["upgrade_s"] - sum(seconds or 0 for _, seconds in timer.steps)
        print(f"upgraded in {result['upgrade_s']:.1f} s: {result['upgrade_steps']}", file=sys.stderr, flush=True)
    finally:
        if not keep_copy:
            delete_database(copy)
    result["load_average"] = {"start": load_at_start, "end": os.getloadavg()}
    return result


def markdown(result: dict) -> str:
    start, end = result["load_average"]["start"][0], result["load_average"]["end"][0]
    lines = [f"Rebuild and upgrade, {result['label']} (machine load {start:.1f} / {end:.1f})", "",
             "| Step | Seconds | Under 3 minutes |", "|---|---:|---|"]
    if "rebuild_s" in result:
        lines.append(f"| Tallies' rebuild (`coop figures rebuild`) | {result['rebuild_s']:.0f} | "
                     f"{'yes' if result['rebuild_s'] < TARGET_S else 'no'} |")
    lines.append(f"| Upgrade from {BEFORE_TALLIES} to the head (`coop db upgrade`) | {result['upgrade_s']:.0f} | "
                 f"{'yes' if result['upgrade_s'] < TARGET_S else 'no'} |")
    for step in result["upgrade_steps"]:
        lines.append(f"| &nbsp; of which {step['step']} | {step['seconds']:.0f} | |")
    lines.append(f"| &nbsp; of which ANALYZE | {result['analyze_s']:.0f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a database made by bench.generate")
    parser.add_argument("--label", default=None)
    parser.add_argument("--keep-copy", action="store_true")
    parser.add_argument("--skip-rebuild", action="store_true", help="time the upgrade only (which rebuilds too)")
    arguments = parser.parse_args()
    from bench.generate import absolute_url

    url = absolute_url(arguments.url)
    label = arguments.label or make_url(url).get_backend_name()
    result = measure(url, label, arguments.keep_copy, rebuild=not arguments.skip_rebuild)
    RESULTS.mkdir(exist_ok=True)
    slug = "".join(char if char.isalnum() else "-" for char in label.lower()).strip("-")
    (RESULTS / f"migrate-{slug}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(markdown(result))


if __name__ == "__main__":
    main()
