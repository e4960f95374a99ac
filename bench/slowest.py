"""The slowest statements of one page (or the reminder sweep), with their plans: where a page's time goes.

    .venv/bin/python -m bench.slowest --url sqlite:///bench/results/coop-1m.sqlite "/dashboard/?officer=4"
    .venv/bin/python -m bench.slowest --url sqlite:///bench/results/coop-1m.sqlite sweep
"""

import argparse
import time

from sqlalchemy import event

from bench.run import logged_in_client, make_bench_app, reminder_sweep_action
from bench.writes import explain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="head")
    parser.add_argument("--top", type=int, default=4)
    parser.add_argument("page", help='a path, or "sweep"')
    arguments = parser.parse_args()
    from bench.generate import absolute_url, drop_statistics
    from coop.extensions import db

    url = absolute_url(arguments.url)
    drop_statistics(url)
    app = make_bench_app(url)
    with app.app_context():
        engine = db.engine
    action = (reminder_sweep_action(app) if arguments.page == "sweep"
              else (lambda client=logged_in_client(app, arguments.user): client.get(arguments.page, buffered=True)))
    action()  # warm-up
    timings: list[tuple[float, str, object]] = []
    started: dict[int, float] = {}

    def before(_conn, cursor, _statement, _parameters, _context, _executemany):
        started[id(cursor)] = time.perf_counter()

    def after(_conn, cursor, statement, parameters, _context, _executemany):
        timings.append((time.perf_counter() - started.pop(id(cursor), time.perf_counter()), statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        began = time.perf_counter()
        action()
        total = time.perf_counter() - began
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    print(f"{arguments.page}: {total * 1000:.0f} ms, {len(timings)} statements, "
          f"{sum(spent for spent, _, _ in timings) * 1000:.0f} ms in the driver")
    for spent, statement, parameters in sorted(timings, key=lambda item: -item[0])[:arguments.top]:
        print(f"--- {spent * 1000:.1f} ms")
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            explain(engine, {statement: parameters})
        else:
            print(" ".join(statement.split())[:300])


if __name__ == "__main__":
    main()
