from sqlalchemy import func, select

from coop.extensions import db
from coop.models import Role, User


def test_create_user_from_the_command_line(runner):
    result = runner.invoke(args=["users", "create", "m.ivanov", "--name", "Максим Иванов", "--role", "head",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "m.ivanov"))
    assert user.role == Role.HEAD


def test_create_user_refuses_a_weak_password_and_creates_nothing(runner):
    result = runner.invoke(args=["users", "create", "m.ivanov", "--name", "M", "--password", "short"])
    assert result.exit_code != 0
    assert "password refused" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_demo_data_loads_once(runner):
    first = runner.invoke(args=["demo"])
    assert "Demo data loaded" in first.output
    count = db.session.scalar(select(func.count(User.id)))
    second = runner.invoke(args=["demo"])
    assert "already" in second.output
    assert db.session.scalar(select(func.count(User.id))) == count
