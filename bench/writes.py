"""The cost of the write paths on a generated database, with the tallies' listener they trigger.

    .venv/bin/python -m bench.writes --url sqlite:///bench/results/coop-1m.sqlite --label "SQLite, 1M"
    .venv/bin/python -m bench.writes --url sqlite:///bench/results/coop-1m.sqlite --plans   # EXPLAIN each query

Each round, as a head, through the domain functions the web and the API call (one transaction each, committed):
create an outgoing preservation request to a country, move it along its workflow (awaiting approval, approved,
sent, acknowledged: each move is one "move"), extend the preservation clock the acknowledgement started (the
partner agreed), record the answer. The deadline rules are seeded first when the database has none (the
generator writes clocks without rules; a department's database has them from `coop quickstart`). Every
statement's time inside the tallies' listener (coop.domain.figures) is added up separately.
"""

import argparse
import json
import os
import statistics as stats
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event, select

from bench.run import RESULTS, make_bench_app

TARGET_MS = 50
OPERATIONS = ("Create a request", "Move it along the workflow", "Extend a deadline", "Record an answer")


@contextmanager
def listener_timer(session_class, spent: list[float]):
    """Time the tallies' listener: wrap its two hooks on `session_class` for the duration."""
    from coop.domain import figures

    def timed(hook):
        def wrapper(*args):
            started = time.perf_counter()
            try:
                return hook(*args)
            finally:
                spent.append((time.perf_counter() - started) * 1000)
        return wrapper

    hooks = {"before_flush": figures._before_flush, "after_flush": figures._after_flush}
    wrappers = {name: timed(hook) for name, hook in hooks.items()}
    for name, hook in hooks.items():
        event.remove(session_class, name, hook)
        event.listen(session_class, name, wrappers[name])
    try:
        yield
    finally:
        for name, hook in hooks.items():
            event.remove(session_class, name, wrappers[name])
            event.listen(session_class, name, hook)


def prepare(session) -> dict:
    """The head who writes, a country and the preservation type; rules seeded if there are none."""
    from coop.domain.deadlines import seed_deadline_rules
    from coop.models import DeadlineRule, Partner, PartnerKind, RequestType, Role, User

    if not session.scalar(select(DeadlineRule.id).limit(1)):
        print(f"seeded {seed_deadline_rules(session)} deadline rules", file=sys.stderr)
        session.commit()
    head = session.scalar(select(User).where(User.role == Role.HEAD).order_by(User.id).limit(1))
    partner = session.scalar(select(Partner).where(Partner.kind == PartnerKind.COUNTRY, Partner.code == "RU"))
    request_type = session.scalar(select(RequestType).where(RequestType.code == "preservation_state"))
    return {"head_id": head.id, "partner_id": partner.id, "request_type_id": request_type.id}


def one_round(session, ids: dict, number: int, timings: dict[str, list[float]], listener: list[float]) -> None:
    from coop.domain import deadlines as clocks
    from coop.domain import requests as domain
    from coop.i18n import local_zone
    from coop.models import CooperationRequest, Deadline, DeadlineKind, DeadlineState, Direction, Status, User, utcnow

    head = session.get(User, ids["head_id"])

    def timed(operation: str, action):
        before = len(listener)
        started = time.perf_counter()
        result = action()
        session.commit()
        timings[operation].append((time.perf_counter() - started) * 1000)
        timings[f"{operation} (listener)"].append(sum(listener[before:]))
        return result

    created = timed("Create a request", lambda: domain.create_request(session, head, {
        "direction": Direction.OUTGOING, "title": f"Benchmark preservation {number}",
        "request_type_id": ids["request_type_id"], "partner_id": ids["partner_id"]}, utcnow(), local_zone()))
    request_id = created.id
    for target in (Status.AWAITING_APPROVAL, Status.APPROVED, Status.SENT, Status.ACKNOWLEDGED):
        item = session.get(CooperationRequest, request_id)
        timed("Move it along the workflow",
              lambda item=item, target=target: domain.change_status(session, item, head, target, utcnow(),
                                                                    channel="email", zone=local_zone()))
    item = session.get(CooperationRequest, request_id)
    clock = session.scalar(select(Deadline).where(Deadline.request_id == request_id,
                                                  Deadline.kind == DeadlineKind.PRESERVATION_EXPIRY,
                                                  Deadline.state == DeadlineState.OPEN))
    if clock is None:
        raise SystemExit("the acknowledgement started no preservation clock: are the deadline rules seeded?")
    timed("Extend a deadline", lambda: clocks.extend_deadline(session, clock, item, head,
                                                              "The partner agreed to keep the data longer.",
                                                              utcnow()))
    item = session.get(CooperationRequest, request_id)
    timed("Record an answer", lambda: domain.change_status(session, item, head, Status.ANSWERED, utcnow(),
                                                           zone=local_zone()))


