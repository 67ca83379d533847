"""The portal's 绑定微信 page: a one-time code to send to the official account, and unbinding."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, url_for

from bot.cases.binding import do_issue_bind_code, do_unbind
from bot.infra.db import transaction
from bot.web import services
from bot.web.portal import bp, login_required, sessions
from bot.web.portal.forms import LogoutForm
from models import StaffAccount, utcnow


def _page(code: str = "", expires_at=None):
    with transaction(sessions()) as db:
        staff = db.get_one(StaffAccount, g.staff.id)
        bound, bound_at = staff.wechat_openid is not None, staff.wechat_bound_at
    return render_template("portal/wechat.html", code=code, expires_at=expires_at, bound=bound, bound_at=bound_at,
                           minutes=services().settings.staff_chat.bind_code_minutes, form=LogoutForm())


@bp.get("/wechat")
@login_required
def wechat_binding():
    return _page()


@bp.post("/wechat/code")
@login_required
def wechat_code():
    """A new code, shown on this page only (never sent anywhere, never stored in clear)."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    minutes = services().settings.staff_chat.bind_code_minutes
    now = utcnow()
    with transaction(sessions()) as db:
        code = do_issue_bind_code(db.get_one(StaffAccount, g.staff.id), now=now, minutes=minutes, session=db)
    return _page(code=code, expires_at=now + timedelta(minutes=minutes))


@bp.post("/wechat/unbind")
@login_required
def wechat_unbind():
    if not LogoutForm().validate_on_submit():
        abort(400)
    with transaction(sessions()) as db:
        do_unbind(db.get_one(StaffAccount, g.staff.id))
    flash("已解除微信绑定：这个账号不再通过微信接收提醒或办理工单。", "ok")
    return redirect(url_for("portal.wechat_binding"))
