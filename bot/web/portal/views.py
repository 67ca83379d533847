"""Portal pages for finding tickets (queues with filters, the search by number, CSV), their photos, and HQ's block
and split of reporters."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.cases.evidence import flagged_tickets
from bot.cases.exports import HEADER, ticket_rows
from bot.cases.lookups import department_may_see, visible_to
from bot.cases.queues import SORT_TITLES, TAB_TITLES, Filters, page_of, tab_counts, tabs_for, ticket_query
from bot.cases.reports import split_reporter as do_split_reporter
from bot.cases.statuses import CLOCK_STATES, OPEN_STATES, Tab, status_label
from bot.cases.workflow import (
    do_flag,
)
from bot.demo import DEMO_SETTING
from bot.infra.db import reading, transaction
from bot.web import services
from bot.web.photo_links import VARIANTS, image_response
from bot.web.portal import bp, hq_required, login_required, sessions
from bot.web.portal.bulk import BULK_LIMIT, bulk_form, kept_choices, selectable
from bot.web.portal.filters import filter_args, list_from, list_url, read_filters, ticket_number
from bot.web.portal.forms import LogoutForm
from bot.web.portal.spreadsheet import csv_response
from models import (
    Category,
    DepartmentKind,
    Photo,
    PhotoStatus,
    Resident,
    Setting,
    Ticket,
    TicketEvent,
    TicketReporter,
    TicketStatus,
    Town,
    utcnow,
)

LIST = "list"   # the session's key for the last list the clerk looked at: the ticket page's way back


def catalogue():
    return services().catalogue


def warn_window() -> timedelta:
    return timedelta(hours=services().settings.deadlines.warn_hours)


def local_offset() -> timedelta:
    return catalogue().calendar.local(utcnow()).utcoffset()


@bp.app_context_processor
def portal_helpers():
    calendar = catalogue().calendar

    def local(moment):
        return calendar.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""

    return {"local": local, "status_name": status_label,
            "category_name": catalogue().category_name, "town_name": catalogue().places.town_name,
            "department_name": lambda code: catalogue().routing.department_names.get(code, code or ""),
            # Only for a clerk: the form's CSRF token is a session value, which a visitor need not have.
            "logout_form": LogoutForm(formdata=None) if g.get("staff") else None,
            "now": utcnow(), "open_states": OPEN_STATES,
            "clock_states": CLOCK_STATES, "demo_data": holds_demo_data()}


def holds_demo_data() -> bool:
    """Whether `civicbot demo-data` filled this database: then every page says 演示数据."""
    with reading(services().engine) as connection:
        return connection.execute(select(Setting.key).where(Setting.key == DEMO_SETTING)).first() is not None


def _filters() -> Filters:
    return read_filters(request.args, department=g.department, catalogue=catalogue())


def back_to_list() -> str:
    """Where the ticket page's 返回列表 leads: the list it was opened from, else the last list seen, else the queue."""
    def rebuilt(target):
        return list_from(target, department=g.department, catalogue=catalogue())
    return rebuilt(request.args.get("next")) or rebuilt(session.get(LIST)) or url_for("portal.queue")


@bp.get("/")
@login_required
def home():
    return redirect(url_for("portal.queue"))


@bp.get("/tickets")
@login_required
def queue():
    filters = _filters()
    now = utcnow()
    with transaction(sessions()) as db:
        query = ticket_query(g.department, filters, now=now, warn=warn_window(), local_offset=local_offset(),
                             staff_id=g.staff.id)
        rows, has_next = page_of(query, filters.page, session=db)
        counts = tab_counts(g.department, now=now, warn=warn_window(), session=db, staff_id=g.staff.id)
        categories = list(db.scalars(select(Category).order_by(Category.position)))
        towns = list(db.scalars(select(Town).order_by(Town.id)))
        bulk = bulk_form(g.actor, session=db)
        ticked = selectable(rows, g.actor) if bulk else set()
        # HQ's 核查: a resolution whose after-photo was taken far away or before the dispatch stands out.
        doubtful = flagged_tickets([t.id for t in rows if t.status == TicketStatus.RESOLVED],
                                   max_metres=services().settings.workflow.evidence_max_metres, session=db) \
            if g.department.kind == DepartmentKind.HQ else set()
        db.expunge_all()
    here = list_url(filters)
    session[LIST] = here
    kept = kept_choices(bulk) if bulk else set()
    if bulk:
        bulk.next.data = here
    return render_template("portal/queue.html", rows=rows, has_next=has_next, filters=filters, counts=counts,
                           tabs=[(tab, TAB_TITLES[tab]) for tab in tabs_for(g.department)], categories=categories,
                           towns=towns, statuses=list(TicketStatus), warn=warn_window(), sorts=SORT_TITLES.items(),
                           here=here, list_url=list_url, filter_args=filter_args, bulk=bulk, selectable=ticked,
                           kept=kept, bulk_limit=BULK_LIMIT, doubtful=doubtful)


