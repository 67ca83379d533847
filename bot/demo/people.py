"""The demo's people: the demo accounts `civicbot staff demo` made, named staff added through `do_add_staff` (with
random passwords nobody is told), and the OpenIDs of the demo's residents."""
from __future__ import annotations

import random
import secrets
from itertools import cycle

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.staff import do_add_staff
from bot.cases.workflow import Actor
from bot.demo import DEMO_PREFIX
from bot.demo.context import Team
from bot.demo.words import PEOPLE
from models import Department, DepartmentKind, StaffAccount, StaffRole

PER_DEPARTMENT = 3   # named staff per department; the first is its admin (科长)


class MissingDemoAccounts(Exception):
    """`civicbot staff demo` has not made the demo accounts the demo data is worked by."""


def actor_of(account: StaffAccount, department: Department) -> Actor:
    """The staff member as the portal's login makes them an actor."""
    return Actor(f"staff:{account.username}", department.code, department.kind, account.role, account.id)


def demo_teams(*, session: Session) -> tuple[Actor, dict[str, Team]]:
    """HQ's demo account, and each department's people: its demo account plus named staff (added when missing)."""
    departments = list(session.scalars(select(Department).order_by(Department.id)))
    accounts = {a.username: a for a in session.scalars(select(StaffAccount).where(
        StaffAccount.username.startswith(DEMO_PREFIX)))}
    hq = next((d for d in departments if d.kind == DepartmentKind.HQ), None)
    missing = [f"{DEMO_PREFIX}{d.code}" for d in departments if f"{DEMO_PREFIX}{d.code}" not in accounts]
    if hq is None or missing:
        raise MissingDemoAccounts(", ".join(missing) or "no HQ department")
    names = cycle(PEOPLE)
    teams = {}
    for department in departments:
        if department.kind != DepartmentKind.DEPARTMENT:
            continue
        people = []
        for n in range(PER_DEPARTMENT):
            handle, name = next(names)
            username = f"{DEMO_PREFIX}{department.code}-{handle}"
            account = accounts.get(username) or do_add_staff(
                username, department.code, StaffRole.ADMIN if n == 0 else StaffRole.STAFF,
                secrets.token_urlsafe(18), session=session, display_name=name)
            people.append(account)
        demo = accounts[f"{DEMO_PREFIX}{department.code}"]
        workers = [actor_of(account, department) for account in (demo, *people[1:])]
        teams[department.code] = Team(actor_of(people[0], department), workers,
                                      {account.id: account for account in (demo, *people)})
    return actor_of(accounts[f"{DEMO_PREFIX}{hq.code}"], hq), teams


def resident_openids(rng: random.Random, count: int) -> list[str]:
    """OpenIDs for the demo's residents: plainly demo ones, the same for the same seed."""
    return [f"{DEMO_PREFIX}o{rng.getrandbits(80):020x}" for _ in range(count)]
