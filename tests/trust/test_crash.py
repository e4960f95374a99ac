"""A process killed in the middle of a write leaves the database consistent: all or nothing."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import sqlalchemy as sa

from coop.extensions import db
from coop.models import Partner
from tests.factories import make_partner

WRITER = textwrap.dedent("""
    import sys, time
    from coop import create_app
    from coop.extensions import db
    from coop.models import Partner
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x", "COOP_UPLOAD_FOLDER": sys.argv[2]})
    with app.app_context():
        for index in range(500):
            db.session.add(Partner(code=f"half{index}", kind="provider", name_ru="x", name_en="x"))
            db.session.flush()
        print("flushed", flush=True)
        time.sleep(60)  # killed here, before the commit
        db.session.commit()
""")


def test_killed_writer_leaves_nothing_half_written(app, tmp_path):
    make_partner(db.session, "meta")
    db.session.commit()
    url = db.engine.url.render_as_string(hide_password=False)
    process = subprocess.Popen([sys.executable, "-c", WRITER, url, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONWARNINGS": "ignore"})
    try:
        assert process.stdout.readline().strip() == "flushed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    time.sleep(0.2)
    db.session.remove()
    codes = set(db.session.scalars(sa.select(Partner.code)))
    db.session.rollback()  # on SQLite every transaction holds the write lock: end this one first
    assert codes == {"meta"}
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    # And the database still takes writes.
    make_partner(db.session, "telegram")
    db.session.commit()
