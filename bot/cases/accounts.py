"""Accounts administered by admins: who may manage whom, and every action on an account or an API token.

HQ admins manage every account and token; a department's admin only its own department's (another's is "not
found", as its tickets are); staff nobody. The portal and `civicbot staff` / `civicbot department` call the same
functions, and each writes an account_events row. No change may leave the district without an active HQ admin."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from bot.cases.account_audit import record_account_event
from bot.cases.binding import do_unbind
from bot.cases.client_keys import digest, live_row
from bot.cases.login_delays import clear_login_delays
from bot.cases.staff import ROLES, StaffError, check_password_strength, do_add_staff, do_end_sessions
from bot.cases.totp import DEMO_PREFIX, clear_totp
from bot.infra.db import after_commit
from bot.infra.shared_state import SharedStore
from models import ApiToken, Department, DepartmentKind, StaffAccount, StaffRole, utcnow

ROLE_NAMES = {StaffRole.STAFF: "工作人员", StaffRole.ADMIN: "管理员"}


class NotManaged(StaffError):
    """No such account or token, or not one this manager may manage: the same answer for both (a 404)."""


@dataclass(frozen=True)
class Manager:
    """Who manages: an admin in the portal (name "staff:NAME", their department) or the command line (all)."""

    name: str
    department_code: str
    is_hq: bool

    def may_manage(self, department_code: str) -> bool:
        return self.is_hq or department_code == self.department_code


COMMAND_LINE = Manager("cli", "", is_hq=True)   # whoever runs `civicbot` on the server holds the database anyway


def manager_of(account: StaffAccount, department_kind: str) -> Manager | None:
    """An admin manages (HQ's admins everyone); staff manage nobody."""
    if account.role != StaffRole.ADMIN or not account.active:
        return None
    return Manager(f"staff:{account.username}", account.department_code, department_kind == DepartmentKind.HQ)


def _accounts(manager: Manager) -> Select[StaffAccount]:
    query = select(StaffAccount).order_by(StaffAccount.department_code, StaffAccount.username)
    return query if manager.is_hq else query.where(StaffAccount.department_code == manager.department_code)


def list_accounts(manager: Manager, *, session: Session) -> list[StaffAccount]:
    return list(session.scalars(_accounts(manager)))


def managed_account(manager: Manager, username: str, *, session: Session) -> StaffAccount:
    """The account by name if this manager may manage it; otherwise NotManaged, whether or not it exists."""
    account = session.scalar(_accounts(manager).where(StaffAccount.username == username))
    if account is None:
        raise NotManaged(f"没有账号 {username!r}，或不在您的管理范围内")
    return account


def _event(manager: Manager, account: StaffAccount, action: str, now: datetime, session: Session,
           detail: str = "") -> None:
    record_account_event(manager.name, account.username, action, department_code=account.department_code, now=now,
                         session=session, detail=detail)


# Letters and digits a person can read out and copy without mistaking one for another (no 0/O, 1/l/I).
READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def new_password() -> str:
    """A password shown once to whoever hands it over: 16 readable characters (about 93 bits)."""
    return "".join(secrets.choice(READABLE) for _ in range(16))


def do_create_account(manager: Manager, username: str, department_code: str, role: str, now: datetime, *,
                      session: Session, display_name: str = "",
                      password: str | None = None) -> tuple[StaffAccount, str]:
    """A new account in a department the manager manages; without a password one is made. Returns it to show once."""
    username = username.strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise StaffError("账号名不能为空、不能含空格，最长 64 个字符")
    if username.startswith(DEMO_PREFIX):
        raise StaffError(f"以 {DEMO_PREFIX} 开头的账号名留给演示账号，请换一个")
    if not manager.may_manage(department_code):
        raise NotManaged("只能为本部门创建账号")
    password = password if password is not None else new_password()
    account = do_add_staff(username, department_code, role, password, session=session, display_name=display_name)
    _event(manager, account, "created", now, session, detail=f"角色：{ROLE_NAMES[StaffRole(role)]}")
    return account, password


def active_hq_admins(*, session: Session, besides: StaffAccount | None = None) -> int:
    """How many active HQ admins there are, not counting `besides`."""
    query = (select(func.count()).select_from(StaffAccount)
             .join(Department, Department.code == StaffAccount.department_code)
             .where(Department.kind == DepartmentKind.HQ, StaffAccount.role == StaffRole.ADMIN,
                    StaffAccount.active.is_(True)))
    if besides is not None:
        query = query.where(StaffAccount.id != besides.id)
    return session.scalar(query) or 0


def _is_hq_admin(account: StaffAccount, *, session: Session) -> bool:
    kind = session.scalar(select(Department.kind).where(Department.code == account.department_code))
    return kind == DepartmentKind.HQ and account.role == StaffRole.ADMIN and account.active


def check_leaves_an_hq_admin(account: StaffAccount, *, session: Session) -> None:
    """Refuse to take the last active HQ admin away: nobody could then manage the district's accounts."""
    if _is_hq_admin(account, session=session) and active_hq_admins(session=session, besides=account) == 0:
        raise StaffError("这是区里唯一在用的指挥部管理员账号，不能停用或降为工作人员；请先为指挥部另设一名管理员。")


def do_set_active(manager: Manager, account: StaffAccount, active: bool, now: datetime, *, session: Session) -> None:
    """Deactivate (no login, no WeChat: it is unbound, every session ends) or reactivate an account."""
    if not manager.may_manage(account.department_code):
        raise NotManaged(account.username)
    if account.active == active:
        return
    if not active:
        check_leaves_an_hq_admin(account, session=session)
        do_unbind(account)
        do_end_sessions(account, session=session)
    account.active = active
    _event(manager, account, "reactivated" if active else "deactivated", now, session)


def do_reset_password(manager: Manager, account: StaffAccount, now: datetime, *, session: Session,
                      password: str | None = None) -> str:
    """A new password (made here unless given), every session of the account ended; returned to show once."""
    if not manager.may_manage(account.department_code):
        raise NotManaged(account.username)
    password = password if password is not None else new_password()
    check_password_strength(password)
    account.password_hash = generate_password_hash(password)
    do_end_sessions(account, session=session)
    _event(manager, account, "password_reset" if manager.name != f"staff:{account.username}" else "password_set",
           now, session)
    return password


def do_set_role(manager: Manager, account: StaffAccount, role: str, now: datetime, *, session: Session) -> None:
    if not manager.may_manage(account.department_code):
        raise NotManaged(account.username)
    if role not in ROLES:
        raise StaffError("角色只能是工作人员或管理员")
    if account.role == role:
        return
    if role != StaffRole.ADMIN:
        check_leaves_an_hq_admin(account, session=session)
    old = account.role
    account.role = StaffRole(role)
    do_end_sessions(account, session=session)   # what the pages offer changes with the role: log in again
    _event(manager, account, "role_changed", now, session,
           detail=f"{ROLE_NAMES[StaffRole(old)]} → {ROLE_NAMES[StaffRole(role)]}")


def do_clear_login_delays(manager: Manager, account: StaffAccount, now: datetime, *, session: Session,
                          store: SharedStore) -> None:
    """解除登录限制: forget the account's failed logins, once this is committed (on SQLite the shared store needs
    the write lock this transaction holds). The addresses' own delays stay: they slow a guesser, not the owner."""
    if not manager.may_manage(account.department_code):
        raise NotManaged(account.username)
    username = account.username
    after_commit(session, lambda: clear_login_delays(username, store=store))
    _event(manager, account, "login_delays_cleared", now, session)


def do_reset_totp(manager: Manager, account: StaffAccount, now: datetime, *, session: Session) -> None:
    """Recovery for a lost phone: only HQ (or the command line) may; the owner enrols again at the next login."""
    if not manager.is_hq:
        raise StaffError("只有指挥部管理员可以重置两步验证")
    clear_totp(account)
    do_end_sessions(account, session=session)
    _event(manager, account, "totp_reset", now, session)


# API tokens ------------------------------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return digest(token)


def do_issue_token(department_code: str, *, session: Session, note: str = "", manager: Manager = COMMAND_LINE,
                   now: datetime | None = None) -> str:
    """Create a new bearer token for a department; only its hash is stored, so show it once."""
    if session.scalar(select(Department).where(Department.code == department_code)) is None:
        raise LookupError(department_code)
    if not manager.may_manage(department_code):
        raise NotManaged(department_code)
    now = now or utcnow()
    token = "cb_" + secrets.token_urlsafe(32)
    row = ApiToken(department_code=department_code, token_sha256=hash_token(token), note=note, created_at=now)
    session.add(row)
    session.flush()
    record_account_event(manager.name, f"token:{row.id}", "token_issued", department_code=department_code, now=now,
                         session=session, detail=note)
    return token


def live_token(token: str, now: datetime, *, session: Session) -> ApiToken | None:
    """The stored row of a live token, its use noted; None if unknown or revoked."""
    return live_row(ApiToken, ApiToken.token_sha256, token, now, session=session)


def token_department(token: str, now: datetime, *, session: Session) -> Department | None:
    """The department a live token belongs to; None if unknown or revoked."""
    row = live_token(token, now, session=session)
    return session.scalar(select(Department).where(Department.code == row.department_code)) if row else None


def token_manager(row: ApiToken) -> Manager:
    """A token acting on tokens by the API: its own department's only, even HQ's (the portal manages the rest)."""
    return Manager(f"token:{row.id}", row.department_code, is_hq=False)


def list_tokens(manager: Manager, *, session: Session) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.department_code,
                                      ApiToken.created_at.desc())
    if not manager.is_hq:
        query = query.where(ApiToken.department_code == manager.department_code)
    return list(session.scalars(query))


def do_revoke_token(manager: Manager, token_id: int, now: datetime, *, session: Session) -> ApiToken:
    """Stop a token at once: the next request with it is refused (401)."""
    token = session.get(ApiToken, token_id)
    if token is None or not manager.may_manage(token.department_code):
        raise NotManaged(f"没有编号为 {token_id} 的接口令牌，或不在您的管理范围内")
    if token.revoked_at is None:
        token.revoked_at = now
        record_account_event(manager.name, f"token:{token.id}", "token_revoked", department_code=token.department_code,
                             now=now, session=session, detail=token.note)
    return token
