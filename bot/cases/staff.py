"""Staff accounts: create, set passwords (hashed by Werkzeug), and check a login with lockout after failures."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Department, DepartmentKind, StaffAccount, StaffRole

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
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


def do_set_password(username: str, password: str, *, session: Session) -> None:
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if account is None:
        raise StaffError(f"no account {username!r}")
    check_password_strength(password)
    account.password_hash = generate_password_hash(password)
    account.failed_logins, account.locked_until = 0, None


def check_login(username: str, password: str, now: datetime, *, session: Session) -> StaffAccount | None:
    """The account when the password is right and the account is neither inactive nor locked; counts failures."""
    # Locked: guesses sent at the same moment are counted one after another, none lost (PostgreSQL lets
    # two transactions read the same count; SQLite's write lock made them take turns anyway).
    account = session.scalar(select(StaffAccount).where(StaffAccount.username == username).with_for_update())
    if account is None or not account.active:
        generate_password_hash(password)  # spend the same time as a real check: no username probing by timing
        return None
    if account.locked_until and account.locked_until > now:
        return None
    if not check_password_hash(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= MAX_FAILURES:
            account.locked_until, account.failed_logins = now + LOCKOUT, 0
        return None
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    return account


def do_add_demo_accounts(*, session: Session) -> list[tuple[str, str, str]]:
    """One demo account per department that has none yet (an admin for HQ): (username, password, department)."""
    created = []
    for department in session.scalars(select(Department).order_by(Department.id)).all():
        username = f"demo-{department.code}"
        if session.scalar(select(StaffAccount).where(StaffAccount.username == username)) is None:
            password = secrets.token_urlsafe(9)
            role = StaffRole.ADMIN if department.kind == DepartmentKind.HQ else StaffRole.STAFF
            do_add_staff(username, department.code, role, password, session=session,
                         display_name=f"演示-{department.name}")
            created.append((username, password, department.name))
    return created


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
