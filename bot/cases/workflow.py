"""The case workflow in one table.

Each step, who may take it, what it needs, what it does, its audit event, the reporters' notice and the staff's.
A step either moves the ticket to another status or keeps it (an extension, a 督办, a note, a correction).
"""
from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases import effects as fx
from bot.cases.actors import (
    DEPT_ADMIN,
    DEPT_STAFF,
    HQ_ADMIN,
    RESIDENT,
    ROUTER,
    ROUTER_ACTOR,
    SYSTEM,
    SYSTEM_ACTOR,
    Actor,
)
from bot.cases.change import Change, Input, Inputs, missing
from bot.cases.notices import do_queue_notices
from bot.cases.publication import HANDLED, PUBLIC_COPIES
from bot.cases.staff_notices import StaffNoticeKind, do_queue_staff_notices
from bot.cases.statuses import CLOCK_STATES, OPEN_STATES, STATUSES, NoticeKind
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.infra.db import enqueue_after_commit
from models import Department, DepartmentKind, Photo, Ticket, TicketEvent, TicketStatus

S = TicketStatus

class Scope(enum.StrEnum):
    """Which departments may take a step on a ticket (HQ, the system and the router always may)."""

    LEAD = "lead"              # the lead department only: it is accountable for the case
    HANDLERS = "handlers"      # the lead and the co-handling departments (协办), e.g. to add a note


def _always(ticket: Ticket, actor: Actor) -> bool:
    return True


def _fine(change: Change) -> str:
    return ""


@dataclass(frozen=True)
class Rule:
    action: str
    label: str                           # the button a clerk sees
    sources: frozenset[TicketStatus]
    target: TicketStatus | None          # None: the status stays (or the effects decide, as a reroute does)
    roles: frozenset[str]
    needs: frozenset[Input] = frozenset()    # inputs without which the step is refused
    offers: frozenset[Input] = frozenset()   # optional inputs the form shows
    scope: Scope = Scope.LEAD
    when: Callable[[Ticket, Actor], bool] = _always   # offered (and allowed) only when this holds
    check: Callable[[Change], str] = _fine            # what is wrong with the inputs, for the clerk ("" if nothing)
    restarts_clock: bool = False         # the holder gets the category's full time limit from now
    uses_catalogue: bool = False         # its effects read the catalogue (routing, calendar)
    on_site_photo: bool = False          # needs a photo when [workflow] verify_needs_photo is set
    effects: tuple[fx.Effect, ...] = ()  # what the step does to the ticket besides its status
    reason: Callable[[Change], str] = lambda change: change.inputs.note.strip()   # the audit event's reason
    concerns: Callable[[Change], str | None] = lambda change: change.actor.department_code or None
    notifies: bool = True                # tell the reporters (STATUSES says what); the router's steps are in the reply
    note_is_public: bool = True          # the note goes to the reporters; if not, only the reply does
    notice: NoticeKind | None = None     # what a step that keeps the status tells the reporters
    tells_staff: StaffNoticeKind | None = None   # what the staff who work the ticket hear (bot/cases/staff_notices.py)
    inputs_all: frozenset[Input] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs_all", self.needs | self.offers)


def _with(detail: Callable[[Change], str]) -> Callable[[Change], str]:
    return lambda change: "；".join(part for part in (change.inputs.note.strip(), detail(change)) if part)


def _with_details(change: Change) -> str:
    return "；".join([part for part in (change.inputs.note.strip(),) if part] + change.details)


def _new_lead(change: Change) -> str | None:
    return change.inputs.department.code if change.inputs.department else None


def _extension_pending(ticket: Ticket, actor: Actor) -> bool:
    return ticket.extension_asked_at is not None


def _no_extension_pending(ticket: Ticket, actor: Actor) -> bool:
    return ticket.extension_asked_at is None and not ticket.long_term


def _not_mine(ticket: Ticket, actor: Actor) -> bool:
    return actor.staff_id is not None and ticket.assignee_staff_id != actor.staff_id