def measure(url: str, repeat: int, label: str) -> dict:
    from coop.extensions import db

    app = make_bench_app(url)
    load_at_start = os.getloadavg()
    timings: dict[str, list[float]] = {name: [] for operation in OPERATIONS
                                       for name in (operation, f"{operation} (listener)")}
    listener: list[float] = []
    with app.app_context():
        ids = prepare(db.session)
        with listener_timer(db.session, listener):
            for number in range(repeat + 1):
                one_round(db.session, ids, number, timings, listener)
                if number == 0:  # the first round warms caches up and is not counted
                    for samples in timings.values():
                        samples.clear()
        db.session.remove()
    result = {"label": label, "url": sa.engine.make_url(url).render_as_string(hide_password=True),
              "repeat": repeat, "operations": {},
              "load_average": {"start": load_at_start, "end": os.getloadavg()},
              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    for operation in OPERATIONS:
        samples, spent = timings[operation], timings[f"{operation} (listener)"]
        result["operations"][operation] = {
            "count": len(samples), "median_ms": stats.median(samples),
            "p90_ms": sorted(samples)[int(0.9 * (len(samples) - 1))], "listener_median_ms": stats.median(spent)}
    return result


def markdown(result: dict) -> str:
    start, end = result["load_average"]["start"][0], result["load_average"]["end"][0]
    lines = [f"Write paths, {result['label']} ({result['repeat']} rounds; load {start:.1f} / {end:.1f})", "",
             "| Operation | Median ms | p90 ms | of which the tallies' listener, median ms | Under 50 ms |",
             "|---|---:|---:|---:|---|"]
    for name, figures in result["operations"].items():
        lines.append(f"| {name} | {figures['median_ms']:.1f} | {figures['p90_ms']:.1f} | "
                     f"{figures['listener_median_ms']:.1f} | {'yes' if figures['median_ms'] < TARGET_MS else 'no'} |")
    return "\n".join(lines)


def print_plans(url: str) -> None:
    """One round with every distinct statement's plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL)."""
    from coop.extensions import db

    app = make_bench_app(url)
    captured: dict[str, object] = {}

    def record(_conn, _cursor, statement, parameters, _context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            captured.setdefault(statement, parameters)

    with app.app_context():
        ids = prepare(db.session)
        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            one_round(db.session, ids, 0, {name: [] for operation in OPERATIONS
                                           for name in (operation, f"{operation} (listener)")}, [])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        explain(engine, captured)
        db.session.remove()


def explain(engine: sa.Engine, statements: dict[str, object]) -> None:
    """Print each statement and its plan."""
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        for statement, parameters in statements.items():
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters)
            rows = cursor.fetchall()
            cursor.close()
            print(" ".join(statement.split())[:300])
            for row in rows:
                print("    ", row[-1] if engine.dialect.name == "sqlite" else row[0])
        raw.rollback()
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a database made by bench.generate")
    parser.add_argument("--label", default=None)
    parser.add_argument("--repeat", type=int, default=15, help="rounds measured (after one warm-up round)")
    parser.add_argument("--plans", action="store_true", help="print the plan of every statement of one round")
    arguments = parser.parse_args()
    from bench.generate import absolute_url

    url = absolute_url(arguments.url)
    if arguments.plans:
        print_plans(url)
        return
    label = arguments.label or sa.engine.make_url(url).get_backend_name()
    result = measure(url, arguments.repeat, label)
    RESULTS.mkdir(exist_ok=True)
    slug = "".join(char if char.isalnum() else "-" for char in label.lower()).strip("-")
    (RESULTS / f"writes-{slug}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(markdown(result))


if __name__ == "__main__":
    main()
