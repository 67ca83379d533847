"""Bulk actions from the queue: HQ dispatches, a department's admin accepts or assigns, many tickets in one submit.

Each ticket goes through do_transition in a transaction of its own, so one that is refused (closed meanwhile,
not this department's) leaves the others done; the clerk is told how many went through and why each other did not.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import abort, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from bot.cases.lookups import visible_to
from bot.cases.staff import department_staff
from bot.cases.workflow import (
    BULK_ACTIONS,
    DEPT_ADMIN,
    HQ_ADMIN,
    RULES_BY_ACTION,
    Actor,
    Input,
    Inputs,
    Rule,
    TransitionRefused,
    allowed_actions,
    department_choices,
    do_transition,
)
from bot.infra.db import transaction
from bot.web import services
from bot.web.errors import FORM_EXPIRED, keeps_form, only_too_old
from bot.web.portal import KEPT_BULK, bp, login_required, sessions
from bot.web.portal.filters import list_from, ticket_number
from bot.web.portal.forms import BulkForm
from models import Department, StaffAccount, Ticket, utcnow

log = logging.getLogger(__name__)

BULK_LIMIT = 200                               # tickets in one submit: each is a transaction of its own
BULK_ROLES = frozenset({HQ_ADMIN, DEPT_ADMIN})  # staff work tickets one by one
BULK_INPUTS = frozenset({Input.DEPARTMENT, Input.ASSIGNEE})   # one choice that holds for every ticked ticket
NOT_FOUND = "未找到该工单。"                     # the same for "no such ticket" and "not yours"
BUSY = "系统繁忙，未能办理，请稍后重试。"
# The refused numbers the messages list, in characters: a whole batch of real numbers (16 characters and a 、 each),
# and still within the 4 KB session cookie that carries the messages when a hand-made request sends junk.
LISTED = BULK_LIMIT * 17


def fits_bulk(rule: Rule) -> bool:
    """A rule can be applied to many tickets with one choice: it needs at most a department or a person."""
    return rule.needs <= BULK_INPUTS


def bulk_rules(actor: Actor) -> list[Rule]:
    """The bulk actions this clerk is offered, in BULK_ACTIONS' order (none for a department's staff)."""
    if actor.workflow_role not in BULK_ROLES:
        return []
    rules = (RULES_BY_ACTION.get(action) for action in BULK_ACTIONS)
    return [rule for rule in rules if rule is not None and fits_bulk(rule) and actor.workflow_role in rule.roles]


def bulk_form(actor: Actor, *, session: Session) -> BulkForm | None:
    """The queue's bulk bar for this clerk, its menus filled; None when they have no bulk action."""
    rules = bulk_rules(actor)
    if not rules:
        return None
    form = BulkForm()
    form.action.choices = [(rule.action, rule.label) for rule in rules]
    departments = department_choices(session) if any(Input.DEPARTMENT in rule.needs for rule in rules) else []
    form.department.choices = [("", "请选择")] + [(d.code, d.name) for d in departments]
    people = department_staff(actor.department_code, session=session) \
        if any(Input.ASSIGNEE in rule.needs for rule in rules) else []
    form.assignee.choices = [("", "请选择")] + [(str(s.id), s.display_name or s.username) for s in people]
    return form


def selectable(rows: Iterable[Ticket], actor: Actor) -> set[str]:
    """The numbers of the rows a bulk action offered to this clerk applies to now: those rows get a checkbox."""
    offered = {rule.action for rule in bulk_rules(actor)}
    return {ticket.number for ticket in rows if offered & {rule.action for rule in allowed_actions(ticket, actor)}}


@bp.post("/tickets/bulk")
@login_required
def bulk():
    """Apply one action to each ticked ticket, then go back to the list the clerk came from."""
    rules = {rule.action: rule for rule in bulk_rules(g.actor)}
    if not rules:
        abort(403)
    form = BulkForm()
    catalogue = services().catalogue
    back = list_from(form.next.data, department=g.department, catalogue=catalogue) or url_for("portal.queue")
    if not form.validate_on_submit():
        flash("提交的表单无效（可能已过期），请重试。", "error")
        return redirect(back)
    rule = rules.get(form.action.data or "")
    numbers = list(dict.fromkeys(number for number in map(ticket_number, form.numbers.data or []) if number))
    department = form.department.data or ""
    assignee = form.assignee.data or ""
    problem = _check_request(rule, numbers, department, assignee) if rule else "请选择批量办理的操作。"
    if problem or rule is None:
        flash(problem, "error")
        return redirect(back)
    done, refused = [], {}
    for number in numbers:
        reason = _apply(rule, number, department, assignee)
        if reason is None:
            done.append(number)
        else:
            refused.setdefault(reason, []).append(number)
    log.info("bulk %s by %s: %d done, %d refused", rule.action, g.actor.name, len(done),
             sum(map(len, refused.values())))
    _tell(rule, done, refused)
    return redirect(back)