def _has_reporters(ticket: Ticket, actor: Actor) -> bool:
    return ticket.resident_id is not None or bool(ticket.reporters)


N, R, P, D, M = Input.NOTE, Input.REPLY, Input.PHOTO, Input.DEPARTMENT, Input.MERGE_TARGET
# A dispatch is heard only when the step handed the ticket to a department (a correction that keeps the lead is not).
DISPATCH_NEWS, URGE_NEWS, ASSIGN_NEWS = StaffNoticeKind.DISPATCHED, StaffNoticeKind.URGED, StaffNoticeKind.ASSIGNED
# The staff notices that carry the step's note: HQ's 督办 words, why the work came back, what HQ asks of a helper.
NEWS_WITH_NOTE = frozenset({URGE_NEWS, StaffNoticeKind.REOPENED, StaffNoticeKind.CO_HANDLER})
DEPARTMENT = frozenset({DEPT_STAFF, DEPT_ADMIN})
STAFF_ANYWHERE = frozenset({DEPT_STAFF, DEPT_ADMIN, HQ_ADMIN})
ALL_STATES = frozenset(TicketStatus)
RULES: tuple[Rule, ...] = (
    Rule("register", "立案", frozenset({S.RECEIVED}), S.REGISTERED, frozenset({HQ_ADMIN})),
    # HQ reassigns at any open state, after acceptance too (改派): the new lead's clock starts afresh.
    Rule("dispatch", "派遣 / 改派", frozenset({S.RECEIVED, S.REGISTERED, S.RETURNED, S.REOPENED, S.DISPATCHED,
                                          S.IN_PROGRESS}),
         S.DISPATCHED, frozenset({HQ_ADMIN}), needs=frozenset({D}), offers=frozenset({N}), restarts_clock=True,
         effects=(fx.lead, fx.handed_over), reason=_with(lambda change: f"派往{change.department.name}"),
         concerns=_new_lead, tells_staff=DISPATCH_NEWS),
    Rule("accept", "接单处置", frozenset({S.DISPATCHED, S.REOPENED}), S.IN_PROGRESS, DEPARTMENT,
         offers=frozenset({N}), effects=(fx.taken_up,)),
    # The note is the department's own record; the resident reads the reply (a canned one, or the standard words).
    Rule("resolve", "处置完成", frozenset({S.IN_PROGRESS}), S.RESOLVED, DEPARTMENT, needs=frozenset({N, P}),
         offers=frozenset({R}), effects=(fx.resolved,), note_is_public=False),
    Rule("return", "退回指挥部", frozenset({S.DISPATCHED, S.IN_PROGRESS}), S.RETURNED, frozenset({DEPT_ADMIN}),
         needs=frozenset({N}), effects=(fx.returned, fx.to_triage)),
    Rule("verify", "核查通过", frozenset({S.RESOLVED}), S.VERIFIED, frozenset({HQ_ADMIN, RESIDENT, SYSTEM}),
         offers=frozenset({N, P}), on_site_photo=True, note_is_public=False),
    Rule("reopen", "核查不通过，重开", frozenset({S.RESOLVED, S.VERIFIED}), S.REOPENED,
         frozenset({HQ_ADMIN, RESIDENT}), needs=frozenset({N}), restarts_clock=True,
         effects=(fx.reopened, fx.to_triage), tells_staff=StaffNoticeKind.REOPENED),
    Rule("close", "结案", frozenset({S.VERIFIED}), S.CLOSED, frozenset({HQ_ADMIN, SYSTEM}), offers=frozenset({N}),
         effects=(fx.closed,), note_is_public=False),
    Rule("reject", "不予受理", frozenset({S.RECEIVED, S.REGISTERED, S.RETURNED}), S.REJECTED, frozenset({HQ_ADMIN}),
         needs=frozenset({N}), effects=(fx.withdrawn,)),
    Rule("merge", "合并为重复", frozenset({S.RECEIVED, S.REGISTERED, S.DISPATCHED, S.RETURNED}), S.MERGED,
         frozenset({HQ_ADMIN}), needs=frozenset({M}), offers=frozenset({N}), effects=(fx.merged, fx.withdrawn),
         reason=_with(lambda change: f"与 {change.merge_target.number} 重复")),
    # 延期 and 挂账: the department asks, the clock stops until HQ decides.
    Rule("request_extension", "申请延期", CLOCK_STATES, None, DEPARTMENT, needs=frozenset({N, Input.DEADLINE}),
         when=_no_extension_pending, check=fx.later_than_deadline, effects=(fx.extension_asked,),
         reason=_with(fx.proposed_date), notifies=False),
    Rule("request_long_term", "申请挂账", CLOCK_STATES, None, DEPARTMENT, needs=frozenset({N, Input.DEADLINE}),
         when=_no_extension_pending, check=fx.later_than_deadline, effects=(fx.long_term_asked,),
         reason=_with(fx.proposed_date), notifies=False),
    Rule("grant_extension", "批准延期 / 挂账", CLOCK_STATES, None, frozenset({HQ_ADMIN}), offers=frozenset({N}),
         when=_extension_pending, effects=(fx.extension_granted,), reason=_with_details, notifies=False),
    Rule("refuse_extension", "不同意延期 / 挂账", CLOCK_STATES, None, frozenset({HQ_ADMIN}), needs=frozenset({N}),
         when=_extension_pending, effects=(fx.extension_refused,), reason=_with_details, notifies=False),
    Rule("urge", "督办", CLOCK_STATES, None, frozenset({HQ_ADMIN}), needs=frozenset({N}), effects=(fx.urged,),
         concerns=lambda change: change.ticket.lead_department_code, notifies=False, tells_staff=URGE_NEWS),
    Rule("add_co_handler", "增加协办单位", OPEN_STATES, None, frozenset({HQ_ADMIN}), needs=frozenset({D}),
         offers=frozenset({N}), check=fx.new_co_handler, effects=(fx.co_handler_added,),
         reason=_with(lambda change: f"请{change.department.name}协办"), concerns=_new_lead, notifies=False,
         tells_staff=StaffNoticeKind.CO_HANDLER),
    Rule("assign", "指派承办人", CLOCK_STATES, None, frozenset({DEPT_ADMIN}), needs=frozenset({Input.ASSIGNEE}),
         offers=frozenset({N}), check=fx.assignee_of_lead, effects=(fx.assigned,),
         reason=_with(lambda change: f"指派给{change.assignee_name}"), notifies=False, tells_staff=ASSIGN_NEWS),
    Rule("claim", "由我承办", CLOCK_STATES, None, DEPARTMENT, when=_not_mine, effects=(fx.claimed,),
         reason=lambda change: "本人承办", notifies=False),
    Rule("set_priority", "设置优先级", OPEN_STATES, None, frozenset({HQ_ADMIN, DEPT_ADMIN}),
         needs=frozenset({Input.PRIORITY}), offers=frozenset({N}), check=fx.other_priority,
         effects=(fx.prioritised,), reason=_with_details, notifies=False),
    # HQ's corrections, each with its reason; a new category or town routes the ticket again by the same rules.
    Rule("recategorise", "更正类别", OPEN_STATES, None, frozenset({HQ_ADMIN}), needs=frozenset({N, Input.CATEGORY}),
         check=fx.other_category, uses_catalogue=True, effects=(fx.recategorised, fx.rerouted),
         reason=_with_details, tells_staff=DISPATCH_NEWS),
    Rule("change_town", "更正属地", OPEN_STATES, None, frozenset({HQ_ADMIN}), needs=frozenset({N, Input.TOWN}),
         check=fx.other_town, uses_catalogue=True, effects=(fx.town_changed, fx.rerouted), reason=_with_details,
         tells_staff=DISPATCH_NEWS),
    Rule("change_deadline", "调整处置期限", CLOCK_STATES, None, frozenset({HQ_ADMIN}),
         needs=frozenset({N, Input.DEADLINE}), uses_catalogue=True, effects=(fx.deadline_set,),
         reason=_with_details, notifies=False),
    Rule("relocate", "更正位置", OPEN_STATES, None, frozenset({HQ_ADMIN}), needs=frozenset({N, Input.LOCATION}),
         effects=(fx.relocated,), reason=_with_details, notifies=False),
    # Notes stay among staff; a reply goes to the reporters.
    Rule("note", "内部备注", ALL_STATES, None, STAFF_ANYWHERE, needs=frozenset({N}), scope=Scope.HANDLERS,
         notifies=False),
    Rule("reply", "答复市民", ALL_STATES - {S.MERGED}, None, frozenset({HQ_ADMIN, DEPT_STAFF, DEPT_ADMIN}),
         needs=frozenset({R}), when=_has_reporters, reason=lambda change: f"答复市民：{change.inputs.reply.strip()}",
         notice=NoticeKind.REPLY),
    Rule("auto_register", "自动立案", frozenset({S.RECEIVED}), S.REGISTERED, frozenset({ROUTER}), notifies=False),
    # The router dispatches to the lead it chose when it opened the ticket; an unsettled town keeps it in triage.
    Rule("auto_dispatch", "自动派遣", frozenset({S.REGISTERED}), S.DISPATCHED, frozenset({ROUTER}),
         needs=frozenset({D}), restarts_clock=True, effects=(fx.handed_over,), concerns=_new_lead, notifies=False,
         tells_staff=DISPATCH_NEWS),
)
RULES_BY_ACTION = {rule.action: rule for rule in RULES}
NO_INPUTS = Inputs()
# The actions the portal also offers on many tickets at once, each ticket still through do_transition. Only rules
# whose inputs are one choice for all (a department, a person) fit; the portal skips others.
BULK_ACTIONS = ("dispatch", "accept", "assign")
__all__ = ["BULK_ACTIONS", "DEPT_ADMIN", "DEPT_STAFF", "HQ_ADMIN", "RESIDENT", "ROUTER", "ROUTER_ACTOR", "SYSTEM",
           "SYSTEM_ACTOR", "Actor", "Change", "Input", "Inputs", "Rule", "TransitionRefused", "allowed_actions",
           "check_transition", "do_flag", "do_transition"]


