"""The reporters' notices about their tickets: outbox rows written with the change, delivery kicked after commit."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot import texts
from bot.cases.open311_clients import clients_among
from bot.cases.reporters import reporter_ids
from bot.cases.statuses import NoticeKind
from bot.infra.db import enqueue_after_commit
from models import Department, Notification, NotificationStatus, Photo, Ticket

DELIVER = "deliver_notifications"  # the job that sends due notices (bot/notify/residents.py)


def do_queue_notices(ticket: Ticket, kind: NoticeKind, *, note: str, photos: Sequence[Photo], deadline_text: str,
                     now: datetime, session: Session, skip: int | None = None) -> list[Notification]:
    """Write a notice for everyone who reported the ticket in WeChat (but `skip`, told already), in the caller's
    transaction; delivery runs after commit."""
    department = session.scalar(select(Department.name).where(Department.code == ticket.lead_department_code))
    text = texts.ticket_notice(kind, number=ticket.number, department=department or "", note=note,
                               deadline=deadline_text)
    reporters = reporter_ids(ticket, session=session)
    programs = clients_among(reporters, session=session)   # an Open311 client reads /open311/v2, not WeChat
    notices = [Notification(ticket_id=ticket.id, resident_id=resident_id, kind=kind, text=text,
                            photo_id=photos[0].id if photos else None, created_at=now, next_attempt_at=now)
               for resident_id in reporters if resident_id != skip and resident_id not in programs]
    session.add_all(notices)
    enqueue_after_commit(session, DELIVER)
    return notices


def do_release_waiting(connection: Connection, resident_id: int, now: datetime) -> int:
    """The resident wrote again, so WeChat's 48-hour window is open: make what waited for it due again.

    On the webhook's hot path, hence a plain statement on its connection; the caller runs DELIVER after commit."""
    return connection.execute(_RELEASE_WAITING, {"for_resident": resident_id, "at": now}).rowcount


# SQLAlchemy types a mapped class's __table__ as any FromClause; a declarative class's is always a Table.
_NOTICES: Table = Notification.__table__  # type: ignore[assignment]
_RELEASE_WAITING = (update(_NOTICES).where(_NOTICES.c.resident_id == bindparam("for_resident"),
                                           _NOTICES.c.status == NotificationStatus.WAITING)
                    .values(status=NotificationStatus.PENDING, next_attempt_at=bindparam("at")))
