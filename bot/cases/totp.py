"""Two-factor authentication by TOTP (pyotp, RFC 6238): enrolment, a code checked once, disabling and resetting.

An HQ admin must have it (the demo's HQ account is exempt while portal.demo_accounts is on); other staff may
turn it on for themselves. A code is taken for the current 30-second step or one either side (a phone's clock a
little off), and only for a step later than the last one accepted: a code cannot be used twice."""
from __future__ import annotations

import hmac
from datetime import UTC, datetime

import pyotp
from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.account_audit import record_account_event
from bot.cases.login_delays import check_login_turn, record_login_success
from bot.cases.staff import Login, StaffError
from bot.infra.db import transaction
from bot.infra.shared_state import SharedStore
from models import DepartmentKind, StaffAccount, StaffRole

ISSUER = "晋源区文明城市工单系统"
VALID_WINDOW = 1      # steps either side of now
DEMO_PREFIX = "demo-"


def is_demo(account: StaffAccount) -> bool:
    return account.username.startswith(DEMO_PREFIX)


def totp_exempt(account: StaffAccount, *, demo_accounts: bool) -> bool:
    """The demo HQ account logs in with its password alone, but only while demo accounts are on: a demo is shown
    without an authenticator app, and turning demo_accounts off deactivates these accounts anyway."""
    return demo_accounts and is_demo(account)


def totp_required(account: StaffAccount, department_kind: str, *, demo_accounts: bool) -> bool:
    """Whether this account may not work without TOTP: an HQ admin (the district's keys), unless demo-exempt."""
    return (department_kind == DepartmentKind.HQ and account.role == StaffRole.ADMIN
            and not totp_exempt(account, demo_accounts=demo_accounts))


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(username: str, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _step(now: datetime) -> int:
    return int(now.replace(tzinfo=UTC).timestamp()) // 30


def matching_step(secret: str, code: str, now: datetime, *, after: int | None) -> int | None:
    """The time step this 6-digit code belongs to (now or one step either side), later than `after`; or None."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    here = _step(now)
    for step in range(here - VALID_WINDOW, here + VALID_WINDOW + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_totp(account: StaffAccount, code: str, now: datetime, *, session: Session) -> bool:
    """Whether the code is right and unused; if so, its step is spent. The step is taken by one conditional UPDATE,
    so two logins racing with the same code cannot both win (on PostgreSQL as on SQLite)."""
    if account.totp_secret is None:
        return False
    step = matching_step(account.totp_secret, code, now, after=account.totp_last_step)
    if step is None:
        return False
    taken = session.execute(update(StaffAccount).where(
        StaffAccount.id == account.id,
        or_(StaffAccount.totp_last_step.is_(None), StaffAccount.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if getattr(taken, "rowcount", 0) != 1:
        return False
    account.totp_last_step = step
    return True


def do_enable_totp(account: StaffAccount, secret: str, code: str, now: datetime, *, session: Session) -> None:
    """Turn TOTP on with the secret the enrolment page showed, once the owner proves their app has it."""
    step = matching_step(secret, code, now, after=None)
    if step is None:
        raise StaffError("验证码不正确，请核对手机上显示的 6 位数字后重试。")
    account.totp_secret, account.totp_enabled_at, account.totp_last_step = secret, now, step
    record_account_event(f"staff:{account.username}", account.username, "totp_enabled",
                         department_code=account.department_code, now=now, session=session)


def do_disable_totp(account: StaffAccount, department_kind: str, now: datetime, *, session: Session,
                    demo_accounts: bool) -> None:
    """The owner turns TOTP off on their own page; an HQ admin may not (it is required)."""
    if totp_required(account, department_kind, demo_accounts=demo_accounts):
        raise StaffError("指挥部管理员必须开启两步验证，不能关闭。")
    clear_totp(account)
    record_account_event(f"staff:{account.username}", account.username, "totp_disabled",
                         department_code=account.department_code, now=now, session=session)


def clear_totp(account: StaffAccount) -> None:
    account.totp_secret = account.totp_enabled_at = account.totp_last_step = None


def do_log_in_code(username: str, staff_id: int, generation: int, code: str, address: str, now: datetime, *,
                   sessions: sessionmaker[Session], store: SharedStore) -> Login:
    """The login's second step: the code of the account whose password was right, under the same delays as a
    password (a wrong code counts as a failed login). It owns its transaction, as do_log_in does."""
    turn = check_login_turn(username, address, now, store=store)
    if not turn.allowed:
        return Login(wait_seconds=turn.wait_seconds)
    with transaction(sessions) as session:
        account = session.get(StaffAccount, staff_id)
        right = (account is not None and account.active and account.session_generation == generation
                 and check_totp(account, code, now, session=session))
        if right and account is not None:
            account.last_login_at = now
    if not right:
        return Login()
    record_login_success(username, address, now, store=store)
    return Login(staff_id, generation)
