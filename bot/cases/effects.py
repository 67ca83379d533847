"""What the workflow's steps do besides changing the status: the clock, each department's hold, 延期 and 挂账,
督办, 协办, assignment, priority and HQ's corrections."""
from __future__ import annotations

from collections.abc import Callable

from bot.cases.change import Change
from bot.cases.holds import end_hold, move_deadline, open_hold, settle_return, start_hold
from bot.cases.routing import decide_route
from bot.cases.statuses import CLOCK_STATES
from bot.catalogue.snapshot import CatalogueSnapshot
from models import (
    CoHandler,
    ExtensionKind,
    ExtensionRequest,
    HoldEnd,
    Priority,
    Ticket,
    TicketStatus,
)

PRIORITY_LABELS = {Priority.NORMAL: "一般", Priority.URGENT: "紧急"}
EXTENSION_LABELS = {ExtensionKind.EXTENSION: "延期", ExtensionKind.LONG_TERM: "挂账"}


Effect = Callable[[Change], None]


# ---- the clock and each department's hold

def clock_restarted(change: Change) -> None:
    """The time limit belongs to whoever holds the case: a new holder (or a reopened case) gets the full limit."""
    catalogue = change.catalogue
    assert catalogue is not None  # check_transition refuses a step that restarts the clock without it
    ticket = change.ticket
    ticket.deadline_at = catalogue.calendar.due_at(change.now, catalogue.categories[ticket.category_code].deadline)
    ticket.warned_at = ticket.escalated_at = None   # the earlier holder's warnings and escalation are in the events


def _assign(ticket: Ticket, staff_id: int | None) -> None:
    ticket.assignee_staff_id = staff_id
    hold = open_hold(ticket)
    if hold is not None:
        hold.assignee_staff_id = staff_id


def _hold_ended(change: Change, end: HoldEnd, return_reason: str = "") -> None:
    ticket = change.ticket
    end_hold(ticket, end, change.now, return_reason=return_reason)
    ticket.urged_at = None
    if end != HoldEnd.RESOLVED:
        _assign(ticket, None)   # the next holder names its own
        request = _pending_request(ticket)
        if request is not None:   # the application lapses with the department's turn
            request.decided_at, request.decided_by, request.granted = change.now, change.actor.name, False
            request.decision_note = "工单已转出，申请随之结束"
            ticket.extension_asked_at = None


def _hand_to(change: Change, department_code: str) -> None:
    settle_return(change.ticket, department_code)
    _hold_ended(change, HoldEnd.REASSIGNED)
    start_hold(change.ticket, department_code, change.now)


def lead(change: Change) -> None:
    change.ticket.lead_department_code = change.department.code
    change.ticket.needs_triage = False


def handed_over(change: Change) -> None:
    _hand_to(change, change.department.code)


def taken_up(change: Change) -> None:
    change.ticket.needs_triage = False  # a reopened case its department takes up again is no longer HQ's to sort
    if change.ticket.assignee_staff_id is None and change.actor.staff_id is not None:
        _assign(change.ticket, change.actor.staff_id)   # whoever accepts it works it until someone is assigned


def resolved(change: Change) -> None:
    ticket = change.ticket
    ticket.resolved_at = change.now
    if ticket.resident_id is not None or ticket.reporters:   # everyone attached is asked (bot/cases/ratings.py)
        ticket.feedback_requested_at = change.now
        ticket.rating = ticket.rated_at = None  # a new resolution asks afresh (the earlier reason is in the events)
    _hold_ended(change, HoldEnd.RESOLVED)


def returned(change: Change) -> None:
    _hold_ended(change, HoldEnd.RETURNED, change.inputs.note.strip())


def reopened(change: Change) -> None:
    ticket = change.ticket
    ticket.reopen_count += 1
    ticket.resolved_at = None
    finished = [hold for hold in ticket.holds if hold.end == HoldEnd.RESOLVED]
    if finished:
        finished[-1].reopened = True   # rework counts against the department that resolved it
    start_hold(ticket, ticket.lead_department_code, change.now).assignee_staff_id = ticket.assignee_staff_id


def closed(change: Change) -> None:
    change.ticket.closed_at = change.now


def merged(change: Change) -> None:
    change.ticket.merged_into_id = change.merge_target.id


def withdrawn(change: Change) -> None:
    """HQ drops the ticket: a return before it was right, and whoever held it stops holding it."""
    settle_return(change.ticket, None)
    _hold_ended(change, HoldEnd.WITHDRAWN)


def to_triage(change: Change) -> None:
    change.ticket.needs_triage = True  # back to HQ, which decides who works it again


# ---- 延期 and 挂账

def _pending_request(ticket: Ticket) -> ExtensionRequest | None:
    return next((request for request in ticket.extension_requests if request.decided_at is None), None)


def later_than_deadline(change: Change) -> str:
    proposed = change.inputs.deadline
    if proposed is not None and proposed <= change.ticket.deadline_at:
        return f"申请的日期须晚于现在的处置期限（{change.local(change.ticket.deadline_at)}）。"
    return ""


def proposed_date(change: Change) -> str:
    return f"申请延至 {change.local(change.inputs.deadline)}" if change.inputs.deadline else ""


def _asked(change: Change, kind: ExtensionKind) -> None:
    ticket = change.ticket
    hold = open_hold(ticket) or start_hold(ticket, ticket.lead_department_code, change.now)
    change.session.flush()   # the hold's id
    assert change.inputs.deadline is not None  # check_transition requires it
    ticket.extension_requests.append(ExtensionRequest(
        ticket_id=ticket.id, hold_id=hold.id, kind=kind, reason=change.inputs.note.strip(),
        proposed_deadline_at=change.inputs.deadline, asked_at=change.now, asked_by=change.actor.name,
        decided_by="", decision_note=""))
    ticket.extension_asked_at = change.now   # the clock stops until HQ decides


