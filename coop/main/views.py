from datetime import timedelta

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from coop.deadlines.labels import deadline_kind_label
from coop.domain.request_search import next_deadlines
from coop.domain.worklist import (
    admin_overview,
    awaiting_approval,
    deadlines_due,
    my_open_requests,
    queue_counts,
)
from coop.extensions import db
from coop.main import bp
from coop.models import Role, utcnow
from coop.security import safe_next_url

# "Due this week": what falls due within the next seven days.
HORIZON = timedelta(days=7)
LIST_LIMIT = 15


@bp.route("/")
def index():
    """The home page: a person's queue (officers), the department's state (heads), the set-up (admins)."""
    if current_user.role == Role.ADMIN:
        return render_template("main/index.html", overview=admin_overview(db.session))
    now = utcnow()
    horizon = now + HORIZON
    is_head = current_user.role == Role.HEAD
    mine = db.session.scalars(my_open_requests(current_user).limit(LIST_LIMIT)).unique().all()
    return render_template(
        "main/index.html", now=now, is_head=is_head, deadline_kind_label=deadline_kind_label,
        counts=queue_counts(db.session, current_user, now, horizon, mine_only=not is_head),
        my_requests=mine,
        next_due=next_deadlines(db.session, [item.id for item in mine]),
        due=deadlines_due(db.session, current_user, horizon, mine_only=not is_head),
        approvals=(db.session.scalars(awaiting_approval(current_user).limit(LIST_LIMIT)).unique().all()
                   if is_head else []),
    )


@bp.post("/language/<code>")
def set_language(code: str):
    # CSRFProtect checks every POST, this one included.
    if code in current_app.config["COOP_LANGUAGES"]:
        session["language"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next_url(request.form.get("next")) or url_for("main.index"))


@bp.get("/health")
def health():
    return {"status": "ok"}
