"""A ticket's whole history as departments may read it: its events, the departments' turns (holds), extension
requests, co-handlers and photos; never who the residents are."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalogue.snapshot import CatalogueSnapshot
from models import Photo, PhotoStatus, Ticket, TicketEvent


def _when(local: Callable[[datetime], datetime], moment: datetime | None) -> str | None:
    return local(moment).isoformat() if moment else None


def _actor(name: str) -> str:
    """Staff and the system by name; a resident only as "resident", whichever of the reporters it was."""
    if name.startswith(("staff:", "system:")) or name in ("resident", "cli"):
        return name
    return "other"   # a name this module does not know might say who someone is: not passed on


def photo_as_dict(photo: Photo, local: Callable[[datetime], datetime]) -> dict[str, Any]:
    stored = photo.status == PhotoStatus.STORED
    return {"id": photo.id, "kind": photo.kind.value, "status": photo.status.value, "event_id": photo.event_id,
            "note": photo.note if photo.status == PhotoStatus.FAILED else "",
            "taken_at": _when(local, photo.taken_at), "received_at": _when(local, photo.created_at),
            "display": f"/api/v1/photos/{photo.id}/display" if stored else None,
            "thumbnail": f"/api/v1/photos/{photo.id}/thumbnail" if stored else None}


def ticket_history(ticket: Ticket, catalogue: CatalogueSnapshot, *, session: Session) -> dict[str, Any]:
    """Everything that happened to the ticket, each list oldest first, times in the district's zone."""
    local = catalogue.calendar.local
    events = list(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                  .order_by(TicketEvent.at, TicketEvent.id)))
    photos = list(session.scalars(select(Photo).where(Photo.ticket_id == ticket.id).order_by(Photo.id)))
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "lead_department": ticket.lead_department_code,
        "created_at": local(ticket.created_at).isoformat(),
        "updated_at": local(ticket.updated_at).isoformat(),
        "events": [{"id": e.id, "at": local(e.at).isoformat(), "action": e.action or None, "actor": _actor(e.actor),
                    "from": e.from_status.value if e.from_status else None, "to": e.to_status.value,
                    "department": e.department_code, "channel": e.channel or "portal", "reply": e.reply,
                    "reason": e.reason, "photos": [p.id for p in e.photos]} for e in events],
        "holds": [{"department": h.department_code, "started_at": local(h.started_at).isoformat(),
                   "deadline_at": local(h.deadline_at).isoformat(), "ended_at": _when(local, h.ended_at),
                   "end": h.end.value if h.end else None, "return_reason": h.return_reason,
                   "return_accepted": h.return_accepted, "reopened": h.reopened} for h in ticket.holds],
        "extension_requests": [{"kind": x.kind.value, "reason": x.reason, "asked_at": local(x.asked_at).isoformat(),
                                "proposed_deadline_at": local(x.proposed_deadline_at).isoformat(),
                                "decided_at": _when(local, x.decided_at), "granted": x.granted,
                                "decision_note": x.decision_note} for x in ticket.extension_requests],
        "co_handlers": [{"department": c.department_code, "added_at": local(c.added_at).isoformat()}
                        for c in ticket.co_handlers],
        "photos": [photo_as_dict(p, local) for p in photos],
    }