@keeps_form("portal.bulk")
def _bulk_form_refused(error: HTTPException):
    """A bulk form whose CSRF token expired: back to its list with the same tickets ticked and the same action,
    department and person chosen (KEPT_BULK, read by the queue). Only for this session's own token: a request from
    another site, or after the session ended, gets the plain 400 page and leaves nothing ticked."""
    if not isinstance(error, CSRFError) or g.staff is None or not only_too_old():
        return None
    numbers = [number for number in map(ticket_number, request.form.getlist("numbers")[:BULK_LIMIT]) if number]
    session[KEPT_BULK] = {"numbers": numbers, **{name: request.form.get(name, "")[:64]
                                                 for name in ("action", "department", "assignee")}}
    flash(FORM_EXPIRED, "error")
    return redirect(list_from(request.form.get("next"), department=g.department, catalogue=services().catalogue)
                    or url_for("portal.queue"))


def kept_choices(form: BulkForm) -> set[str]:
    """A bulk form refused for an expired page, given back: its choices set on form; the ticked numbers returned."""
    kept = session.pop(KEPT_BULK, None)
    if not isinstance(kept, dict):
        return set()
    for name in ("action", "department", "assignee"):
        if kept.get(name):
            getattr(form, name).data = kept[name]
    return {number for number in kept.get("numbers", []) if isinstance(number, str)}


def _check_request(rule: Rule, numbers: list[str], department: str, assignee: str) -> str:
    """What is wrong with the request as a whole (nothing is done then), or ""."""
    if not numbers:
        return "请先勾选要办理的工单。"
    if len(numbers) > BULK_LIMIT:
        return f"一次最多批量办理 {BULK_LIMIT} 张工单，本次勾选了 {len(numbers)} 张，请分批办理。"
    with transaction(sessions()) as db:
        if Input.DEPARTMENT in rule.needs and department not in {d.code for d in department_choices(db)}:
            return "请选择承办部门。"
        if Input.ASSIGNEE in rule.needs and assignee not in {
                str(s.id) for s in department_staff(g.actor.department_code, session=db)}:
            return "请选择承办人。"
    return ""


def _apply(rule: Rule, number: str, department_code: str, assignee_id: str) -> str | None:
    """The rule applied to one ticket in a transaction of its own: None when done, else why not."""
    try:
        with transaction(sessions()) as db:
            ticket = db.scalar(select(Ticket).where(Ticket.number == number, visible_to(g.department)))
            if ticket is None:
                return NOT_FOUND
            department = db.scalar(select(Department).where(Department.code == department_code)) \
                if Input.DEPARTMENT in rule.needs else None
            assignee = db.get(StaffAccount, int(assignee_id)) if Input.ASSIGNEE in rule.needs else None
            do_transition(ticket, g.actor, rule.action, now=utcnow(), session=db, catalogue=services().catalogue,
                          inputs=Inputs(department=department, assignee=assignee))
    except TransitionRefused as exc:
        return str(exc)
    except OperationalError:   # the database stayed locked: this one is not done, the others go on
        log.exception("bulk %s of ticket %s failed", rule.action, number)
        return BUSY
    return None


def _tell(rule: Rule, done: list[str], refused: dict[str, list[str]]) -> None:
    """How many went through, and each refused ticket grouped under its reason."""
    count = sum(map(len, refused.values()))
    summary = f"批量“{rule.label}”：成功 {len(done)} 张"
    flash(summary + (f"，未办理 {count} 张。" if count else "。"), "ok" if done else "error")
    budget = LISTED
    for reason, numbers in refused.items():
        listed = []
        for number in numbers:
            budget -= len(number) + 1
            if budget < 0:
                break
            listed.append(number)
        more = f" 等 {len(numbers)} 张" if len(listed) < len(numbers) else ""
        flash(f"未办理 {'、'.join(listed)}{more}：{reason}", "error")
