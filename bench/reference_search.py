"""How fast the request list's text search finds a request by a partner's reference or its case's register number,
at a million requests: fills a fresh database with requests, one partner reference each and a case for every
three, then prints each search's plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE) and its median time.

    .venv/bin/python -m bench.reference_search --url sqlite:///bench/results/refs-1m.sqlite --requests 1000000
    .venv/bin/python -m bench.reference_search --requests 1000000 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/coop_refs_1m
"""

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from coop.domain.request_search import text_condition
from coop.models import Base, CooperationRequest
from coop.models.requests import reference_search_key

CHUNK = 20_000
START = datetime(2019, 1, 1, tzinfo=UTC)


def _fresh_engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
        admin.dispose()
    elif parsed.database:
        import pathlib
        pathlib.Path(parsed.database).unlink(missing_ok=True)
    return sa.create_engine(url)


def fill(engine: sa.Engine, requests: int) -> None:
    Base.metadata.create_all(engine)
    tables = Base.metadata.tables
    with engine.begin() as connection:
        connection.execute(tables["partner"].insert(), [{
            "id": 1, "kind": "provider", "code": "meta", "name_ru": "Meta", "name_en": "Meta", "active": True,
            "created_at": START, "updated_at": START, "version": 1}])
        connection.execute(tables["request_type"].insert(), [{
            "id": 1, "code": "disclosure", "direction": "outgoing", "name_ru": "Раскрытие", "name_en": "Disclosure",
            "is_preservation": False, "is_emergency": False, "sort_order": 1, "active": True}])
    for first in range(1, requests + 1, CHUNK):
        numbers = range(first, min(first + CHUNK, requests + 1))
        with engine.begin() as connection:
            connection.execute(tables["criminal_case"].insert(), [{
                "id": number, "number": f"{251500000000000 + number * 7}", "title": "Мошенничество",
                "status": "open", "created_at": START, "updated_at": START, "version": 1}
                for number in numbers if number % 3 == 1])
            connection.execute(tables["cooperation_request"].insert(), [{
                "id": number, "reference": f"OUT-{2019 + number % 8}-{number:07d}", "direction": "outgoing",
                "request_type_id": 1, "partner_id": 1, "case_id": number - (number - 1) % 3,
                "title": f"Данные подписчика аккаунта user{number % 5000}", "status": "sent", "urgency": "normal",
                "restricted": False, "follow_up_promised": False, "created_at": START + timedelta(minutes=number),
                "updated_at": START, "version": 1} for number in numbers])
            connection.execute(tables["partner_reference"].insert(), [{
                "id": number, "request_id": number, "reference": reference,
                "reference_key": reference_search_key(reference), "added_at": START}
                for number in numbers for reference in [f"LE-{number * 13 % 9999991:07d}/{2019 + number % 8}"]])
        print(f"{numbers[-1]:,} requests", flush=True)


def measure(engine: sa.Engine, requests: int, repeat: int = 7) -> None:
    middle = requests // 2
    needles = {
        "partner reference, exact": f"LE-{middle * 13 % 9999991:07d}/{2019 + middle % 8}",
        "partner reference, other separators": f"le {middle * 13 % 9999991:07d} {2019 + middle % 8}",
        "case register number, exact": f"{251500000000000 + (middle - (middle - 1) % 3) * 7}",
        "our reference, exact": f"OUT-{2019 + middle % 8}-{middle:07d}",
    }
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "postgresql":
            connection.exec_driver_sql("ANALYZE")
        for label, needle in needles.items():
            query = sa.select(CooperationRequest.id).where(text_condition(needle))
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
            plan = [" ".join(str(part) for part in row[-1:]) for row in connection.exec_driver_sql(
                explain + str(compiled))]
            times, found = [], None
            for _ in range(repeat):
                started = time.perf_counter()
                found = connection.execute(query).scalars().all()
                times.append((time.perf_counter() - started) * 1000)
            print(f"\n## {label}: {needle!r} -> {len(found)} request(s), median {statistics.median(times):.2f} ms")
            print("\n".join(plan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--measure-only", action="store_true", help="measure a database already filled")
    arguments = parser.parse_args()
    if arguments.measure_only:
        engine = sa.create_engine(arguments.url)
    else:
        engine = _fresh_engine(arguments.url)
        started = time.perf_counter()
        fill(engine, arguments.requests)
        print(f"filled in {time.perf_counter() - started:.0f} s")
    measure(engine, arguments.requests)


if __name__ == "__main__":
    main()
