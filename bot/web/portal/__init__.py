"""The department portal: server-rendered pages where departments and HQ work tickets."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, g, redirect, request, session, url_for
from sqlalchemy import select

from bot.cases.accounts import Manager, manager_of
from bot.cases.totp import is_demo, totp_required
from bot.cases.workflow import Actor
from bot.infra.db import transaction
from bot.web import services
from models import Department, DepartmentKind, StaffAccount

# Its own stylesheets and scripts, Leaflet's too (vendored by `make vendor`), as files under /portal/static/: the
# Content-Security-Policy allows no inline ones.
bp = Blueprint("portal", __name__, template_folder="templates", static_folder="static", url_prefix="/portal")
KEPT_FORM = "kept_form"   # the session's key for a refused form's typed values, kept across a new login
KEPT_BULK = "kept_bulk"   # the same for a refused bulk form: the ticked tickets and the chosen action


def sessions():
    return services().sessions


@bp.before_app_request
def load_staff() -> None:
    g.staff = g.department = g.actor = g.manager = None
    g.must_enrol = False
    staff_id = session.get("staff_id")
    if staff_id is None:
        return
    demo_accounts = services().settings.portal.demo_accounts
    with transaction(sessions()) as db:
        staff = db.get(StaffAccount, staff_id)
        if (staff is None or not staff.active or session.get("generation") != staff.session_generation
                or (is_demo(staff) and not demo_accounts)):
            session.clear()  # deactivated, or the password changed since this login: the session is over
            return
        department = db.scalars(select(Department).where(Department.code == staff.department_code)).one()
        db.expunge_all()
    g.staff, g.department = staff, department
    g.actor = Actor(f"staff:{staff.username}", department.code, department.kind, staff.role, staff.id)
    g.manager = manager_of(staff, department.kind)
    # An HQ admin without TOTP holds a session that can do one thing: enrol (bot/web/portal/totp_pages.py).
    g.must_enrol = staff.totp_secret is None and totp_required(staff, department.kind, demo_accounts=demo_accounts)


ENROL_ONLY = {"portal.security", "portal.totp_enable", "portal.logout", "portal.static", "portal.login",
              "portal.login_code"}


@bp.before_request
def enrol_first():
    if g.get("must_enrol") and request.endpoint not in ENROL_ONLY:
        return redirect(url_for("portal.security"))
    return None


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.staff is None:
            return redirect(url_for("portal.login", next=request.full_path))
        return view(*args, **kwargs)
    return wrapped


def hq_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if g.department.kind != DepartmentKind.HQ:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    """Admins only (账号管理); a staff member gets 403. The view reads g.manager."""
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not isinstance(g.manager, Manager):
            abort(403)
        return view(*args, **kwargs)
    return wrapped


# Last, because these modules import bp from here; importing them registers their routes on bp.
from bot.web.portal import (  # noqa: E402,F401
    accounts,
    auth,
    bulk,
    map_page,
    numbers,
    scoreboard,
    ticket_page,
    totp_pages,
    uploads,
    views,
    wechat_binding,
)
