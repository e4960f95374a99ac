"""The plan of every statement the hot pages send, on a generated database (read without statistics, as made).

    .venv/bin/python -m bench.plans --url sqlite:///bench/results/coop-1m.sqlite
    .venv/bin/python -m bench.plans --url sqlite:///bench/results/coop-1m.sqlite --all   # every plan, not only scans

Each page of bench.run is requested once, logged in as a head (the officer's home as the busiest officer); each
distinct statement is shown with EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL). Without `--all`, only
plans that read a whole table or index of one of the big tables are printed: those are the ones to look at.
The write paths' plans: `python -m bench.writes --plans`.
"""

import argparse
import re

from sqlalchemy import event

from bench.run import logged_in_client, make_bench_app, sample_ids
from bench.writes import explain

BIG_TABLES = ("cooperation_request", "request_event", "request_officer", "deadline", "identifier", "reminder",
              "monthly_tally", "monthly_kind_tally", "status_tally", "open_deadline", "officer_queue", "audit_record",
              "criminal_case")


def hot_pages(ids: dict) -> dict[str, tuple[str, str]]:
    """Page name: (path, who)."""
    return {
        "Dashboard": ("/dashboard/", "head"),
        "Dashboard, filtered": ("/dashboard/?officer=4&request_type=1&partner_kind=country", "head"),
        "Partner scorecard": (f"/dashboard/partners/{ids['partner']}", "head"),
        "Monthly report": ("/dashboard/report", "head"),
        "Request list": ("/requests/", "head"),
        "Request list, filtered": (f"/requests/?partner={ids['partner']}&status=open", "head"),
        "Request list, text search": ("/requests/?text=user_1a", "head"),
        "Request page": (f"/requests/{ids['request_id']}", "head"),
        "Officer's home": ("/", ids["officer"]),
    }


def wide_reads(plan: str) -> bool:
    """A plan line that scans one of the big tables (a SCAN without a LIMIT-bounded search)."""
    return any(re.search(rf"\bSCAN {table}\b", line) for line in plan.splitlines() for table in BIG_TABLES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--all", action="store_true", help="print every statement's plan")
    arguments = parser.parse_args()
    from bench.generate import absolute_url
    from coop.extensions import db

    url = absolute_url(arguments.url)
    app = make_bench_app(url)
    ids = sample_ids(app)
    with app.app_context():
        engine = db.engine
    clients = {}
    for name, (path, who) in hot_pages(ids).items():
        client = clients.get(who) or clients.setdefault(who, logged_in_client(app, who))
        captured: dict[str, object] = {}

        def record(_conn, _cursor, statement, parameters, _context, executemany, captured=captured):
            if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
                captured.setdefault(statement, parameters)

        event.listen(engine, "before_cursor_execute", record)
        try:
            client.get(path, buffered=True)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        print(f"\n===== {name}: {path} ({len(captured)} statements)")
        explain(engine, captured if arguments.all else _scans_only(engine, captured))


def _scans_only(engine, statements: dict[str, object]) -> dict[str, object]:
    if engine.dialect.name != "sqlite":
        return statements
    raw = engine.raw_connection()
    try:
        kept = {}
        for statement, parameters in statements.items():
            cursor = raw.cursor()
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plan = "\n".join(row[-1] for row in cursor.fetchall())
            cursor.close()
            if wide_reads(plan):
                kept[statement] = parameters
        return kept
    finally:
        raw.close()


if __name__ == "__main__":
    main()
