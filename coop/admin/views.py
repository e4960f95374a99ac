from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from coop.admin import bp
from coop.admin.forms import UserForm
from coop.domain.accounts import hash_password
from coop.domain.second_factor import remove_second_factor
from coop.extensions import db
from coop.forms import page_status
from coop.models import Role, User


@bp.get("/users")
def users():
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.full_name))
    return render_template("admin/users.html", users=people)


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    form = UserForm()
    if form.validate_on_submit():
        user = User(password_hash=hash_password(form.password.data))
        _apply(form, user)
        db.session.add(user)
        db.session.commit()
        flash(_("User %(name)s has been created.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), page_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, editing=user)
    if form.validate_on_submit():
        if user.id == current_user.id and (not form.active.data or form.role.data != Role.ADMIN):
            form.role.errors.append(_("You cannot remove your own administrator rights or deactivate yourself."))
            return render_template("admin/user_form.html", form=form, user=user), 400
        if not _claim_version(user, form.version.data):
            form.form_errors.append(_("Someone changed this account after you opened it. Check it and save again."))
            form.version.data, form.version.raw_data = user.version, [str(user.version)]
            return render_template("admin/user_form.html", form=form, user=user), 409
        was_active, old_role = user.active, user.role
        _apply(form, user)
        if form.password.data:
            user.password_hash = hash_password(form.password.data)
        if form.password.data or (was_active and not user.active) or old_role != user.role:
            user.revoke_sessions()
        db.session.commit()
        flash(_("User %(name)s has been saved.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), page_status(form)


def _claim_version(user: User, submitted: int) -> bool:
    """Move the account to its next version if it is still at `submitted` (one conditional UPDATE: two editors
    who opened the same version cannot both save)."""
    claimed = db.session.execute(update(User).where(User.id == user.id, User.version == submitted)
                                 .values(version=User.version + 1).execution_options(synchronize_session=False))
    db.session.refresh(user, ["version"])
    return claimed.rowcount == 1


def _apply(form: UserForm, user: User) -> None:
    user.username = form.username.data
    user.full_name = form.full_name.data.strip()
    user.email = form.email.data or None
    try:
        user.role = Role(form.role.data)
    except ValueError:
        abort(400)
    user.active = form.active.data


@bp.post("/users/<int:user_id>/second-factor/reset")
def reset_second_factor(user_id: int):
    """For a user who lost their phone and recovery codes: they enrol again at their next login (audited: the
    user's row records the change, with the administrator as its author)."""
    user = db.get_or_404(User, user_id)
    if not user.has_second_factor:
        flash(_("%(name)s has no second factor to reset.", name=user.username), "info")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    remove_second_factor(db.session, user)
    db.session.commit()
    if user.id == current_user.id:
        return redirect(url_for("auth.login"))
    flash(_("The second factor of %(name)s has been reset; their sessions have ended.", name=user.username),
          "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))
