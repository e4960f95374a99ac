"""Measure coop's pages on a generated database, against two floors measured in the same run.

    .venv/bin/python -m bench.run --url sqlite:///bench/results/coop-1m.sqlite --label "SQLite, 1M"

Floors: a bare Flask view that returns a constant page (the cost of the framework, the session and the login
check), and the bare SQL of the dashboard's aggregates (the statements one dashboard render runs, replayed on
the driver's cursor with nothing around them). Each page is requested through the WSGI test client, logged in
as a head, `--repeat` times after one warm-up; the table reports medians and each page's ratio to the sum of
the floors. The full export runs in a child process, whose peak resident memory is reported.
"""

import argparse
import json
import os
import platform
import resource
import statistics as stats
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event, func, select

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 150  # issue 12: every page under 150 ms at 1,000,000 requests on SQLite
TARGET_RATIO = 2.0


def make_bench_app(url: str):
    from coop import create_app, settle_garbage_collector

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False, "COOP_CHECK_SCHEMA": False, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 1,
        # The generated people have no second factor; checking it on each page reads nothing (the user is loaded).
        "COOP_MFA_REQUIRED_ROLES": (), "COOP_MFA_FOR_TOKENS": False,
    })
    app.add_url_rule("/__bench_floor", "bench_floor", lambda: "<!doctype html><p>ok</p>")
    settle_garbage_collector()  # as coop.wsgi and `coop quickstart` do
    return app


def logged_in_client(app, username: str = "head"):
    from bench.generate import BENCH_PASSWORD

    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": BENCH_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {username}: {response.status_code}")
    return client


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    action()  # warm-up: caches, compiled statements, the database's pages
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def page_action(client, path: str) -> Callable[[], object]:
    def action():
        response = client.get(path, buffered=True)
        if response.status_code != 200:
            raise PageUnavailable(f"{path}: HTTP {response.status_code}")
        return response

    return action


class PageUnavailable(Exception):
    pass


def dashboard_statements(app, client) -> list[tuple[str, object]]:
    """The SQL (with parameters) that one dashboard render sends to the database."""
    from coop.extensions import db

    captured: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/dashboard/", buffered=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # Keep the dashboard's own queries; drop the session and login look-ups the Flask floor already pays.
    return [(statement, parameters) for statement, parameters in captured if "user_account" not in statement
            or "request_officer" in statement]


def sql_floor_action(app, statements) -> Callable[[], object]:
    from coop.extensions import db

    with app.app_context():
        engine = db.engine

    def action():
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            cursor.close()
        finally:
            raw.close()

    return action


