"""账号管理: admins list, create, deactivate and reactivate accounts, reset passwords, change roles, clear login
delays and (HQ) reset TOTP; they list, issue and revoke API tokens. A department's admin sees only its own
department (another's account or token is a 404); every action is a service function of bot/cases/accounts.py."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from bot.cases.account_audit import ACTION_NAMES, account_events
from bot.cases.accounts import (
    ROLE_NAMES,
    NotManaged,
    do_clear_login_delays,
    do_create_account,
    do_issue_token,
    do_reset_password,
    do_reset_totp,
    do_revoke_token,
    do_set_active,
    do_set_role,
    list_accounts,
    list_tokens,
    managed_account,
)
from bot.cases.staff import StaffError
from bot.cases.totp import is_demo
from bot.infra.db import transaction
from bot.web import services
from bot.web.errors import FORM_EXPIRED, keeps_form
from bot.web.portal import admin_required, bp, sessions
from bot.web.portal.forms import AccountForm, LogoutForm, RoleForm, TokenForm
from models import Department, utcnow

ACTIONS = ("deactivate", "reactivate", "password", "role", "unlock", "totp-reset")


def _departments(db) -> list[tuple[str, str]]:
    """The departments this admin may make accounts and tokens in: all for HQ, else their own."""
    query = select(Department.code, Department.name).order_by(Department.id)
    if not g.manager.is_hq:
        query = query.where(Department.code == g.manager.department_code)
    return [(code, name) for code, name in db.execute(query)]


def _list_page(form: AccountForm | None = None, token_form: TokenForm | None = None, shown: dict | None = None,
               status: int = 200):
    with transaction(sessions()) as db:
        departments = _departments(db)
        accounts = list_accounts(g.manager, session=db)
        tokens = list_tokens(g.manager, session=db)
        events = account_events(session=db, department_code=None if g.manager.is_hq else g.manager.department_code)
        db.expunge_all()
    form = form or AccountForm(formdata=None)
    token_form = token_form or TokenForm(formdata=None)
    form.department.choices = token_form.department.choices = departments
    return render_template("portal/accounts.html", accounts=accounts, tokens=tokens, events=events, form=form,
                           token_form=token_form, shown=shown, role_names=ROLE_NAMES, action_names=ACTION_NAMES,
                           is_demo=is_demo, button=LogoutForm()), status


@bp.get("/accounts")
@admin_required
def accounts():
    return _list_page()


@bp.post("/accounts")
@admin_required
def account_create():
    form = AccountForm()
    with transaction(sessions()) as db:
        form.department.choices = _departments(db)
    if not form.validate_on_submit():
        flash("请填写账号名，并选择部门和角色。", "error")
        return _list_page(form, status=400)
    try:
        with transaction(sessions()) as db:
            account, password = do_create_account(g.manager, form.username.data, form.department.data,
                                                  form.role.data, utcnow(), session=db,
                                                  display_name=form.display_name.data or "")
            username = account.username
    except StaffError as exc:   # NotManaged too: the department is not in the choices anyway
        flash(str(exc), "error")
        return _list_page(form, status=400)
    # The password is in this page only: not in a flash (kept in the session store), not in any log.
    return _list_page(shown={"what": f"账号 {username} 已创建，初始密码", "value": password,
                             "hint": "请当面或通过安全渠道告知本人，并请其登录后尽快修改。此密码只显示这一次。"})


@keeps_form("portal.account_create")
def _create_form_expired(error: HTTPException):
    """The list sat open too long (its CSRF token expired): the same page, with what was typed, to send again."""
    if not isinstance(error, CSRFError) or g.get("manager") is None:
        return None
    flash(FORM_EXPIRED, "error")
    form = AccountForm()
    form.csrf_token.data = None   # a new token is drawn with the page
    return _list_page(form, status=400)


def _account_page(username: str, shown: dict | None = None, status: int = 200):
    with transaction(sessions()) as db:
        try:
            account = managed_account(g.manager, username, session=db)
        except NotManaged:
            abort(404)
        events = account_events(session=db, target=account.username)
        db.expunge_all()
    form = RoleForm(formdata=None, role=account.role.value)
    return render_template("portal/account.html", account=account, events=events, shown=shown, role_form=form,
                           role_names=ROLE_NAMES, action_names=ACTION_NAMES, button=LogoutForm(),
                           demo=is_demo(account), is_self=account.id == g.staff.id), status


@bp.get("/accounts/<username>")
@admin_required
def account(username: str):
    return _account_page(username)


@bp.post("/accounts/<username>/<action>")
@admin_required
def account_action(username: str, action: str):
    if action not in ACTIONS:
        abort(404)
    role_form = RoleForm()
    if not (role_form if action == "role" else LogoutForm()).validate_on_submit():   # the CSRF token, the role
        abort(400)
    now, shown, done = utcnow(), None, ""
    try:
        with transaction(sessions()) as db:
            target = managed_account(g.manager, username, session=db)
            if action in ("deactivate", "reactivate"):
                do_set_active(g.manager, target, action == "reactivate", now, session=db)
                done = "账号已停用：不能再登录，微信已解除绑定。" if action == "deactivate" else "账号已恢复使用。"
            elif action == "password":
                password = do_reset_password(g.manager, target, now, session=db)
                shown = {"what": f"账号 {username} 的新密码", "value": password,
                         "hint": "原密码和已登录的会话都已失效。请通过安全渠道告知本人。此密码只显示这一次。"}
            elif action == "role":
                do_set_role(g.manager, target, role_form.role.data, now, session=db)
                done = f"角色已改为{ROLE_NAMES[target.role]}（本人需重新登录）。"
            elif action == "unlock":
                do_clear_login_delays(g.manager, target, now, session=db, store=services().shared)
                done = "已解除登录限制：本人现在即可重新登录。"
            else:
                do_reset_totp(g.manager, target, now, session=db)
                done = "已重置两步验证：本人下次登录后重新扫码开启（指挥部管理员必须开启）。"
    except NotManaged:
        abort(404)
    except StaffError as exc:
        flash(str(exc), "error")
        return _account_page(username, status=400)
    if shown:
        return _account_page(username, shown=shown)
    flash(done, "ok")
    return redirect(url_for("portal.account", username=username))


@bp.post("/tokens")
@admin_required
def token_create():
    form = TokenForm()
    with transaction(sessions()) as db:
        form.department.choices = _departments(db)
    if not form.validate_on_submit():
        flash("请选择部门，并写明令牌的用途。", "error")
        return _list_page(token_form=form, status=400)
    with transaction(sessions()) as db:
        token = do_issue_token(form.department.data, session=db, note=form.note.data, manager=g.manager,
                               now=utcnow())
    return _list_page(shown={"what": "新的接口令牌", "value": token,
                             "hint": "请复制后妥善保存在对接系统中。系统只保存其摘要，此令牌只显示这一次。"})


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
def token_revoke(token_id: int):
    if not LogoutForm().validate_on_submit():
        abort(400)
    try:
        with transaction(sessions()) as db:
            do_revoke_token(g.manager, token_id, utcnow(), session=db)
    except NotManaged:
        abort(404)
    flash("接口令牌已停用：使用它的请求将被拒绝。", "ok")
    return redirect(url_for("portal.accounts") + "#tokens")