class TransitionRefused(Exception):
    """The action is not allowed for this ticket and actor, or lacks what it needs; message is for the clerk."""


def _may(rule: Rule, ticket: Ticket, actor: Actor) -> bool:
    if ticket.status not in rule.sources or actor.workflow_role not in rule.roles or not rule.when(ticket, actor):
        return False
    if actor.workflow_role in (HQ_ADMIN, SYSTEM, ROUTER):
        return True
    if actor.workflow_role == RESIDENT:  # their own report, or one their report joined
        return actor.resident_id is not None and (actor.resident_id == ticket.resident_id or any(
            reporter.resident_id == actor.resident_id for reporter in ticket.reporters))
    # A department works only tickets it leads (a co-handler may add notes); a town office sees its town's
    # tickets but does not work them.
    if ticket.lead_department_code == actor.department_code:
        return True
    return rule.scope == Scope.HANDLERS and any(c.department_code == actor.department_code
                                                for c in ticket.co_handlers)


def allowed_actions(ticket: Ticket, actor: Actor) -> list[Rule]:
    return [rule for rule in RULES if _may(rule, ticket, actor)]


def check_transition(change: Change, action: str, *, photo_count: int = 0, verify_needs_photo: bool = False) -> Rule:
    """Return the rule, or raise TransitionRefused saying what is wrong."""
    rule = RULES_BY_ACTION.get(action)
    if rule is None:
        raise TransitionRefused("没有这个操作。")
    if not _may(rule, change.ticket, change.actor):
        raise TransitionRefused(f"当前状态或权限下不能“{rule.label}”。")
    needs = rule.needs | ({P} if rule.on_site_photo and verify_needs_photo
                          and change.actor.workflow_role == HQ_ADMIN else frozenset())
    if photo_count and P not in rule.inputs_all:
        raise TransitionRefused(f"“{rule.label}”不需要上传照片。")
    for need in sorted(needs):
        problem = missing(need, change, photo_count)
        if problem:
            raise TransitionRefused(problem)
    problem = rule.check(change)
    if problem:
        raise TransitionRefused(problem)
    if (rule.restarts_clock or rule.uses_catalogue) and change.catalogue is None:
        raise ValueError(f"{action} reads the catalogue: the caller must pass it")  # a caller's bug
    return rule


