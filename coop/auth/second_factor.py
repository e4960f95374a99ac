"""The second factor's pages: the code after the password, enrolment, recovery codes, replacing a lost phone.

Whether a session passed the second factor lives in the session itself (`session[PASSED]`, the user's id):
a new login clears the session, so it starts without it; revoking a user's sessions (logout, a new password,
an admin's reset) ends the session that carried it; and a password change, which keeps the current session
with the new token, keeps it too.
"""

import segno
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from coop.auth import bp
from coop.auth.forms import EnrolmentForm, SecondFactorForm
from coop.domain import second_factor
from coop.domain.accounts import recent_failed_logins
from coop.extensions import db, limiter
from coop.models import LoginAttempt, utcnow
from coop.security import safe_next_url

PASSED = "second_factor_passed"


def passed_second_factor() -> bool:
    """Whether this session passed the second factor for the current user."""
    return session.get(PASSED) == current_user.id


def second_factor_required(user) -> bool:
    config = current_app.config
    return second_factor.is_required(user.role.value, config["COOP_MFA_REQUIRED_ROLES"], config["COOP_REQUIRE_MFA"])


def _locked_out(now) -> bool:
    config = current_app.config
    failures = recent_failed_logins(db.session, current_user.username, now, config["COOP_FAILED_LOGIN_WINDOW"])
    return failures >= config["COOP_MAX_FAILED_LOGINS"]


def _lockout_message() -> str:
    minutes = int(current_app.config["COOP_FAILED_LOGIN_WINDOW"].total_seconds() // 60)
    return _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes)


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COOP_LOGIN_RATE_LIMIT"], methods=["POST"])
def second_factor_check():
    """After the password: the authenticator's code (or a recovery code)."""
    if not current_user.has_second_factor:
        return redirect(url_for("auth.second_factor_setup"))
    if passed_second_factor():
        return redirect(url_for("main.index"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        now = utcnow()
        if _locked_out(now):
            flash(_lockout_message(), "error")
            return render_template("auth/second_factor.html", form=form), 429
        used = second_factor.check_code(db.session, current_user, form.code.data, now)
        db.session.add(LoginAttempt(username=current_user.username, remote_addr=request.remote_addr,
                                    succeeded=used is not None, user_id=current_user.id, attempted_at=now,
                                    factor="second_factor"))
        db.session.commit()
        if used is None:
            form.code.errors.append(_("This code is wrong or has already been used."))
            return render_template("auth/second_factor.html", form=form), 400
        session[PASSED] = current_user.id
        if used == "recovery":
            left = second_factor.remaining_recovery_codes(db.session, current_user)
            flash(_("You logged in with a recovery code; %(count)d remain. If you lost your phone, set up a new "
                    "authenticator now.", count=left), "warning")
            return redirect(url_for("auth.second_factor_settings"))
        return redirect(safe_next_url(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/second_factor.html", form=form), 400 if form.errors else 200


def _qr_data_uri(uri: str) -> str:
    """The otpauth address as an SVG QR code in a data: URI (the CSP allows data: images; no script, no request)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#1b2430")


@bp.route("/account/second-factor/setup", methods=["GET", "POST"])
def second_factor_setup():
    """Enrolment: scan the QR code (or type the key), confirm with a first code, keep the recovery codes."""
    if current_user.has_second_factor:
        return redirect(url_for("auth.second_factor_settings"))
    form = EnrolmentForm()
    if form.validate_on_submit():
        codes = second_factor.confirm_enrolment(db.session, current_user, form.code.data, utcnow())
        if codes is not None:
            db.session.commit()
            session[PASSED] = current_user.id
            return render_template("auth/recovery_codes.html", codes=codes, first_time=True)
        db.session.rollback()
        form.code.errors.append(_("This code does not match. Check the time on your phone and type the code "
                                  "the app shows now."))
    secret = second_factor.start_enrolment(db.session, current_user)
    db.session.commit()
    uri = second_factor.provisioning_uri(secret, current_user.username, current_app.config["COOP_MFA_ISSUER"])
    return render_template("auth/second_factor_setup.html", form=form, qr=_qr_data_uri(uri),
                           key=second_factor.grouped(secret), required=second_factor_required(current_user),
                           ), 400 if form.errors else 200


@bp.get("/account/second-factor")
def second_factor_settings():
    remaining = (second_factor.remaining_recovery_codes(db.session, current_user)
                 if current_user.has_second_factor else 0)
    return render_template("auth/second_factor_settings.html", remaining=remaining,
                           required=second_factor_required(current_user))


@bp.post("/account/second-factor/recovery-codes")
def new_recovery_codes():
    if not current_user.has_second_factor:
        return redirect(url_for("auth.second_factor_setup"))
    codes = second_factor.replace_recovery_codes(db.session, current_user, utcnow())
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes, first_time=False)


@bp.post("/account/second-factor/replace")
def replace_second_factor():
    """A new phone: forget the old authenticator (this session stays, the others end) and enrol again."""
    if not current_user.has_second_factor:
        return redirect(url_for("auth.second_factor_setup"))
    user = current_user._get_current_object()
    second_factor.remove_second_factor(db.session, user)
    db.session.commit()
    login_user(user)  # this session, with the new token; every other session ends
    flash(_("Your old authenticator no longer works. Set up the new one now."), "info")
    return redirect(url_for("auth.second_factor_setup"))