def extension_asked(change: Change) -> None:
    _asked(change, ExtensionKind.EXTENSION)


def long_term_asked(change: Change) -> None:
    _asked(change, ExtensionKind.LONG_TERM)


def _decided(change: Change, granted: bool) -> ExtensionRequest:
    request = _pending_request(change.ticket)
    assert request is not None  # the rule is offered only while one is pending
    request.decided_at, request.decided_by, request.granted = change.now, change.actor.name, granted
    request.decision_note = change.inputs.note.strip()
    change.ticket.extension_asked_at = None
    return request


def extension_granted(change: Change) -> None:
    request = _decided(change, True)
    move_deadline(change.ticket, request.proposed_deadline_at)
    change.ticket.long_term = request.kind == ExtensionKind.LONG_TERM
    change.details.append(f"同意{EXTENSION_LABELS[request.kind]}，"
                          f"处置期限延至 {change.local(request.proposed_deadline_at)}")


def extension_refused(change: Change) -> None:
    asked_at = change.ticket.extension_asked_at
    assert asked_at is not None  # the rule is offered only while one is pending
    request = _decided(change, False)
    # The days HQ took to decide are not the department's: the deadline moves on by as long.
    move_deadline(change.ticket, change.ticket.deadline_at + (change.now - asked_at))
    change.details.append(f"不同意{EXTENSION_LABELS[request.kind]}；审批期间不计时，处置期限顺延至 "
                          f"{change.local(change.ticket.deadline_at)}")


# ---- 督办, 协办, assignment, priority

def urged(change: Change) -> None:
    change.ticket.urged_at = change.now


def new_co_handler(change: Change) -> str:
    department = change.inputs.department
    if department is None:
        return ""
    if department.code == change.ticket.lead_department_code:
        return "该部门已是主办部门。"
    if any(c.department_code == department.code for c in change.ticket.co_handlers):
        return "该部门已是协办单位。"
    return ""


def co_handler_added(change: Change) -> None:
    change.ticket.co_handlers.append(CoHandler(ticket_id=change.ticket.id, department_code=change.department.code,
                                               added_at=change.now))


def assignee_of_lead(change: Change) -> str:
    assignee = change.inputs.assignee
    if assignee is not None and (assignee.department_code != change.ticket.lead_department_code
                                 or not assignee.active):
        return "只能指派给本部门在岗的工作人员。"
    return ""


def assigned(change: Change) -> None:
    assert change.inputs.assignee is not None  # check_transition requires it
    _assign(change.ticket, change.inputs.assignee.id)


def claimed(change: Change) -> None:
    _assign(change.ticket, change.actor.staff_id)


def other_priority(change: Change) -> str:
    return "优先级没有变化。" if change.inputs.priority == change.ticket.priority else ""


def prioritised(change: Change) -> None:
    new = change.inputs.priority
    assert new is not None  # check_transition requires it
    change.details.append(f"优先级：{PRIORITY_LABELS[change.ticket.priority]} → {PRIORITY_LABELS[new]}")
    change.ticket.priority = new


# ---- HQ's corrections

def _catalogue(change: Change) -> CatalogueSnapshot:
    assert change.catalogue is not None  # check_transition refuses a step that reads it without it
    return change.catalogue


def other_category(change: Change) -> str:
    return "类别没有变化。" if change.inputs.category_code == change.ticket.category_code else ""


def recategorised(change: Change) -> None:
    names = _catalogue(change).category_name
    change.details.append(f"类别：{names(change.ticket.category_code)} → {names(change.inputs.category_code)}")
    change.ticket.category_code = change.inputs.category_code


def other_town(change: Change) -> str:
    return "属地没有变化。" if change.inputs.town_code == change.ticket.town_code else ""


def town_changed(change: Change) -> None:
    names = _catalogue(change).routing.town_names
    old = names.get(change.ticket.town_code or "", "未确定")
    change.details.append(f"属地：{old} → {names[change.inputs.town_code]}")
    change.ticket.town_code = change.inputs.town_code


def rerouted(change: Change) -> None:
    """Route the corrected ticket by the same rules as a new report; a new lead gets the case and a fresh clock."""
    ticket, routing = change.ticket, _catalogue(change).routing
    decision = decide_route(ticket.category_code, ticket.town_code, "指挥部更正", routing)
    ticket.route_reason = decision.reason
    new = decision.lead_department_code
    if new == ticket.lead_department_code:
        return
    change.details.append(f"承办部门：{change.department_name(ticket.lead_department_code)} → "
                          f"{change.department_name(new)}")
    ticket.lead_department_code = new
    if ticket.status not in CLOCK_STATES:
        ticket.needs_triage = ticket.needs_triage or decision.needs_triage   # HQ dispatches it when it is ready
    elif new == routing.hq_code:   # no department leads this category: back to HQ to decide
        _hold_ended(change, HoldEnd.REASSIGNED)
        ticket.status, ticket.needs_triage = TicketStatus.REGISTERED, True
    else:
        ticket.status = TicketStatus.DISPATCHED
        clock_restarted(change)
        _hand_to(change, new)


def deadline_set(change: Change) -> None:
    assert change.inputs.deadline is not None  # check_transition requires it
    move_deadline(change.ticket, change.inputs.deadline)
    change.details.append(f"处置期限改为 {change.local(change.inputs.deadline)}")


def relocated(change: Change) -> None:
    new = change.inputs.location.strip()
    change.details.append(f"位置：{change.ticket.location_label or change.ticket.place_text or '无'} → {new}")
    change.ticket.location_label = new