def sample_ids(app) -> dict:
    """A request, the busiest partner and officer, and the number of requests to measure with."""
    from coop.extensions import db
    from coop.models import CooperationRequest, Partner, User, request_officer

    with app.app_context():
        total = db.session.scalar(select(func.count(CooperationRequest.id)))
        middle = db.session.scalar(select(CooperationRequest.id).order_by(CooperationRequest.id)
                                   .offset(total // 2).limit(1))
        busiest = db.session.scalar(select(Partner.code).join(CooperationRequest,
                                                              CooperationRequest.partner_id == Partner.id)
                                    .group_by(Partner.code).order_by(func.count().desc()).limit(1))
        officer = db.session.scalar(select(User.username).join(request_officer, request_officer.c.user_id == User.id)
                                    .group_by(User.username).order_by(func.count().desc()).limit(1))
        db.session.remove()
    return {"total": total, "request_id": middle, "partner": busiest, "officer": officer}


def reminder_sweep_action(app) -> Callable[[], object]:
    """One run of the reminder sweep (`coop reminders sweep`): queue what is due, try to deliver the outbox."""
    from coop.deadlines.sweep import run_sweep

    def action():
        with app.app_context():
            return run_sweep()

    return action


def without_statistics(url: str) -> None:
    """Measure the plans a never-analysed database gets: coop's `PRAGMA optimize` (run when a connection closes)
    may have counted statistics during an earlier run."""
    from bench.generate import drop_statistics

    drop_statistics(url)


def measure(url: str, repeat: int, label: str, export: bool, only_requests: bool = False) -> dict:
    without_statistics(url)
    app = make_bench_app(url)
    client = logged_in_client(app)
    ids = sample_ids(app)
    deep_page = max(1, ids["total"] // 50 - 5)
    load_at_start = os.getloadavg()[0]
    results: dict = {"label": label, "url": sa.engine.make_url(url).render_as_string(hide_password=True),
                     "requests": ids["total"], "repeat": repeat, "pages": {}}

    flask_floor = stats.median(timed(page_action(client, "/__bench_floor"), repeat * 3))
    statements = dashboard_statements(app, client)
    sql_floor = stats.median(timed(sql_floor_action(app, statements), repeat))
    results["floors"] = {"flask_ms": flask_floor, "sql_ms": sql_floor, "dashboard_statements": len(statements)}
    floor = flask_floor + sql_floor

    pages = {
        "Dashboard": "/dashboard/",
        "Dashboard, filtered (officer, type, countries)": "/dashboard/?officer=4&request_type=1&partner_kind=country",
        "Partner scorecard (busiest partner)": f"/dashboard/partners/{ids['partner']}",
        "Monthly report": "/dashboard/report",
        "Request list, first page": "/requests/",
        f"Request list, deep page ({deep_page})": f"/requests/?page={deep_page}",
        "Request list, filtered": f"/requests/?partner={ids['partner']}&status=open",
        "Request list, text search": "/requests/?text=user_1a",
        "Request page": f"/requests/{ids['request_id']}",
    }
    if only_requests:
        pages = {name: path for name, path in pages.items() if path.startswith("/requests/")}
    print(f"floors: Flask {flask_floor:.1f} ms, SQL {sql_floor:.1f} ms", file=sys.stderr, flush=True)
    for name, path in pages.items():
        results["pages"][name] = _measure_one(page_action(client, path), repeat, floor)
        print(f"{name}: {results['pages'][name]}", file=sys.stderr, flush=True)
    if not only_requests:
        name = "Officer's home (busiest officer)"
        results["pages"][name] = _measure_one(page_action(logged_in_client(app, ids["officer"]), "/"), repeat, floor)
        print(f"{name}: {results['pages'][name]}", file=sys.stderr, flush=True)
        # The first run queues the reminders the generator left due (and commits); later runs find the steady state
        # of a sweep every minute: nothing new.
        sweep = reminder_sweep_action(app)
        started = time.perf_counter()
        report = sweep()
        first_ms = (time.perf_counter() - started) * 1000
        results["pages"][f"Reminder sweep, first run ({report.reminders:,} reminders due)"] = {
            "median_ms": first_ms, "p90_ms": first_ms, "ratio": first_ms / floor}
        results["pages"]["Reminder sweep, nothing new due"] = _measure_one(sweep, repeat, floor)
    if export:
        results["export"] = measure_export(url, "csv")
    results["load_average"] = [load_at_start, os.getloadavg()[0]]
    return results


def _measure_one(action, repeat: int, floor: float) -> dict:
    try:
        samples = timed(action, repeat)
    except PageUnavailable as problem:
        return {"error": str(problem)}
    median = stats.median(samples)
    return {"median_ms": median, "p90_ms": sorted(samples)[int(0.9 * (len(samples) - 1))],
            "ratio": median / floor if floor else None}


def measure_export(url: str, fmt: str) -> dict:
    """Download the whole request list in a child process; report its time, size and peak memory."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "bench.run", "--export-child", fmt, "--url", url],
                               capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        return {"error": completed.stderr[-2000:]}
    child = json.loads(completed.stdout.strip().splitlines()[-1])
    child["wall_s"] = elapsed
    return child


def export_child(url: str, fmt: str) -> None:
    app = make_bench_app(url)
    client = app.test_client()
    # Sign the session in directly: hashing a password with argon2 takes 64 MB, which is the login's, not the
    # export's (the login page is measured with the other pages).
    from coop.extensions import db
    from coop.models import Role, User

    with app.app_context():
        head = db.session.scalar(select(User).where(User.role == Role.HEAD).order_by(User.id).limit(1))
        cookie_id = head.get_id()
        db.session.remove()
    with client.session_transaction() as session:
        session["_user_id"] = cookie_id
        session["_fresh"] = True
    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(f"/dashboard/export/requests.{fmt}", buffered=False)
    size = lines = 0
    first_byte = None
    for chunk in response.response:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n") if fmt == "csv" else 0
    response.close()
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"format": fmt, "seconds": elapsed, "first_byte_s": first_byte, "bytes": size,
                      "rows": lines - 1 if fmt == "csv" else None, "peak_rss_mb": peak_kib / 1024,
                      "baseline_rss_mb": baseline_kib / 1024}))


def markdown(results: list[dict]) -> str:
    lines = ["| Database | Page | Median ms | p90 ms | Ratio to floor | Meets target |", "|---|---|---:|---:|---:|---|"]
    for result in results:
        floors = result["floors"]
        if "load_average" in result:
            start, end = result["load_average"]
            lines.append(f"| {result['label']} | *machine load (1-minute average) at start / end* | "
                         f"{start:.1f} / {end:.1f} | | | |")
        lines.append(f"| {result['label']} | *Flask floor* | {floors['flask_ms']:.1f} | | | |")
        if floors["dashboard_statements"]:
            lines.append(f"| {result['label']} | *SQL floor ({floors['dashboard_statements']} dashboard statements)* "
                         f"| {floors['sql_ms']:.1f} | | | |")
        for name, page in result["pages"].items():
            if "error" in page:
                lines.append(f"| {result['label']} | {name} | n/a | | | {page['error'][:60]} |")
                continue
            ratio = page["ratio"]
            meets = page["median_ms"] <= TARGET_MS and (ratio is None or ratio <= TARGET_RATIO)
            lines.append(f"| {result['label']} | {name} | {page['median_ms']:.1f} | {page['p90_ms']:.1f} | "
                         f"{'—' if ratio is None else f'{ratio:.2f}'} | {'yes' if meets else 'no'} |")
        export = result.get("export")
        if export and "error" not in export:
            lines.append(f"| {result['label']} | Full export, CSV ({export['rows']:,} rows, "
                         f"{export['bytes'] / 1e6:.0f} MB) | {export['seconds'] * 1000:.0f} | | | peak RSS "
                         f"{export['peak_rss_mb']:.0f} MB, first byte {export['first_byte_s'] * 1000:.0f} ms |")
        elif export:
            lines.append(f"| {result['label']} | Full export | n/a | | | {export['error'][-60:]} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {_sqlite_version()}"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def network_pages(app) -> dict[str, str]:
    """The identifier and network pages (issue 15) on the generator's shared identifiers: the most shared phone, the
    largest network (its case page, its picture's data, its list page) and the head's list of networks."""
    from coop.extensions import db
    from coop.models import CaseNetwork, Identifier, IdentifierKind, Network

    with app.app_context():
        phone = db.session.execute(
            select(Identifier.normalized, func.count()).where(Identifier.kind == IdentifierKind.PHONE)
            .group_by(Identifier.normalized).order_by(func.count().desc()).limit(1)).first()
        largest = db.session.execute(select(Network.id, Network.case_count).order_by(
            Network.case_count.desc()).limit(1)).first()
        # A case inside the largest network, not the one it is named after.
        member = db.session.scalar(select(func.max(CaseNetwork.case_id)).where(CaseNetwork.network_id == largest[0]))
        db.session.remove()
    return {
        f"Identifier page (phone in {phone[1]} requests)": f"/identifiers/phone/{phone[0]}",
        f"Case page with its connected cases (network of {largest[1]} cases)": f"/cases/{member}",
        f"Case network page ({largest[1]} cases)": f"/cases/{member}/network",
        f"Case network picture data ({largest[1]} cases)": f"/cases/{member}/network.json",
        "Networks, the head's list (largest first)": "/networks/",
        "API: case network": f"/api/v1/cases/{member}/network",
    }


def measure_networks(url: str, repeat: int, label: str) -> dict:
    """The network pages only, as the head and as the busiest officer (whose need-to-know is checked row by row)."""
    app = make_bench_app(url)
    client = logged_in_client(app)
    ids = sample_ids(app)
    results: dict = {"label": label, "url": sa.engine.make_url(url).render_as_string(hide_password=True),
                     "requests": ids["total"], "repeat": repeat, "pages": {}}
    floor = stats.median(timed(page_action(client, "/__bench_floor"), repeat * 3))
    results["floors"] = {"flask_ms": floor, "sql_ms": 0.0, "dashboard_statements": 0}
    load_at_start = os.getloadavg()[0]
    officer = logged_in_client(app, ids["officer"])
    for name, path in network_pages(app).items():
        for who, visitor in (("head", client), ("officer", officer)):
            if path == "/networks/" and who == "officer":
                continue
            # No ratio: these pages have no floor of their own (the SQL floor is the dashboard's); 150 ms only.
            results["pages"][f"{name}, {who}"] = _measure_one(page_action(visitor, path), repeat, floor=0.0)
            print(f"{name}, {who}: {results['pages'][f'{name}, {who}']}", file=sys.stderr, flush=True)
    results["load_average"] = [load_at_start, os.getloadavg()[0]]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="SQLAlchemy URL of a database made by bench.generate")
    parser.add_argument("--table", action="store_true", help="print the table of every result in bench/results")
    parser.add_argument("--label", default=None)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--only-requests", action="store_true",
                        help="measure only the request list and a request's page (and no export)")
    parser.add_argument("--only-networks", action="store_true", help="measure only the identifier and network pages")
    parser.add_argument("--export-child", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.table:
        results = [json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))]
        results = [result for result in results if "pages" in result]  # not bench.writes, .load, .migrate
        print(markdown(sorted(results, key=lambda result: (result["label"].split(",")[0], result["requests"]))))
        return
    if not arguments.url:
        parser.error("--url is required")
    from bench.generate import absolute_url

    arguments.url = absolute_url(arguments.url)
    if arguments.export_child:
        export_child(arguments.url, arguments.export_child)
        return
    label = arguments.label or sa.engine.make_url(arguments.url).get_backend_name()
    export = not (arguments.no_export or arguments.only_requests)
    if arguments.only_networks:
        result = measure_networks(arguments.url, arguments.repeat, label)
    else:
        result = measure(arguments.url, arguments.repeat, label, export, only_requests=arguments.only_requests)
    result["machine"] = machine()
    result["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    RESULTS.mkdir(exist_ok=True)
    slug = "".join(char if char.isalnum() else "-" for char in label.lower()).strip("-")
    (RESULTS / f"{slug}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(result["machine"])
    print(markdown([result]))


if __name__ == "__main__":
    main()
