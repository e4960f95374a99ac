"""The home page: an officer's queue, a head's approvals and department figures, an admin's overview."""

import re

from coop.extensions import db
from coop.models import Direction, PartnerKind, Role, Status, Urgency
from tests.factories import make_partner, make_request, make_request_type, make_user


def section(html: str, test_id: str) -> str:
    return html.split(f'data-testid="{test_id}"')[1].split("</section>")[0]


def figure(html: str, test_id: str) -> int:
    return int(re.search(rf'data-testid="{test_id}">(\d+)<', html).group(1))


def test_an_officer_sees_their_open_requests_most_urgent_first(client, auth, app):
    officer, colleague = make_user(db.session, "officer", full_name="Айдар"), make_user(db.session, "colleague")
    make_request(db.session, reference="MINE-NORMAL", officers=[officer], status=Status.SENT)
    make_request(db.session, reference="MINE-EMERGENCY", officers=[officer], status=Status.SENT,
                 urgency=Urgency.EMERGENCY, emergency_justification="Угроза жизни")
    make_request(db.session, reference="MINE-URGENT", officers=[officer], status=Status.DRAFT, urgency=Urgency.URGENT)
    make_request(db.session, reference="MINE-CLOSED", officers=[officer], status=Status.CLOSED)
    make_request(db.session, reference="THEIRS", officers=[colleague], status=Status.SENT)
    auth.login("officer")
    html = client.get("/").get_data(as_text=True)
    assert "Добро пожаловать, Айдар" in html
    mine = section(html, "my-requests")
    assert re.findall(r">(MINE-[A-Z]+|THEIRS)</a>", mine) == ["MINE-EMERGENCY", "MINE-URGENT", "MINE-NORMAL"]
    assert figure(html, "count-open") == 3
    assert figure(html, "count-awaiting-partner") == 2
    assert 'data-testid="approvals"' not in html


def test_an_officer_with_nothing_assigned_is_told_so(client, auth, app):
    make_user(db.session, "officer")
    auth.login("officer")
    html = client.get("/").get_data(as_text=True)
    assert "Вам не назначено ни одного открытого запроса." in section(html, "my-requests")
    assert figure(html, "count-open") == 0


def test_a_head_sees_what_awaits_approval_and_the_department_figures(client, auth, app):
    make_user(db.session, "head", Role.HEAD, full_name="Гульнара")
    officer = make_user(db.session, "officer", full_name="Айдар Сейтказиев")
    usa = make_partner(db.session, "US", PartnerKind.COUNTRY, name_ru="США")
    mla = make_request_type(db.session, "mla_outgoing", name_ru="Запрос о правовой помощи")
    make_request(db.session, reference="WAITING", title="Правовая помощь США", partner=usa, request_type=mla,
                 status=Status.AWAITING_APPROVAL, officers=[officer], created_by=officer)
    make_request(db.session, reference="SENT", status=Status.SENT, officers=[officer])
    make_request(db.session, Direction.INCOMING, reference="IN", status=Status.RECEIVED,
                 request_type=make_request_type(db.session, "mla_incoming", Direction.INCOMING))
    auth.login("head")
    html = client.get("/").get_data(as_text=True)
    approvals = section(html, "approvals")
    assert "WAITING" in approvals and "США" in approvals and "Айдар Сейтказиев" in approvals
    assert "SENT" not in approvals
    assert "/requests/?status=awaiting_approval" in approvals
    assert figure(html, "count-approval") == 1
    assert figure(html, "count-open") == 3  # the whole department, not only the head's own


def test_a_head_with_nothing_to_approve_is_told_so(client, auth, app):
    make_user(db.session, "head", Role.HEAD)
    auth.login("head")
    assert "Нет запросов, ожидающих вашего утверждения." in section(client.get("/").get_data(as_text=True),
                                                                     "approvals")


def test_an_admin_sees_people_and_reference_data(client, auth, app):
    make_user(db.session, "admin", Role.ADMIN)
    make_user(db.session, "officer")
    make_user(db.session, "gone", active=False)
    make_partner(db.session, "meta")
    make_partner(db.session, "US", PartnerKind.COUNTRY)
    make_partner(db.session, "TR", PartnerKind.COUNTRY)
    make_request(db.session)
    auth.login("admin")
    html = client.get("/").get_data(as_text=True)
    overview = html.split('data-testid="admin-overview"')[1]
    found = re.findall(r'stat-value">([\d\s\u00a0]+)</div>\s*<div class="stat-label">([^<]+)<', overview)
    labels = {label: int(re.sub(r"\D", "", value)) for value, label in found}
    assert labels["Активные пользователи"] == 2
    assert labels["Отключённые пользователи"] == 1
    assert labels["Страны-партнёры"] == 2
    assert labels["Онлайн-провайдеры"] == 1
    assert labels["Запросов в системе"] == 1
    assert 'href="/admin/users"' in html
    assert 'data-testid="my-requests"' not in html


