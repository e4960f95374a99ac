from sqlalchemy import func, select

from coop.extensions import db
from coop.models import Partner


def test_coop_seed_adds_the_reference_data_once(runner):
    first = runner.invoke(args=["seed"])
    second = runner.invoke(args=["seed"])

    assert first.exit_code == second.exit_code == 0, first.output
    assert "added 249 countries, 12 providers, 14 legal bases, 13 request types" in first.output
    assert "added 0 countries, 0 providers, 0 legal bases, 0 request types" in second.output
    assert db.session.scalar(select(func.count(Partner.id))) == 261
