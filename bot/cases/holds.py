"""Each department's turn at a ticket (its hold): begun by a dispatch, ended by resolution, return or reassignment."""
from __future__ import annotations

from datetime import datetime

from models import Hold, HoldEnd, Ticket


def open_hold(ticket: Ticket) -> Hold | None:
    """The hold whose clock is running (at most one), if a department holds the ticket now."""
    return next((hold for hold in ticket.holds if hold.ended_at is None), None)


def start_hold(ticket: Ticket, department_code: str, now: datetime) -> Hold:
    """A department's turn begins, under the deadline the ticket has just been given."""
    hold = Hold(ticket_id=ticket.id, department_code=department_code, started_at=now, deadline_at=ticket.deadline_at,
                return_reason="", reopened=False)
    ticket.holds.append(hold)
    return hold


def end_hold(ticket: Ticket, end: HoldEnd, now: datetime, *, return_reason: str = "") -> Hold | None:
    hold = open_hold(ticket)
    if hold is not None:
        hold.ended_at, hold.end, hold.return_reason = now, end, return_reason
    return hold


def settle_return(ticket: Ticket, next_department_code: str | None) -> None:
    """HQ's next step after a 回退 says whether it agreed: sending the ticket elsewhere (or dropping it) accepts
    the return; sending it back to the department that returned it refuses it."""
    for hold in ticket.holds:
        if hold.end == HoldEnd.RETURNED and hold.return_accepted is None:
            hold.return_accepted = next_department_code != hold.department_code


def move_deadline(ticket: Ticket, deadline: datetime) -> None:
    """The deadline in force changes for the ticket and for the turn it belongs to."""
    ticket.deadline_at = deadline
    ticket.warned_at = ticket.escalated_at = None   # warnings given under the old deadline are in the events
    hold = open_hold(ticket)
    if hold is not None:
        hold.deadline_at = deadline
