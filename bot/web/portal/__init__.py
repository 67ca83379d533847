"""The department portal: server-rendered pages where departments and HQ work tickets."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, g, redirect, request, session, url_for
from sqlalchemy import select

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
    g.staff = g.department = g.actor = None
    staff_id = session.get("staff_id")
    if staff_id is None:
        return
    with transaction(sessions()) as db:
        staff = db.get(StaffAccount, staff_id)
        if staff is None or not staff.active or session.get("generation") != staff.session_generation:
            session.clear()  # deactivated, or the password changed since this login: the session is over
            return
        department = db.scalars(select(Department).where(Department.code == staff.department_code)).one()
        db.expunge_all()
    g.staff, g.department = staff, department
    g.actor = Actor(f"staff:{staff.username}", department.code, department.kind, staff.role, staff.id)


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


# Last, because these modules import bp from here; importing them registers their routes on bp.
from bot.web.portal import (  # noqa: E402,F401
    auth,
    bulk,
    map_page,
    numbers,
    scoreboard,
    ticket_page,
    uploads,
    views,
    wechat_binding,
)
