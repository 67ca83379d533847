"""The ticket page: the case, its history with names, and a form for each workflow step the clerk may take."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from bot.cases.actors import HQ_ADMIN
from bot.cases.deadlines import overdue
from bot.cases.effects import EXTENSION_LABELS, PRIORITY_LABELS
from bot.cases.evidence import ticket_evidence
from bot.cases.lookups import department_may_see
from bot.cases.nearby import nearby_tickets
from bot.cases.staff import actor_names, department_staff
from bot.cases.workflow import (
    RULES_BY_ACTION,
    Input,
    Inputs,
    Rule,
    TransitionRefused,
    allowed_actions,
    department_choices,
    do_transition,
)
from bot.infra.db import transaction
from bot.photos.cleaning import CleanImage, wgs84_to_gcj02
from bot.photos.storage import do_store_photo
from bot.web import services
from bot.web.errors import FORM_EXPIRED, keeps_form, only_too_old
from bot.web.portal import KEPT_FORM, bp, login_required, sessions
from bot.web.portal.evidence_notes import PHOTO_GROUPS, distance_text, evidence_summary, photo_notes
from bot.web.portal.forms import ActionForm
from bot.web.portal.uploads import (
    BODY_TOO_LARGE,
    SALVAGE_FACTOR,
    UploadRefused,
    cleaned_uploads,
    salvaged_form,
    upload_body_limit,
)
from bot.web.portal.views import back_to_list, catalogue, visible_ticket
from models import (
    Department,
    Notification,
    Photo,
    PhotoKind,
    PhotoStatus,
    Priority,
    Resident,
    StaffAccount,
    Ticket,
    TicketReporter,
    utcnow,
)

log = logging.getLogger(__name__)


def action_form(ticket: Ticket, actions: list[Rule], *, session: Session, form: ActionForm | None = None) -> ActionForm:
    """The form with the choices the offered steps need (departments, the lead's staff, categories, towns)."""
    form = form or ActionForm(formdata=None)
    wanted = set().union(*(rule.inputs_all for rule in actions)) if actions else set()
    form.department.choices = [(d.code, d.name) for d in department_choices(session)] \
        if Input.DEPARTMENT in wanted else []
    form.assignee.choices = [(str(s.id), s.display_name or s.username)
                             for s in department_staff(ticket.lead_department_code, session=session)] \
        if Input.ASSIGNEE in wanted else []
    form.priority.choices = [(p.value, label) for p, label in PRIORITY_LABELS.items()]
    form.category.choices = [(c.code, c.name) for c in catalogue().categories.values()]
    form.town.choices = sorted(catalogue().routing.town_names.items())
    return form


def _page(number: str, *, form: ActionForm | None = None, failed: str = "", status: int = 200):
    with transaction(sessions()) as db:
        found = visible_ticket(db, number)
        actions = allowed_actions(found, g.actor)
        form = action_form(found, actions, session=db, form=form)
        duplicates = list(db.scalars(select(Ticket).where(Ticket.merged_into_id == found.id).order_by(Ticket.id)))
        notices = list(db.scalars(select(Notification).where(Notification.ticket_id == found.id)
                                  .order_by(Notification.id)))
        reporters = list(db.scalars(select(TicketReporter).where(TicketReporter.ticket_id == found.id)
                                    .order_by(TicketReporter.id)))
        reporter_blocked = bool(found.resident_id and db.get_one(Resident, found.resident_id).blocked)
        names = actor_names({e.actor for e in found.events} | {r.asked_by for r in found.extension_requests},
                            catalogue().routing.department_names, session=db)
        assignee = db.get(StaffAccount, found.assignee_staff_id) if found.assignee_staff_id else None
        co_handlers = [c.department_code for c in found.co_handlers]
        requests = list(found.extension_requests)
        settings, now = services().settings, utcnow()
        evidence = ticket_evidence(found, max_metres=settings.workflow.evidence_max_metres)
        nearby = nearby_tickets(found, g.department, metres=settings.portal.nearby_metres,
                                days=settings.portal.nearby_days, now=now, session=db)
        db.expunge_all()
    category = catalogue().categories.get(found.category_code)
    local = catalogue().calendar.local
    notes = {photo_id: photo_notes(item, max_metres=settings.workflow.evidence_max_metres, local=local,
                                   ticket_placed=found.latitude is not None)
             for photo_id, item in evidence.items()}
    return render_template("portal/ticket.html", ticket=found, actions=actions, form=form, failed=failed,
                           duplicates=duplicates, notices=notices, reporter_blocked=reporter_blocked,
                           reporters=reporters, overdue=overdue(found, utcnow()), actor_names=names,
                           assignee=assignee, co_handlers=co_handlers, requests=requests,
                           replies=category.replies if category else [], priority_labels=PRIORITY_LABELS,
                           extension_labels=EXTENSION_LABELS, Input=Input,
                           labels={action: rule.label for action, rule in RULES_BY_ACTION.items()},
                           back_to_list=back_to_list(), photo_groups=PHOTO_GROUPS, photo_notes=notes,
                           evidence_alert=evidence_summary(evidence.values(),
                                                           max_metres=settings.workflow.evidence_max_metres),
                           nearby=nearby, distance_text=distance_text, nearby_metres=settings.portal.nearby_metres,
                           nearby_days=settings.portal.nearby_days, upload_limit=upload_body_limit(settings),
                           photo_limit=settings.media.max_bytes,
                           photos_per_step=settings.portal.photos_per_step), status


@bp.get("/tickets/<number>")
@login_required
def ticket(number: str):
    kept = session.get(KEPT_FORM)
    if isinstance(kept, dict) and kept.get("number") == number:
        session.pop(KEPT_FORM)
        form = ActionForm(formdata=None, data={name: kept.get(name, "") for name in KEPT_FIELDS})
        return _page(number, form=form, failed=kept.get("action", ""))
    return _page(number)


# What a refused action form keeps for the clerk (files cannot be put back into a file input).
KEPT_FIELDS = ("action", "note", "reply", "department", "merge_number", "deadline", "assignee", "priority",
               "category", "town", "location")


@keeps_form("portal.act")
def _action_form_refused(error: HTTPException):
    """A step refused before the view ran keeps what the clerk typed: a body over the upload limit shows the ticket
    page again with a Chinese message; an expired page (CSRF token or session) does so after a new login."""
    if isinstance(error, RequestEntityTooLarge):
        return _too_large()
    if not isinstance(error, CSRFError):
        return None
    if g.staff is not None and not only_too_old():
        return None   # a clerk's session with another token: a request made up elsewhere, whose words we never keep
    number = str((request.view_args or {}).get("number", ""))
    session[KEPT_FORM] = {"number": number, **{name: request.form.get(name, "")[:2000] for name in KEPT_FIELDS}}
    photos = any(getattr(upload, "filename", "") for upload in request.files.getlist("photos"))
    flash(FORM_EXPIRED + ("照片需要重新选择。" if photos else ""), "error")
    target = url_for("portal.ticket", number=number)
    if g.staff is None:
        return redirect(url_for("portal.login", next=target))
    return redirect(target)


def _too_large():
    limit = upload_body_limit(services().settings)
    if g.staff is None or not request.view_args:
        return None   # the plain 413 page
    log.info("upload of %s bytes refused as too large for %s", request.content_length, request.path)
    form = ActionForm(formdata=salvaged_form(limit * SALVAGE_FACTOR))
    flash(BODY_TOO_LARGE.format(megabytes=limit // (1024 * 1024)), "error")
    return _page(request.view_args["number"], form=form, failed=form.action.data or "", status=413)


def _local_to_utc(value: str) -> datetime | None:
    """A datetime-local field's value (district time) as naive UTC; None when blank or malformed."""
    try:
        moment = datetime.strptime(value.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    return moment.replace(tzinfo=catalogue().calendar.zone).astimezone(UTC).replace(tzinfo=None)


def _inputs(form: ActionForm, ticket: Ticket, db: Session) -> Inputs:
    department = db.scalar(select(Department).where(Department.code == form.department.data)) \
        if form.department.data else None
    target = db.scalar(select(Ticket).where(Ticket.number == (form.merge_number.data or "").strip().upper())) \
        if form.merge_number.data else None
    if target is not None and not department_may_see(g.department, target, session=db):
        target = None
    assignee = db.get(StaffAccount, int(form.assignee.data)) if (form.assignee.data or "").isdigit() else None
    priority = form.priority.data if form.priority.data in {p.value for p in Priority} else None
    return Inputs(note=form.note.data or "", reply=form.reply.data or "", department=department,
                  merge_target=target, deadline=_local_to_utc(form.deadline.data or ""), assignee=assignee,
                  priority=Priority(priority) if priority else None, category_code=form.category.data or "",
                  town_code=form.town.data or "", location=form.location.data or "")


def _refused(number: str, form: ActionForm, message: str):
    """Say what is wrong on the same page, with what the clerk typed still in the form."""
    flash(message, "error")
    return _page(number, form=form, failed=form.action.data or "", status=422)


@bp.post("/tickets/<number>/act")
@login_required
def act(number: str):
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(number, form, "提交的表单无效（可能已过期），请重试。" + "；".join(
            message for messages in form.errors.values() for message in messages))
    try:
        cleaned = cleaned_uploads(form.photos.data, services().settings)
    except UploadRefused as exc:
        return _refused(number, form, str(exc))
    if (form.deadline.data or "").strip() and _local_to_utc(form.deadline.data or "") is None:
        return _refused(number, form, "日期格式不对，请用日期选择器重新选择。")
    storage = services().storage
    try:
        with transaction(sessions()) as db:
            found = visible_ticket(db, number)
            photos = [_photo(clean, found, db) for clean in cleaned]
            event = do_transition(found, g.actor, form.action.data or "", now=utcnow(), session=db,
                                  inputs=_inputs(form, found, db), photos=photos, catalogue=catalogue(),
                                  verify_needs_photo=services().settings.workflow.verify_needs_photo)
            label = RULES_BY_ACTION[event.action].label
            # Only a step the workflow took writes its photos, and a commit that fails removes them again.
            for photo, clean in zip(photos, cleaned, strict=True):
                photo.display_key, photo.thumbnail_key = do_store_photo(storage, photo.id, clean.display,
                                                                        clean.thumbnail, session=db)
    except TransitionRefused as exc:
        return _refused(number, form, str(exc))
    flash(f"已完成：{label}", "ok")
    return redirect(url_for("portal.ticket", number=number))


def _photo(clean: CleanImage, ticket: Ticket, db: Session) -> Photo:
    """A department's after-photo, or HQ's on-site photo taken when verifying, with where and when its EXIF says
    it was taken (the evidence HQ checks); its files are written once the step is taken."""
    kind = PhotoKind.ON_SITE if g.actor.workflow_role == HQ_ADMIN else PhotoKind.AFTER
    latitude, longitude = wgs84_to_gcj02(*clean.gps_wgs84) if clean.gps_wgs84 else (None, None)
    photo = Photo(kind=kind, staff_id=g.staff.id, ticket_id=ticket.id,
                  media_id=f"portal-{utcnow():%Y%m%d%H%M%S%f}", status=PhotoStatus.STORED,
                  width=clean.width, height=clean.height, source_format=clean.source_format,
                  phash=clean.phash, processed_at=utcnow(), gps_latitude=latitude, gps_longitude=longitude,
                  taken_at=clean.taken_at_utc)
    db.add(photo)
    db.flush()
    return photo
