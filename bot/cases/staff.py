"""Staff accounts: create, set passwords (hashed by Werkzeug), and log in, slowed down after failures."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from bot.cases.login_delays import check_login_turn, record_login_success, record_password_step
from bot.infra.db import transaction
from bot.infra.shared_state import SharedStore
from models import Department, DepartmentKind, StaffAccount, StaffRole

MIN_PASSWORD = 10
ROLES = tuple(StaffRole)


class StaffError(Exception):
    """A staff account cannot be created or changed as asked; the message says why."""


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"密码至少 {MIN_PASSWORD} 位")


def do_add_staff(username: str, department_code: str, role: str, password: str, *, session: Session,
                 display_name: str = "") -> StaffAccount:
    if role not in ROLES:
        raise StaffError(f"role must be one of {ROLES}")
    if session.scalar(select(Department).where(Department.code == department_code)) is None:
        raise StaffError(f"no department with code {department_code!r}")
    if session.scalar(select(StaffAccount).where(StaffAccount.username == username)) is not None:
        raise StaffError(f"account {username!r} already exists")
    check_password_strength(password)
    account = StaffAccount(username=username, department_code=department_code, role=role,
                           display_name=display_name or username, password_hash=generate_password_hash(password))
    session.add(account)
    session.flush()
    return account


def do_end_sessions(account: StaffAccount, *, session: Session) -> None:
    """End every portal session of this account, wherever it was begun (the next request finds it stale)."""
    account.session_generation += 1


@cache
def _dummy_hash() -> str:
    # Made as every stored password is, so that checking against it costs what a real check costs.
    return generate_password_hash(secrets.token_urlsafe(16))


def check_login(username: str, password: str, now: datetime, *, session: Session,
                allow_demo: bool = True) -> StaffAccount | None:
    """The account when it is active and the password is right; otherwise None, after the same work. A demo
    account is refused unless demo accounts are on, even if `civicbot staff demo` has not deactivated it yet."""
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is None or not account.active or (not allow_demo and account.username.startswith("demo-")):
        check_password_hash(_dummy_hash(), password)   # no telling unknown names from wrong passwords by the time
        return None
    if not check_password_hash(account.password_hash, password):
        return None
    account.last_login_at = now
    return account


@dataclass(frozen=True)
class Login:
    """The account logged in (its id and session generation), or why not: a wrong pair, or a wait in seconds.

    needs_code: the password was right, and the account's TOTP code is asked next (bot/cases/totp.py)."""

    staff_id: int | None = None
    generation: int = 0
    wait_seconds: int = 0
    needs_code: bool = False


def do_log_in(username: str, password: str, address: str, now: datetime, *, sessions: sessionmaker[Session],
              store: SharedStore, allow_demo: bool = True) -> Login:
    """A login try from this client address, slowed down after failures (bot/cases/login_delays.py).

    It owns its transaction: the delays' store is written outside it (on SQLite both need the one write lock)."""
    turn = check_login_turn(username, address, now, store=store)
    if not turn.allowed:
        return Login(wait_seconds=turn.wait_seconds)
    with transaction(sessions) as session:
        account = check_login(username, password, now, session=session, allow_demo=allow_demo)
        found = Login(account.id, account.session_generation, needs_code=account.totp_secret is not None) \
            if account else Login()
    if found.needs_code:   # the account's count stays until the right code (bot/cases/totp.py)
        record_password_step(username, address, now, store=store)
    elif found.staff_id is not None:
        record_login_success(username, address, now, store=store)
    return found


def do_add_demo_accounts(now: datetime, *, session: Session) -> list[tuple[str, str, str]]:
    """One demo account per department (an admin for HQ): made when missing, and a deactivated one (demo accounts
    were turned off, then on again) comes back with a new password. Returns (username, password, department)."""
    from bot.cases.account_audit import record_account_event

    created = []
    for department in session.scalars(select(Department).order_by(Department.id)).all():
        username = f"demo-{department.code}"
        account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
        if account is not None and account.active:
            continue
        password = secrets.token_urlsafe(9)
        if account is None:
            role = StaffRole.ADMIN if department.kind == DepartmentKind.HQ else StaffRole.STAFF
            do_add_staff(username, department.code, role, password, session=session,
                         display_name=f"演示-{department.name}")
            action = "created"
        else:
            account.active, account.password_hash = True, generate_password_hash(password)
            do_end_sessions(account, session=session)
            action = "demo_reactivated"
        record_account_event("cli", username, action, department_code=department.code, now=now, session=session,
                             detail="portal.demo_accounts = true")
        created.append((username, password, department.name))
    return created


def do_retire_demo_accounts(now: datetime, *, session: Session) -> list[str]:
    """portal.demo_accounts is off: every active demo account is deactivated (kept, for the tickets' audit trail,
    which names them), its sessions ended and its WeChat unbound. Returns their usernames."""
    from bot.cases.account_audit import record_account_event
    from bot.cases.binding import do_unbind

    retired = []
    for account in session.scalars(select(StaffAccount).where(StaffAccount.username.startswith("demo-"),
                                                              StaffAccount.active.is_(True))):
        account.active = False
        do_unbind(account)
        do_end_sessions(account, session=session)
        record_account_event("cli", account.username, "demo_deactivated", department_code=account.department_code,
                             now=now, session=session, detail="portal.demo_accounts = false")
        retired.append(account.username)
    return retired


SYSTEM_NAMES = {"resident": "反映人", "system:router": "系统（自动分派）", "system:deadline": "系统（期限提醒）",
                "system:feedback": "系统", "system:duplicates": "系统（重复反映）"}


def actor_names(actors: set[str], department_names: dict[str, str], *, session: Session) -> dict[str, str]:
    """What the audit trail shows for each actor id: a staff member's name and department, or what the system is."""
    usernames = {actor.removeprefix("staff:") for actor in actors if actor.startswith("staff:")}
    names = {actor: SYSTEM_NAMES.get(actor, actor) for actor in actors}
    for staff in session.scalars(select(StaffAccount).where(StaffAccount.username.in_(usernames))):
        department = department_names.get(staff.department_code, staff.department_code)
        names[f"staff:{staff.username}"] = f"{staff.display_name or staff.username}（{department}）"
    return names


def department_staff(department_code: str, *, session: Session) -> list[StaffAccount]:
    """The active staff of a department, to assign a ticket to."""
    return list(session.scalars(select(StaffAccount).where(StaffAccount.department_code == department_code,
                                                           StaffAccount.active.is_(True))
                                .order_by(StaffAccount.display_name, StaffAccount.username)))