@bp.get("/tickets.csv")
@login_required
def queue_csv():
    filters = _filters()
    now = utcnow()
    with transaction(sessions()) as db:
        query = ticket_query(g.department, filters, now=now, warn=warn_window(), local_offset=local_offset(),
                             staff_id=g.staff.id)
        rows = list(ticket_rows(query, now=now, session=db, catalogue=catalogue()))
    return csv_response(HEADER, rows, "tickets.csv")


@bp.get("/search")
@login_required
def search():
    """The header's search box: an exact number the clerk may see opens that ticket; anything else lists the
    numbers containing it on the "all" tab, which says 未找到工单 when none is theirs (whether it exists or not)."""
    number = ticket_number(request.args.get("number"))
    if not number:
        return redirect(url_for("portal.queue"))
    with transaction(sessions()) as db:
        found = db.scalar(select(Ticket.number).where(Ticket.number == number, visible_to(g.department)))
    if found is not None:
        return redirect(url_for("portal.ticket", number=found))
    return redirect(list_url(Filters(tab=Tab.ALL, number=number)))


def visible_ticket(db, number: str) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.number == number.upper())
                       .options(selectinload(Ticket.events).selectinload(TicketEvent.photos),
                                selectinload(Ticket.photos)))
    if ticket is None or not department_may_see(g.department, ticket, session=db):
        abort(404)  # the same answer for "no such ticket" and "not yours"
    return ticket


@bp.get("/photos/<int:photo_id>/<variant>")
@login_required
def photo(photo_id: int, variant: str):
    if variant not in VARIANTS:
        abort(404)
    with transaction(sessions()) as db:
        found = db.get(Photo, photo_id)
        owner = db.get(Ticket, found.ticket_id) if found and found.ticket_id else None
        if (found is None or owner is None or found.status != PhotoStatus.STORED
                or not department_may_see(g.department, owner, session=db)):
            abort(404)
        key = getattr(found, VARIANTS[variant])
    return image_response(services().storage.get(key))


@bp.post("/tickets/<number>/block")
@hq_required
def block_reporter(number: str):
    """HQ stops a resident's messages from being acted on (they are still kept and answered politely)."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    block = request.form.get("block") == "1"
    with transaction(sessions()) as db:
        found = visible_ticket(db, number)
        if found.resident_id is None:
            flash("该工单的市民身份已删除，无法屏蔽。", "error")
            return redirect(url_for("portal.ticket", number=number))
        db.get_one(Resident, found.resident_id).blocked = block
        do_flag(found, "指挥部屏蔽了该反映人" if block else "指挥部解除了对该反映人的屏蔽", now=utcnow(), session=db,
                actor=g.actor.name)
    flash("已屏蔽该反映人：其后续消息只作记录、不再受理。" if block else "已解除屏蔽。", "ok")
    return redirect(url_for("portal.ticket", number=number))


@bp.post("/tickets/<number>/split/<int:reporter_id>")
@hq_required
def split_reporter(number: str, reporter_id: int):
    """HQ undoes a wrong merge: that reporter's report becomes a ticket of its own."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    with transaction(sessions()) as db:
        found = visible_ticket(db, number)
        reporter = db.get(TicketReporter, reporter_id)
        if reporter is None or reporter.ticket_id != found.id or reporter.draft_id is None:
            abort(404)
        now = utcnow()
        new = do_split_reporter(reporter, catalogue=catalogue(), now=now, session=db)
        do_flag(found, f"指挥部将一位反映人拆分为新工单 {new.number}", now=now, session=db, actor=g.actor.name)
        new_number = new.number
    flash(f"已拆分为新工单 {new_number}", "ok")
    return redirect(url_for("portal.ticket", number=new_number))
