"""Log in and out of the portal: hashed passwords, delays after failures, server-side sessions renewed at login."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from bot import texts
from bot.cases.staff import do_log_in
from bot.web import services
from bot.web.errors import LOGIN_EXPIRED, keeps_form
from bot.web.portal import KEPT_FORM, bp, sessions
from bot.web.portal.forms import LoginForm, LogoutForm
from bot.web.sessions import renew
from models import utcnow

PENDING = "totp_pending"   # the session's key for a login whose password was right, waiting for its code


def duration(seconds: int) -> str:
    """A wait as a person says it: 45 秒, 3 分钟, 1 分 30 秒."""
    minutes, rest = divmod(max(1, seconds), 60)
    if not minutes:
        return f" {rest} 秒"
    return f" {minutes} 分钟" if not rest else f" {minutes} 分 {rest} 秒"


def _safe_next(target: str | None) -> str:
    # Only paths inside the portal: never an open redirect to another site.
    if target and target.startswith("/portal/") and not target.startswith("//"):
        return target
    return url_for("portal.queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # The client's address as the trusted proxies report it (server.trusted_proxies, ProxyFix).
        username = form.username.data.strip()
        found = do_log_in(username, form.password.data, request.remote_addr or "", utcnow(),
                          sessions=sessions(), store=services().shared,
                          allow_demo=services().settings.portal.demo_accounts)
        if found.wait_seconds:
            flash(texts.LOGIN_WAIT.format(wait=duration(found.wait_seconds)), "error")
            return render_template("portal/login.html", form=form), 429, {"Retry-After": str(found.wait_seconds)}
        if found.needs_code:   # the password was right; the TOTP code is asked next (bot/web/portal/totp_pages.py)
            kept = session.get(KEPT_FORM)
            session.clear()
            renew(session)
            session[PENDING] = {"staff_id": found.staff_id, "generation": found.generation, "username": username,
                                "next": _safe_next(form.next.data), "tries": 0}
            if kept:
                session[KEPT_FORM] = kept
            return redirect(url_for("portal.login_code"))
        if found.staff_id is not None:
            start_session(found.staff_id, found.generation)
            return redirect(_safe_next(form.next.data))
        flash(texts.LOGIN_REFUSED, "error")
    return render_template("portal/login.html", form=form)


def start_session(staff_id: int, generation: int) -> None:
    """The person is in: a new session id (one planted before the login is worth nothing), a kept form kept."""
    kept = session.get(KEPT_FORM)   # a form refused when the last session ended, to be filled in again
    session.clear()
    renew(session)
    session["staff_id"], session["generation"] = staff_id, generation
    if kept:
        session[KEPT_FORM] = kept


@bp.post("/logout")
def logout():
    if LogoutForm().validate_on_submit():
        session.clear()   # and the stored session with it (bot/web/sessions.py)
    return redirect(url_for("portal.login"))


@keeps_form("portal.login")
def _login_form_expired(error: HTTPException):
    """The login page sat open too long (its CSRF token expired): the same page again, the username kept."""
    if not isinstance(error, CSRFError):
        return None
    flash(LOGIN_EXPIRED, "error")
    return render_template("portal/login.html", form=LoginForm()), 400
