from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from coop.auth import bp
from coop.auth.forms import ChangePasswordForm, LoginForm
from coop.domain.accounts import authenticate, hash_password, recent_failed_logins, verify_password
from coop.extensions import db, limiter
from coop.forms import page_status
from coop.models import LoginAttempt, utcnow
from coop.security import safe_next_url


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COOP_LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        now = utcnow()
        failures = recent_failed_logins(db.session, username, now, current_app.config["COOP_FAILED_LOGIN_WINDOW"])
        if failures >= current_app.config["COOP_MAX_FAILED_LOGINS"]:
            minutes = int(current_app.config["COOP_FAILED_LOGIN_WINDOW"].total_seconds() // 60)
            flash(_("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes), "error")
            return render_template("auth/login.html", form=form), 429
        user = authenticate(db.session, username, form.password.data)
        db.session.add(
            LoginAttempt(username=username, remote_addr=request.remote_addr, succeeded=user is not None,
                         user_id=user.id if user else None, attempted_at=now)
        )
        if user is None:
            db.session.commit()
            flash(_("Wrong user name or password."), "error")
            return render_template("auth/login.html", form=form), 400
        user.last_login_at = now
        db.session.commit()
        language = session.get("language")
        session.clear()  # a fresh session on login: nothing from before survives but the language shown
        if language:
            session["language"] = language  # until the user's own saved choice, if any, takes over
        session.permanent = True
        login_user(user)
        target = safe_next_url(request.args.get("next"))
        if user.has_second_factor:
            return redirect(url_for("auth.second_factor_check", next=target))
        return redirect(target or url_for("main.index"))
    return render_template("auth/login.html", form=form), page_status(form)


@bp.post("/logout")
def logout():
    # Rotating the token ends this session everywhere a copy of the cookie might live.
    current_user.revoke_sessions()
    language = current_user.locale
    db.session.commit()
    logout_user()
    session.clear()
    if language:
        session["language"] = language  # the login page keeps speaking the user's language
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            user.password_hash = hash_password(form.new_password.data)
            user.revoke_sessions()
            db.session.commit()
            login_user(user)  # keep this session with the new token; all the others end
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form), page_status(form)
