"""Log in and out of the portal: hashed passwords, lockout after failures, short sessions."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for

from bot import texts
from bot.cases.staff import LOCKOUT, MAX_FAILURES, check_login
from bot.infra.db import transaction
from bot.web.portal import bp, sessions
from bot.web.portal.forms import LoginForm, LogoutForm
from models import utcnow


def _safe_next(target: str | None) -> str:
    # Only paths inside the portal: never an open redirect to another site.
    if target and target.startswith("/portal/") and not target.startswith("//"):
        return target
    return url_for("portal.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        with transaction(sessions()) as db:
            staff = check_login(form.username.data.strip(), form.password.data, utcnow(), session=db)
            if staff is not None:
                session.clear()
                session.permanent = True
                session["staff_id"] = staff.id
                session["password_hash"] = staff.password_hash[-16:]
        if staff is not None:
            return redirect(_safe_next(form.next.data))
        flash(texts.LOGIN_REFUSED.format(failures=MAX_FAILURES, minutes=int(LOCKOUT.total_seconds() // 60)), "error")
    return render_template("portal/login.html", form=form)


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        session.clear()
    return redirect(url_for("portal.login"))