def _deadline(request, due_at, state=None, sequence=0):
    from coop.models import ClockUnit, Deadline, DeadlineKind, DeadlineState

    deadline = Deadline(request_id=request.id, kind=DeadlineKind.ANSWER_EXPECTED, sequence=sequence,
                        unit=ClockUnit.CALENDAR_DAYS, due_at=due_at, state=state or DeadlineState.OPEN)
    db.session.add(deadline)
    db.session.flush()
    return deadline


def test_an_officer_sees_what_is_overdue_and_due_this_week_and_nothing_later(client, auth, app):
    from datetime import UTC, datetime, timedelta

    from coop.models import DeadlineState

    now = datetime.now(UTC)
    officer, colleague = make_user(db.session, "officer"), make_user(db.session, "colleague")
    late = make_request(db.session, reference="LATE", officers=[officer], status=Status.SENT)
    soon = make_request(db.session, reference="SOON", officers=[officer], status=Status.SENT)
    later = make_request(db.session, reference="LATER", officers=[officer], status=Status.SENT)
    paused = make_request(db.session, reference="PAUSED", officers=[officer], status=Status.ADDITIONAL_INFO_REQUESTED)
    theirs = make_request(db.session, reference="THEIRS", officers=[colleague], status=Status.SENT)
    _deadline(late, now - timedelta(days=4))
    _deadline(soon, now + timedelta(days=2))
    _deadline(later, now + timedelta(days=30))
    _deadline(paused, now - timedelta(days=1), DeadlineState.PAUSED)
    _deadline(theirs, now - timedelta(days=1))
    auth.login("officer")
    html = client.get("/").get_data(as_text=True)
    due = section(html, "due-list")
    assert re.findall(r">([A-Z]+)</a>", due) == ["LATE", "SOON"]
    assert "просрочено" in due.split("SOON")[0] and "просрочено" not in due.split("LATE")[1]
    assert "Ожидается ответ" in due or "Answer expected" in due
    assert (figure(html, "count-overdue"), figure(html, "count-due-soon")) == (1, 1)
    mine = section(html, "my-requests")
    assert mine.index("LATE") < mine.index("SOON") < mine.index("LATER")  # by next deadline
    assert "row-overdue" in mine.split("LATE")[0].rsplit("<tr", 1)[1]


def test_a_head_sees_the_departments_overdue_deadlines(client, auth, app):
    from datetime import UTC, datetime, timedelta

    make_user(db.session, "head", Role.HEAD)
    officer = make_user(db.session, "officer")
    late = make_request(db.session, reference="LATE", officers=[officer], status=Status.SENT)
    _deadline(late, datetime.now(UTC) - timedelta(days=1))
    auth.login("head")
    html = client.get("/").get_data(as_text=True)
    assert "LATE" in section(html, "due-list")
    assert figure(html, "count-overdue") == 1


def test_a_request_counts_once_by_its_next_deadline_for_an_officer_and_a_head(app):
    from datetime import UTC, datetime, timedelta

    from coop.domain.worklist import queue_counts

    now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    officer, head = make_user(db.session, "officer"), make_user(db.session, "head", role=Role.HEAD)
    late = make_request(db.session, reference="LATE", officers=[officer], status=Status.SENT)
    _deadline(late, now - timedelta(days=2))
    _deadline(late, now + timedelta(days=3), sequence=1)  # also due this week: still counted as overdue only
    soon = make_request(db.session, reference="SOON", officers=[officer], status=Status.SENT)
    _deadline(soon, now + timedelta(days=3))
    closed = make_request(db.session, reference="CLOSED", officers=[officer], status=Status.CLOSED)
    _deadline(closed, now - timedelta(days=1))  # a preservation still running after closing: not in the queue

    for user, mine_only in ((officer, True), (head, False)):
        counts = queue_counts(db.session, user, now, now + timedelta(days=7), mine_only=mine_only)
        assert (counts.open, counts.overdue, counts.due_soon) == (2, 1, 1)
