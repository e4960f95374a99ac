"""A request's page reads only the rows it shows, through indexes, whatever the database's statistics say."""

import pytest
from sqlalchemy import event

from coop.extensions import db
from coop.models import Role
from tests.factories import make_request, make_user


def statements_of_page(client, path: str) -> list[tuple[str, object]]:
    captured = []

    def record(_conn, _cursor, statement, parameters, *_args):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return captured


def test_follow_ups_are_looked_up_through_an_index_when_no_request_has_any(client, auth):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's statistics count NULLs apart: it is not misled")
    make_user(db.session, "head", Role.HEAD)
    requests = [make_request(db.session) for _number in range(30)]
    db.session.commit()
    with db.engine.begin() as connection:
        # Statistics of a table where no request follows another (as in a new database, or an imported one).
        connection.exec_driver_sql("ANALYZE")
    auth.login("head")
    statements = statements_of_page(client, f"/requests/{requests[10].id}")
    follow_ups = next((statement, parameters) for statement, parameters in statements
                      if "WHERE cooperation_request.follows_id IN" in statement)
    with db.engine.connect() as connection:
        plan = " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {follow_ups[0]}",
                                                                       follow_ups[1]))
    assert "USING INDEX ix_cooperation_request_follows_id" in plan


def test_a_follow_up_is_listed_on_the_page_of_the_request_it_follows(client, auth):
    make_user(db.session, "head", Role.HEAD)
    first = make_request(db.session, reference="OUT-2026-0001")
    make_request(db.session, reference="OUT-2026-0002", follows=first)
    make_request(db.session, reference="OUT-2026-0003")
    auth.login("head")
    page = client.get(f"/requests/{first.id}").get_data(as_text=True)
    assert "OUT-2026-0002" in page and "OUT-2026-0003" not in page
