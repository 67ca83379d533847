"""Two-factor authentication in the portal: the login's code step, and 账号安全 where staff enrol (scanning a QR
code with an authenticator app) or turn it off; an HQ admin without TOTP is held on that page until enrolled."""
from __future__ import annotations

import segno
from flask import abort, flash, g, redirect, render_template, request, session, url_for

from bot import texts
from bot.cases.staff import StaffError
from bot.cases.totp import (
    check_totp,
    do_disable_totp,
    do_enable_totp,
    do_log_in_code,
    new_secret,
    provisioning_uri,
    totp_exempt,
    totp_required,
)
from bot.infra.db import transaction
from bot.web import services
from bot.web.portal import bp, login_required, sessions
from bot.web.portal.auth import PENDING, duration, start_session
from bot.web.portal.forms import CodeForm
from models import StaffAccount, utcnow

ENROLLING = "totp_enrolling"   # the session's key for the secret being enrolled (shown until it is confirmed)
MAX_CODE_TRIES = 5             # wrong codes per password step; then the password again


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("portal.login"))
    form = CodeForm()
    if form.validate_on_submit():
        found = do_log_in_code(pending["username"], pending["staff_id"], pending["generation"], form.code.data,
                               request.remote_addr or "", utcnow(), sessions=sessions(), store=services().shared)
        if found.wait_seconds:
            flash(texts.LOGIN_WAIT.format(wait=duration(found.wait_seconds)), "error")
            return render_template("portal/login_code.html", form=form), 429, {"Retry-After": str(found.wait_seconds)}
        if found.staff_id is not None:
            target = pending["next"]
            session.pop(PENDING, None)
            start_session(found.staff_id, found.generation)
            return redirect(target)
        tries = pending["tries"] + 1
        if tries >= MAX_CODE_TRIES:
            session.pop(PENDING, None)
            flash("验证码多次输入错误，请重新输入账号和密码。", "error")
            return redirect(url_for("portal.login"))
        session[PENDING] = {**pending, "tries": tries}
        flash("验证码不正确或已使用过，请输入手机验证器上当前显示的 6 位数字。", "error")
    return render_template("portal/login_code.html", form=form)


def _page(form: CodeForm | None = None):
    demo_accounts = services().settings.portal.demo_accounts
    with transaction(sessions()) as db:
        staff = db.get_one(StaffAccount, g.staff.id)
        enabled_at = staff.totp_enabled_at
        required = totp_required(staff, g.department.kind, demo_accounts=demo_accounts)
        exempt = totp_exempt(staff, demo_accounts=demo_accounts) and g.department.kind == "hq"
    qr = secret = ""  # nosec B105  # nothing to show until enrolment starts
    if enabled_at is None:
        secret = session.get(ENROLLING) or new_secret()
        session[ENROLLING] = secret
        # An SVG as a data: address: the CSP allows images from data:, and the secret never leaves this page.
        qr = segno.make(provisioning_uri(g.staff.username, secret), error="m").svg_data_uri(scale=5, border=2)
    return render_template("portal/security.html", form=form or CodeForm(formdata=None), enabled_at=enabled_at,
                           required=required, exempt=exempt, qr=qr, secret=secret, must_enrol=g.must_enrol)


@bp.get("/security")
@login_required
def security():
    return _page()


@bp.post("/security/totp")
@login_required
def totp_enable():
    form = CodeForm()
    secret = session.get(ENROLLING)
    if not form.validate_on_submit() or not secret:
        abort(400)
    try:
        with transaction(sessions()) as db:
            do_enable_totp(db.get_one(StaffAccount, g.staff.id), secret, form.code.data, utcnow(), session=db)
    except StaffError as exc:
        flash(str(exc), "error")
        return _page(form), 400
    session.pop(ENROLLING, None)
    flash("已开启两步验证：以后登录时，输入密码后还需输入手机验证器上的 6 位验证码。", "ok")
    return redirect(url_for("portal.queue") if g.must_enrol else url_for("portal.security"))


@bp.post("/security/totp/off")
@login_required
def totp_disable():
    """Turning it off takes a current code, so that a session left open on a shared computer cannot."""
    form = CodeForm()
    if not form.validate_on_submit():
        abort(400)
    now = utcnow()
    try:
        with transaction(sessions()) as db:
            staff = db.get_one(StaffAccount, g.staff.id)
            if not check_totp(staff, form.code.data, now, session=db):
                raise StaffError("验证码不正确或已使用过，请核对后重试。")
            do_disable_totp(staff, g.department.kind, now, session=db,
                            demo_accounts=services().settings.portal.demo_accounts)
    except StaffError as exc:
        flash(str(exc), "error")
        return _page(form), 400
    flash("已关闭两步验证。", "ok")
    return redirect(url_for("portal.security"))
