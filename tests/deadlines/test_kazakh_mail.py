"""Reminders reach an officer who chose Kazakh in Kazakh: subject, body and the rule's advice."""

from coop.deadlines.sweep import run_sweep
from coop.domain.deadlines import DEFAULT_RULES
from coop.extensions import db
from tests.deadlines.conftest import NOW
from tests.deadlines.test_sweep import LATER, smtp  # noqa: F401  (the SMTP server fixture)

EXECUTION_ADVICE = next(rule for rule in DEFAULT_RULES if rule.request_type == "mla_incoming")


def test_the_digest_of_an_officer_who_chose_kazakh_is_in_kazakh(app, dept, smtp):  # noqa: F811
    dept.officer.locale = "kk"
    request = dept.request("mla_incoming", received_at=NOW)
    db.session.commit()
    run_sweep(LATER)
    kazakh = next(message for message in smtp.mailbox.messages if message["To"] == "officer@police.kz")
    body = kazakh.get_body(("plain",)).get_content()
    assert kazakh["Subject"].startswith("coop: ") and "еске салу" in kazakh["Subject"]
    assert "МЕРЗІМІ ӨТКЕН" in body and request.reference in body
    assert EXECUTION_ADVICE.advice_kk in body and EXECUTION_ADVICE.advice_ru not in body
    assert "coop бұл хатты күніне бір рет жібереді." in body
