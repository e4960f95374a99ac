from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from coop.extensions import db
from coop.main import bp
from coop.security import safe_next_url


@bp.route("/")
def index():
    return render_template("main/index.html")


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
