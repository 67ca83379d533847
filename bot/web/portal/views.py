"""Portal pages for working tickets: queues with filters, the search by number, the ticket page and its actions,
photos, CSV."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot import texts
from bot.cases.deadlines import overdue
from bot.cases.exports import HEADER, ticket_rows
from bot.cases.lookups import department_may_see, visible_to
from bot.cases.queues import SORT_TITLES, TAB_TITLES, Filters, page_of, tab_counts, tabs_for, ticket_query
from bot.cases.reports import split_reporter as do_split_reporter
from bot.cases.statuses import CLOCK_STATES, OPEN_STATES, Tab, status_label
from bot.cases.workflow import (
    RULES_BY_ACTION,
    TransitionRefused,
    allowed_actions,
    department_choices,
    do_flag,
    do_transition,
)
from bot.infra.db import transaction
from bot.photos.cleaning import ImageRefused, clean_image
from bot.photos.storage import store_photo
from bot.web import services
from bot.web.photo_links import VARIANTS, image_response
from bot.web.portal import bp, hq_required, login_required, sessions
from bot.web.portal.bulk import BULK_LIMIT, bulk_form, selectable
from bot.web.portal.filters import filter_args, list_from, list_url, read_filters, ticket_number
from bot.web.portal.forms import ActionForm, LogoutForm
from bot.web.portal.spreadsheet import csv_response
from models import (
    Category,
    Department,
    Notification,
    Photo,
    PhotoKind,
    PhotoStatus,
    Resident,
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
            "logout_form": LogoutForm(), "now": utcnow(), "open_states": OPEN_STATES,
            "clock_states": CLOCK_STATES}


def _filters() -> Filters:
    return read_filters(request.args, department=g.department, catalogue=catalogue())


def _back_to_list() -> str:
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
        query = ticket_query(g.department, filters, now=now, warn=warn_window(), local_offset=local_offset())
        rows, has_next = page_of(query, filters.page, session=db)
        counts = tab_counts(g.department, now=now, warn=warn_window(), session=db)
        categories = list(db.scalars(select(Category).order_by(Category.position)))
        towns = list(db.scalars(select(Town).order_by(Town.id)))
        bulk = bulk_form(g.actor, session=db)
        ticked = selectable(rows, g.actor) if bulk else set()
        db.expunge_all()
    here = list_url(filters)
    session[LIST] = here
    if bulk:
        bulk.next.data = here
    return render_template("portal/queue.html", rows=rows, has_next=has_next, filters=filters, counts=counts,
                           tabs=[(tab, TAB_TITLES[tab]) for tab in tabs_for(g.department)], categories=categories,
                           towns=towns, statuses=list(TicketStatus), warn=warn_window(), sorts=SORT_TITLES.items(),
                           here=here, list_url=list_url, filter_args=filter_args, bulk=bulk, selectable=ticked,
                           bulk_limit=BULK_LIMIT)


@bp.get("/tickets.csv")
@login_required
def queue_csv():
    filters = _filters()
    now = utcnow()
    with transaction(sessions()) as db:
        query = ticket_query(g.department, filters, now=now, warn=warn_window(), local_offset=local_offset())
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


def _visible_ticket(db, number: str) -> Ticket:
    ticket = db.scalar(select(Ticket).where(Ticket.number == number.upper())
                       .options(selectinload(Ticket.events).selectinload(TicketEvent.photos),
                                selectinload(Ticket.photos)))
    if ticket is None or not department_may_see(g.department, ticket, session=db):
        abort(404)  # the same answer for "no such ticket" and "not yours"
    return ticket


@bp.get("/tickets/<number>")
@login_required
def ticket(number: str):
    with transaction(sessions()) as db:
        found = _visible_ticket(db, number)
        actions = allowed_actions(found, g.actor)
        departments = department_choices(db) if any(a.needs_department for a in actions) else []
        duplicates = _duplicates_of(found, db)
        notices = list(db.scalars(select(Notification).where(Notification.ticket_id == found.id)
                                  .order_by(Notification.id)))
        reporters = list(db.scalars(select(TicketReporter).where(TicketReporter.ticket_id == found.id)
                                    .order_by(TicketReporter.id)))
        reporter_blocked = bool(found.resident_id and db.get_one(Resident, found.resident_id).blocked)
        db.expunge_all()
    form = ActionForm()
    form.department.choices = [(d.code, d.name) for d in departments]
    return render_template("portal/ticket.html", ticket=found, actions=actions, form=form, duplicates=duplicates,
                           notices=notices, reporter_blocked=reporter_blocked, reporters=reporters,
                           overdue=overdue(found, utcnow()), back_to_list=_back_to_list())


def _duplicates_of(ticket: Ticket, db) -> list[Ticket]:
    return list(db.scalars(select(Ticket).where(Ticket.merged_into_id == ticket.id).order_by(Ticket.id)))


@bp.post("/tickets/<number>/act")
@login_required
def act(number: str):
    form = ActionForm()
    form.department.choices = []
    if not form.validate_on_submit():
        flash("提交的表单无效（可能已过期），请重试。" + "；".join(
            message for messages in form.errors.values() for message in messages), "error")
        return redirect(url_for("portal.ticket", number=number))
    media = services().settings.media
    cleaned = []
    for upload in form.photos.data or []:
        if not getattr(upload, "filename", ""):
            continue
        try:
            cleaned.append(clean_image(upload.read(), max_bytes=media.max_bytes, max_pixels=media.max_pixels))
        except ImageRefused as exc:
            flash(f"照片“{upload.filename}”无法使用：{texts.photo_refused(exc.reason, max_bytes=media.max_bytes)}",
                  "error")
            return redirect(url_for("portal.ticket", number=number))
    storage = services().storage
    try:
        with transaction(sessions()) as db:
            found = _visible_ticket(db, number)
            department = db.scalar(select(Department).where(Department.code == form.department.data)) \
                if form.department.data else None
            target = db.scalar(select(Ticket).where(Ticket.number == (form.merge_number.data or "").strip().upper())) \
                if form.merge_number.data else None
            if target is not None and not department_may_see(g.department, target, session=db):
                target = None
            photos = [_after_photo(clean, found, db, storage) for clean in cleaned]
            event = do_transition(found, g.actor, form.action.data, now=utcnow(), session=db,
                                  note=form.note.data or "", photos=photos, department=department,
                                  merge_target=target, catalogue=catalogue())
            label = event.action
    except TransitionRefused as exc:
        flash(str(exc), "error")
        return redirect(url_for("portal.ticket", number=number))
    flash(f"已完成：{RULES_BY_ACTION[label].label}", "ok")
    return redirect(url_for("portal.ticket", number=number))


def _after_photo(clean, ticket: Ticket, db, storage) -> Photo:
    photo = Photo(kind=PhotoKind.AFTER, staff_id=g.staff.id, ticket_id=ticket.id,
                  media_id=f"portal-{utcnow():%Y%m%d%H%M%S%f}", status=PhotoStatus.STORED,
                  width=clean.width, height=clean.height, source_format=clean.source_format,
                  phash=clean.phash, processed_at=utcnow())
    db.add(photo)
    db.flush()
    photo.display_key, photo.thumbnail_key = store_photo(storage, photo.id, clean.display, clean.thumbnail)
    return photo


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
        found = _visible_ticket(db, number)
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
        found = _visible_ticket(db, number)
        reporter = db.get(TicketReporter, reporter_id)
        if reporter is None or reporter.ticket_id != found.id or reporter.draft_id is None:
            abort(404)
        now = utcnow()
        new = do_split_reporter(reporter, catalogue=catalogue(), now=now, session=db)
        do_flag(found, f"指挥部将一位反映人拆分为新工单 {new.number}", now=now, session=db, actor=g.actor.name)
        new_number = new.number
    flash(f"已拆分为新工单 {new_number}", "ok")
    return redirect(url_for("portal.ticket", number=new_number))
