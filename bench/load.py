"""A load test over real HTTP: coop under gunicorn on a generated database, logged-in readers and API writers.

    .venv/bin/python -m bench.load --url sqlite:///bench/results/coop-1m.sqlite --label "SQLite, 1M"

Starts gunicorn on 127.0.0.1 (a free port; `--workers` processes of `--threads` threads, the production settings
read from COOP_* variables as in production), then for `--duration` seconds runs in threads of this process:

- `--readers` people in the browser, logged in through the login form: heads read the dashboard, the request
  list, a request's page and their home; officers their home (their queue), the list and a request's page;
- `--writers` programs on the API with a personal token (an officer's): create an incoming request, read it,
  move it along its workflow (registered, assessed, in execution, answered, closed), and again.

Each person waits for the answer before the next call (no think time: the worst case of that many people). The
run is bounded: at most `--duration` seconds and `--max-calls` calls, each call times out after 30 s; the
server is stopped at the end. Every answer other than 2xx (and 3xx after a login) counts as an error, and so
does every "database is locked" in gunicorn's log. Results go to bench/results/load-<label>.json.
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics as stats
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import requests
import sqlalchemy as sa
from sqlalchemy import func, select

from bench.run import RESULTS

HOST = "127.0.0.1"
CALL_TIMEOUT_S = 30
PAGE_P95_TARGET_MS = 500
WRITER_FLOW = ("registered", "assessed", "in_execution", "answered", "closed")


class Recorder:
    """Every call's operation, duration and outcome, from all threads."""

    def __init__(self, max_calls: int):
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.calls = 0
        self.max_calls = max_calls

    def call(self, session: requests.Session, operation: str, method: str, url: str, ok=(200,), **kwargs):
        with self.lock:
            if self.calls >= self.max_calls:
                raise Exhausted
            self.calls += 1
        started = time.perf_counter()
        try:
            response = session.request(method, url, timeout=CALL_TIMEOUT_S, allow_redirects=False, **kwargs)
        except requests.RequestException as problem:
            self._record(operation, started, f"{type(problem).__name__}: {problem}"[:200])
            return None
        self._record(operation, started, None if response.status_code in ok else
                     f"HTTP {response.status_code}: {response.text[:160]!r}")
        return response

    def _record(self, operation: str, started: float, error: str | None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.samples[operation].append(elapsed)
            if error:
                self.errors[operation].append(error)


class Exhausted(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def prepare(url: str, readers: int, writers: int) -> dict:
    """The people of the test (heads first, then the busiest officers), a token for each writer, request ids."""
    from bench.run import make_bench_app
    from coop.domain.tokens import issue_token
    from coop.extensions import db
    from coop.models import (
        ApiToken,
        CooperationRequest,
        Partner,
        PartnerKind,
        RequestType,
        Role,
        TokenScope,
        User,
        request_officer,
        utcnow,
    )

    app = make_bench_app(url)
    with app.app_context():
        session = db.session
        heads = list(session.scalars(select(User.username).where(User.role == Role.HEAD).order_by(User.id)))
        officers = list(session.scalars(
            select(User.username).join(request_officer, request_officer.c.user_id == User.id)
            .where(User.role == Role.OFFICER).group_by(User.username).order_by(func.count().desc())
            .limit(readers + writers)))
        people = [(name, True) for name in heads[:max(1, readers // 3)]]
        people += [(name, False) for name in officers[:readers - len(people)]]
        writer_names = officers[-writers:]
        tokens = []
        for number, name in enumerate(writer_names):
            user = session.scalar(select(User).where(User.username == name))
            for old in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                              ApiToken.name.like("bench load%"))):
                old.revoked_at = utcnow()
            _, secret = issue_token(session, user, f"bench load {number} {time.time_ns()}", TokenScope.WRITE,
                                    utcnow(), valid_days=1)
            tokens.append(secret)
        session.commit()
        total = session.scalar(select(func.max(CooperationRequest.id)))
        rng = random.Random(7)
        sample = sorted({rng.randint(1, total) for _ in range(3000)})
        visible = list(session.scalars(select(CooperationRequest.id).where(
            CooperationRequest.id.in_(sample), CooperationRequest.restricted.is_(False))))
        partner = session.scalar(select(Partner.code).where(Partner.kind == PartnerKind.COUNTRY,
                                                            Partner.code == "KG"))
        request_type = session.scalar(select(RequestType.code).where(RequestType.code == "mla_incoming"))
        db.session.remove()
    return {"people": people, "tokens": tokens, "request_ids": visible, "partner": partner,
            "request_type": request_type}


def start_server(url: str, port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    environment = dict(os.environ, COOP_DATABASE_URL=url, COOP_SECRET_KEY="bench-load-secret",
                       COOP_MAIL_SERVER="127.0.0.1", COOP_MAIL_PORT="1",
                       # The generated people have no second factor (its check on each page reads nothing).
                       COOP_MFA_REQUIRED_ROLES="", COOP_MFA_FOR_TOKENS="0")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = log_path.open("w")
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(workers), "--threads", str(threads), "-b", f"{HOST}:{port}",
         # Keep-alive longer than the gap between two calls of one person, as behind a reverse proxy: with
         # gunicorn's 2 s, a call sent just as the worker closed the idle connection was reset.
         "--keep-alive", "30", "--timeout", "120", "--graceful-timeout", "10", "--access-logfile", "-",
         "--access-logformat", '%(m)s %(U)s %(s)s %(M)sms', "coop.wsgi:app"],
        env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped: see {log_path}")
        try:
            if requests.get(f"http://{HOST}:{port}/login", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 120 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def log_in(base: str, username: str) -> requests.Session:
    """A browser session logged in through the login form (before the clock starts: a login hashes the password
    with argon2, 64 MB and a few hundred ms by design, which is not what this test measures)."""
    from bench.generate import BENCH_PASSWORD

    session = requests.Session()
    form = session.get(f"{base}/login", timeout=CALL_TIMEOUT_S)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    data = {"username": username, "password": BENCH_PASSWORD}
    if token:
        data["csrf_token"] = token.group(1)
    response = session.post(f"{base}/login", data=data, timeout=CALL_TIMEOUT_S, allow_redirects=False)
    if response.status_code not in (302, 303):
        raise SystemExit(f"{username} could not log in: HTTP {response.status_code}")
    return session


def reader(base: str, session: requests.Session, head: bool, request_ids: list[int], recorder: Recorder,
           until: float, seed: int) -> None:
    rng = random.Random(seed)
    pages = [("Home", "/")] if not head else [("Dashboard (head)", "/dashboard/"), ("Home", "/")]
    pages += [("Request list", "/requests/"), ("Request page", None)]
    try:
        while time.monotonic() < until:
            for name, path in pages:
                if time.monotonic() >= until:
                    return
                recorder.call(session, name, "GET", base + (path or f"/requests/{rng.choice(request_ids)}"))
    except Exhausted:
        return


def writer(base: str, token: str, partner: str, request_type: str, recorder: Recorder, until: float,
           number: int) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    api = f"{base}/api/v1"
    made = 0
    try:
        while time.monotonic() < until:
            made += 1
            created = recorder.call(session, "API: create a request", "POST", f"{api}/requests", ok=(201,), json={
                "direction": "incoming", "title": f"Load test {number}-{made}", "request_type": request_type,
                "partner": partner})
            if created is None or created.status_code != 201:
                continue
            request_id = created.json()["id"]
            for status in WRITER_FLOW:
                if time.monotonic() >= until:
                    return
                recorder.call(session, "API: read a request", "GET", f"{api}/requests/{request_id}")
                recorder.call(session, "API: move it along the workflow", "POST",
                              f"{api}/requests/{request_id}/status", json={"status": status})
    except Exhausted:
        return


def run_load(url: str, label: str, duration: float, readers: int, writers: int, workers: int, threads: int,
             max_calls: int, keep_statistics: bool) -> dict:
    from bench.generate import drop_statistics

    if not keep_statistics:
        drop_statistics(url)
    setup = prepare(url, readers, writers)
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"coop-load-{port}.log"
    recorder = Recorder(max_calls)
    server = start_server(url, port, workers, threads, log_path)
    base = f"http://{HOST}:{port}"
    load_at_start = os.getloadavg()
    try:
        sessions = [(log_in(base, name), head) for name, head in setup["people"]]
        started = time.monotonic()
        until = started + duration
        threads_run = [threading.Thread(target=reader, args=(base, session, head, setup["request_ids"], recorder,
                                                             until, number), daemon=True)
                       for number, (session, head) in enumerate(sessions)]
        threads_run += [threading.Thread(target=writer, args=(base, token, setup["partner"], setup["request_type"],
                                                              recorder, until, number), daemon=True)
                        for number, token in enumerate(setup["tokens"])]
        for thread in threads_run:
            thread.start()
        for thread in threads_run:
            thread.join(timeout=duration + 2 * CALL_TIMEOUT_S)
        elapsed = time.monotonic() - started
        load_at_end = os.getloadavg()
    finally:
        stop_server(server)
    log_text = log_path.read_text(errors="replace")
    result = {
        "label": label, "url": sa.engine.make_url(url).render_as_string(hide_password=True),
        "duration_s": elapsed, "readers": [name for name, _ in setup["people"]], "writers": len(setup["tokens"]),
        "gunicorn": {"workers": workers, "threads": threads}, "calls": recorder.calls,
        "load_average": {"start": load_at_start, "end": load_at_end},
        "locked_in_log": log_text.count("database is locked"),
        "server_errors_in_log": len(re.findall(r"Traceback|\s5\d\d\s\d+ms", log_text)),
        "at": datetime.now(UTC).isoformat(timespec="seconds"), "operations": {},
    }
    for operation, samples in sorted(recorder.samples.items()):
        ordered = sorted(samples)
        result["operations"][operation] = {
            "calls": len(samples), "per_second": len(samples) / elapsed, "median_ms": stats.median(samples),
            "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "errors": len(recorder.errors[operation]),
            "first_errors": recorder.errors[operation][:3]}
    return result


def markdown(result: dict) -> str:
    start, end = result["load_average"]["start"][0], result["load_average"]["end"][0]
    gunicorn = result["gunicorn"]
    lines = [f"Load test, {result['label']}: {len(result['readers'])} readers and {result['writers']} writers for "
             f"{result['duration_s']:.0f} s, gunicorn {gunicorn['workers']} workers x {gunicorn['threads']} threads; "
             f"{result['calls']:,} calls ({result['calls'] / result['duration_s']:.1f}/s); machine load "
             f"{start:.1f} / {end:.1f}; \"database is locked\" in the log: {result['locked_in_log']}, "
             f"5xx or tracebacks: {result['server_errors_in_log']}", "",
             "| Operation | Calls | Calls/s | Median ms | p95 ms | Errors |", "|---|---:|---:|---:|---:|---:|"]
    for name, figures in result["operations"].items():
        lines.append(f"| {name} | {figures['calls']} | {figures['per_second']:.2f} | {figures['median_ms']:.0f} | "
                     f"{figures['p95_ms']:.0f} | {figures['errors']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a database made by bench.generate")
    parser.add_argument("--label", default=None)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-calls", type=int, default=100_000)
    parser.add_argument("--keep-statistics", action="store_true",
                        help="measure with the planner statistics the database has (default: SQLite's dropped)")
    arguments = parser.parse_args()
    from bench.generate import absolute_url

    url = absolute_url(arguments.url)
    label = arguments.label or sa.engine.make_url(url).get_backend_name()
    result = run_load(url, label, arguments.duration, arguments.readers, arguments.writers, arguments.workers,
                      arguments.threads, arguments.max_calls, arguments.keep_statistics)
    RESULTS.mkdir(exist_ok=True)
    slug = "".join(char if char.isalnum() else "-" for char in label.lower()).strip("-")
    (RESULTS / f"load-{slug}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(markdown(result))


if __name__ == "__main__":
    main()
