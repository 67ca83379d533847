"""The case workflow in one table.

Each transition, who may make it, what it needs, what it does, and its audit event.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.notices import do_queue_notices
from bot.cases.statuses import OPEN_STATES, STATUSES
from bot.catalogue.snapshot import CatalogueSnapshot
from models import Department, DepartmentKind, Photo, Ticket, TicketEvent, TicketStatus

S = TicketStatus

# Who acts. A department's staff work its tickets; its admin may also return them; HQ triages and verifies.
DEPT_STAFF, DEPT_ADMIN, HQ_ADMIN = "dept_staff", "dept_admin", "hq_admin"
# The reporter confirms or rejects a resolution in the chat; the system closes what nobody answered; the router
# registers and dispatches a new report whose category and town settle where it goes.
RESIDENT, SYSTEM, ROUTER = "resident", "system", "router"


@dataclass(frozen=True)
class Actor:
    """A logged-in staff member, the reporter, or the system, as the workflow sees them."""

    name: str                  # "staff:wang", "system:deadline"
    department_code: str
    department_kind: str       # a DepartmentKind, or resident | system | router
    role: str                  # staff | admin
    staff_id: int | None = None
    resident_id: int | None = None   # for the resident actor: whose report they may confirm

    @property
    def workflow_role(self) -> str:
        if self.department_kind in (RESIDENT, SYSTEM, ROUTER):
            return self.department_kind
        if self.department_kind == DepartmentKind.HQ:
            return HQ_ADMIN
        return DEPT_ADMIN if self.role == "admin" else DEPT_STAFF


@dataclass(frozen=True)
class Change:
    """One transition being applied: what its effects and its reason may read."""

    ticket: Ticket
    actor: Actor
    now: datetime
    note: str
    department: Department | None
    merge_target: Ticket | None
    catalogue: CatalogueSnapshot | None


Effect = Callable[[Change], None]


def _department(change: Change) -> Department:
    assert change.department is not None  # check_transition refuses a rule that needs one without it
    return change.department


def _merge_target(change: Change) -> Ticket:
    assert change.merge_target is not None  # check_transition refuses a rule that needs one without it
    return change.merge_target


def _lead(change: Change) -> None:
    change.ticket.lead_department_code = _department(change).code
    change.ticket.needs_triage = False


def _clock_restarted(change: Change) -> None:
    """The time limit belongs to whoever holds the case: a new holder (or a reopened case) gets the full limit."""
    catalogue = change.catalogue
    assert catalogue is not None  # check_transition refuses a rule that restarts the clock without it
    ticket = change.ticket
    ticket.deadline_at = catalogue.calendar.due_at(change.now, catalogue.categories[ticket.category_code].deadline)
    ticket.warned_at = ticket.escalated_at = None   # the earlier holder's warnings and escalation are in the events


def _merged(change: Change) -> None:
    change.ticket.merged_into_id = _merge_target(change).id


def _resolved(change: Change) -> None:
    ticket = change.ticket
    ticket.resolved_at = change.now
    if ticket.resident_id is not None:
        ticket.feedback_requested_at = change.now
        ticket.rating = ticket.rated_at = None  # a new resolution asks afresh (the earlier reason is in the events)


def _closed(change: Change) -> None:
    change.ticket.closed_at = change.now


def _reopened(change: Change) -> None:
    change.ticket.reopen_count += 1
    change.ticket.resolved_at = None


def _taken_up(change: Change) -> None:
    change.ticket.needs_triage = False  # a reopened case its department takes up again is no longer HQ's to sort


def _to_triage(change: Change) -> None:
    change.ticket.needs_triage = True  # back to HQ, which decides who works it again


def _with(detail: Callable[[Change], str]) -> Callable[[Change], str]:
    return lambda change: (change.note + "；" if change.note else "") + detail(change)


@dataclass(frozen=True)
class Rule:
    action: str
    label: str                           # the button a clerk sees
    sources: frozenset[TicketStatus]
    target: TicketStatus
    roles: frozenset[str]
    needs_note: bool = False             # a reason or a resolution note
    needs_photo: bool = False            # at least one after-photo
    needs_department: bool = False       # the (new) lead department
    needs_merge_target: bool = False     # the earlier ticket this one duplicates
    restarts_clock: bool = False         # the holder gets the category's full time limit from now
    effects: tuple[Effect, ...] = ()     # what the transition does to the ticket besides its status
    reason: Callable[[Change], str] = lambda change: change.note   # the audit event's reason
    notifies: bool = True                # tell the reporters (STATUSES says what); the router's steps are in the reply


DEPARTMENT = frozenset({DEPT_STAFF, DEPT_ADMIN})
RULES: tuple[Rule, ...] = (
    Rule("register", "立案", frozenset({S.RECEIVED}), S.REGISTERED, frozenset({HQ_ADMIN})),
    # HQ reassigns at any open state, after acceptance too (改派): the new lead's clock starts afresh.
    Rule("dispatch", "派遣 / 改派", frozenset({S.RECEIVED, S.REGISTERED, S.RETURNED, S.REOPENED, S.DISPATCHED,
                                          S.IN_PROGRESS}),
         S.DISPATCHED, frozenset({HQ_ADMIN}), needs_department=True, restarts_clock=True, effects=(_lead,),
         reason=_with(lambda change: f"派往{_department(change).name}")),
    Rule("accept", "接单处置", frozenset({S.DISPATCHED, S.REOPENED}), S.IN_PROGRESS, DEPARTMENT,
         effects=(_taken_up,)),
    Rule("resolve", "处置完成", frozenset({S.IN_PROGRESS}), S.RESOLVED, DEPARTMENT, needs_note=True,
         needs_photo=True, effects=(_resolved,)),
    Rule("return", "退回指挥部", frozenset({S.DISPATCHED, S.IN_PROGRESS}), S.RETURNED, frozenset({DEPT_ADMIN}),
         needs_note=True, effects=(_to_triage,)),
    Rule("verify", "核查通过", frozenset({S.RESOLVED}), S.VERIFIED, frozenset({HQ_ADMIN, RESIDENT, SYSTEM})),
    Rule("reopen", "核查不通过，重开", frozenset({S.RESOLVED, S.VERIFIED}), S.REOPENED,
         frozenset({HQ_ADMIN, RESIDENT}), needs_note=True, restarts_clock=True, effects=(_reopened, _to_triage)),
    Rule("close", "结案", frozenset({S.VERIFIED}), S.CLOSED, frozenset({HQ_ADMIN, SYSTEM}), effects=(_closed,)),
    Rule("reject", "不予受理", frozenset({S.RECEIVED, S.REGISTERED, S.RETURNED}), S.REJECTED, frozenset({HQ_ADMIN}),
         needs_note=True),
    Rule("merge", "合并为重复", frozenset({S.RECEIVED, S.REGISTERED, S.DISPATCHED, S.RETURNED}), S.MERGED,
         frozenset({HQ_ADMIN}), needs_merge_target=True, effects=(_merged,),
         reason=_with(lambda change: f"与 {_merge_target(change).number} 重复")),
    Rule("auto_register", "自动立案", frozenset({S.RECEIVED}), S.REGISTERED, frozenset({ROUTER}), notifies=False),
    # The router dispatches to the lead it chose when it opened the ticket; an unsettled town keeps it in triage.
    Rule("auto_dispatch", "自动派遣", frozenset({S.REGISTERED}), S.DISPATCHED, frozenset({ROUTER}),
         needs_department=True, restarts_clock=True, notifies=False),
)
RULES_BY_ACTION = {rule.action: rule for rule in RULES}
SYSTEM_ACTOR = Actor("system:feedback", "", SYSTEM, "")
ROUTER_ACTOR = Actor("system:router", "", ROUTER, "")
# The actions the portal also offers on many tickets at once, each ticket still through do_transition. Only rules
# that need no note, photo or merge target fit (a department is chosen once for all); the portal skips others.
BULK_ACTIONS = ("dispatch", "accept")


class TransitionRefused(Exception):
    """The action is not allowed for this ticket and actor, or lacks what it needs; message is for the clerk."""


def _may(rule: Rule, ticket: Ticket, actor: Actor) -> bool:
    if ticket.status not in rule.sources or actor.workflow_role not in rule.roles:
        return False
    # A department acts only on tickets it leads; a town office sees its town's tickets but does not work them.
    if actor.workflow_role in (HQ_ADMIN, SYSTEM, ROUTER):
        return True
    if actor.workflow_role == RESIDENT:
        return ticket.resident_id is not None and actor.resident_id == ticket.resident_id  # their own report
    return ticket.lead_department_code == actor.department_code


def allowed_actions(ticket: Ticket, actor: Actor) -> list[Rule]:
    return [rule for rule in RULES if _may(rule, ticket, actor)]


def check_transition(ticket: Ticket, actor: Actor, action: str, *, note: str = "", photo_count: int = 0,
                     department: Department | None = None, merge_target: Ticket | None = None,
                     catalogue: CatalogueSnapshot | None = None) -> Rule:
    """Return the rule, or raise TransitionRefused saying what is wrong."""
    rule = RULES_BY_ACTION.get(action)
    if rule is None:
        raise TransitionRefused("没有这个操作。")
    if not _may(rule, ticket, actor):
        raise TransitionRefused(f"当前状态或权限下不能“{rule.label}”。")
    if rule.needs_note and not note.strip():
        raise TransitionRefused("请填写说明或理由。")
    if rule.needs_photo and photo_count < 1:
        raise TransitionRefused("处置完成需要至少一张处置后照片。")
    if rule.needs_department and (department is None or department.kind == DepartmentKind.HQ):
        raise TransitionRefused("请选择承办部门。")
    if rule.needs_merge_target and (merge_target is None or merge_target.id == ticket.id
                                    or merge_target.status not in OPEN_STATES):
        raise TransitionRefused("请填写一张仍在办理中的原工单编号。")
    if rule.restarts_clock and catalogue is None:
        raise ValueError(f"{action} sets a deadline: the caller must pass the catalogue")  # a caller's bug
    return rule


def do_transition(ticket: Ticket, actor: Actor, action: str, *, now: datetime, session: Session, note: str = "",
                  photos: Sequence[Photo] = (), department: Department | None = None,
                  merge_target: Ticket | None = None,
                  catalogue: CatalogueSnapshot | None = None) -> TicketEvent:
    """Check and apply one transition: its effects, the audit event, and the reporters' notice (sent after commit)."""
    # The ticket's row lock, and its state as committed by whoever held it before: two clerks (or a clerk
    # and the resident's rating) acting at once take turns, and the second is checked against the first's
    # result. SQLite's write lock did this for every transaction; PostgreSQL needs it said.
    session.flush()
    session.refresh(ticket, with_for_update=True)
    rule = check_transition(ticket, actor, action, note=note, photo_count=len(photos), department=department,
                            merge_target=merge_target, catalogue=catalogue)
    change = Change(ticket, actor, now, note.strip(), department, merge_target, catalogue)
    event = TicketEvent(ticket_id=ticket.id, at=now, actor=actor.name, from_status=ticket.status,
                        to_status=rule.target, reason=rule.reason(change), action=action,
                        department_code=_department(change).code if rule.needs_department else actor.department_code)
    for effect in ((_clock_restarted,) if rule.restarts_clock else ()) + rule.effects:
        effect(change)
    ticket.status = rule.target
    ticket.updated_at = now
    session.add(event)
    session.flush()
    for photo in photos:
        photo.event_id = event.id
        photo.ticket_id = ticket.id
    # The deadline the reporter is told is the one in force after this step (a dispatch sets a new one).
    deadline_text = catalogue.calendar.local(ticket.deadline_at).strftime("%m月%d日 %H:%M") if catalogue else ""
    notice = STATUSES[rule.target].notice
    if rule.notifies and notice:
        # Written in this same transaction, so it cannot be lost between the two; delivered after commit.
        do_queue_notices(ticket, notice, note=change.note, photos=photos, deadline_text=deadline_text, now=now,
                         session=session)
    return event


def do_flag(ticket: Ticket, reason: str, *, now: datetime, session: Session, actor: str = "system:deadline") -> None:
    """Record a notice that is not a state change (a deadline warning or an escalation to HQ)."""
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor=actor, from_status=ticket.status,
                            to_status=ticket.status, reason=reason, action="flag"))


def department_choices(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).where(Department.kind != DepartmentKind.HQ)
                                .order_by(Department.kind, Department.id)))