def do_transition(ticket: Ticket, actor: Actor, action: str, *, now: datetime, session: Session,
                  inputs: Inputs = NO_INPUTS, photos: Sequence[Photo] = (),
                  catalogue: CatalogueSnapshot | None = None, verify_needs_photo: bool = False,
                  told: int | None = None) -> TicketEvent:
    """Check and apply one step: its effects, the audit event, the reporters' and the staff's notices (sent after
    commit).

    `told`: a reporter who learns of the step in the chat's reply to them, and so gets no notice of it."""
    # The ticket's row lock, and its state as committed by whoever held it before: two clerks (or a clerk
    # and the resident's rating) acting at once take turns, and the second is checked against the first's
    # result. SQLite's write lock did this for every transaction; PostgreSQL needs it said.
    session.flush()
    session.refresh(ticket, with_for_update=True)
    change = Change(ticket, actor, now, inputs, catalogue, session)
    rule = check_transition(change, action, photo_count=len(photos), verify_needs_photo=verify_needs_photo)
    from_status = ticket.status
    if rule.target is not None:
        ticket.status = rule.target
    for effect in ((fx.clock_restarted,) if rule.restarts_clock else ()) + rule.effects:
        effect(change)
    ticket.updated_at = now
    event = TicketEvent(ticket_id=ticket.id, at=now, actor=actor.name, from_status=from_status,
                        to_status=ticket.status, reason=rule.reason(change), action=action,
                        department_code=rule.concerns(change), reply=inputs.reply.strip(), channel=actor.channel,
                        photos=list(photos))   # given before the flush: the event's seal covers its photos
    session.add(event)
    session.flush()
    for photo in photos:
        photo.ticket_id = ticket.id
    if ticket.status in HANDLED and from_status not in HANDLED:
        # Blurred now, by the worker, so the 办理公示 page shows the photos without making them on a visitor's time.
        enqueue_after_commit(session, PUBLIC_COPIES, ticket.id)
    notice = STATUSES[ticket.status].notice if ticket.status != from_status else rule.notice
    if rule.notifies and notice:
        # The deadline the reporter is told is the one in force after this step (a dispatch sets a new one).
        deadline_text = catalogue.calendar.local(ticket.deadline_at).strftime("%m月%d日 %H:%M") if catalogue else ""
        words = inputs.reply.strip() or (inputs.note.strip() if rule.note_is_public else "")
        # Written in this same transaction, so it cannot be lost between the two; delivered after commit.
        do_queue_notices(ticket, notice, note=words, photos=photos, deadline_text=deadline_text, now=now,
                         session=session, skip=told)
    if rule.tells_staff:
        do_queue_staff_notices(ticket, rule.tells_staff, now=now, session=session, catalogue=catalogue,
                               note=inputs.note.strip() if rule.tells_staff in NEWS_WITH_NOTE else "",
                               actor_staff_id=actor.staff_id)
    return event


def do_flag(ticket: Ticket, reason: str, *, now: datetime, session: Session, actor: str = "system:deadline") -> None:
    """Record a notice that is not a state change (a deadline warning or an escalation to HQ); the ticket has
    changed all the same (its history grew, an escalation makes it overdue), so the departments' API and the
    exchange file hand it out again."""
    ticket.updated_at = now
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor, from_status=ticket.status,
                            to_status=ticket.status, reason=reason, action="flag"))


def department_choices(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).where(Department.kind != DepartmentKind.HQ)
                                .order_by(Department.kind, Department.id)))
