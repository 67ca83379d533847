"""The audit trail's checks: daily anchors over every chain's head (each ticket's, the account events'), and
verification of the chains and anchors."""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Row, String, func, select, type_coerce
from sqlalchemy.orm import Session

from models import AccountEvent, AuditAnchor, Photo, Ticket, TicketEvent
from models.sealing import (
    ACCOUNT_CHAIN,
    ACCOUNT_FIELD_NAMES,
    SEAL_VERSION,
    EventLike,
    account_event_fields,
    chain_hash,
    changed_fields,
    event_fields,
)

DISTRICT_ZONE = ZoneInfo("Asia/Shanghai")   # an anchor's day is the district's date
MOST_REPORTED = 20                          # broken links listed; the first one is what an operator chases
Head = tuple[int, str]                      # (event id, event hash): a ticket's chain head


def district_day(now: datetime) -> str:
    return now.replace(tzinfo=UTC).astimezone(DISTRICT_ZONE).strftime("%Y-%m-%d")


def anchor_hash(anchor: AuditAnchor) -> str:
    """The anchor's own seal, chained to the previous anchor's."""
    return chain_hash(anchor.prev_hash, [SEAL_VERSION, anchor.day, anchor.at.isoformat(timespec="microseconds"),
                                         anchor.last_event_id, anchor.tickets, anchor.events, anchor.heads_hash,
                                         anchor.changed])


def _anchored_heads(anchors: Iterable[AuditAnchor]) -> dict[str, Head]:
    """Every ticket's head as the anchors recorded it, replaying their lists of what changed."""
    heads: dict[str, Head] = {}
    for anchor in anchors:
        for number, event_id, digest in json.loads(anchor.changed):
            heads[number] = (event_id, digest)
    return heads


def do_anchor(*, now: datetime, session: Session) -> AuditAnchor:
    """Record every ticket's chain head now, chained to the last anchor.

    Two anchors at once cannot both follow the same one (unique prev_hash): the second's flush fails."""
    current = {number: (event_id, digest or "") for number, event_id, digest in session.execute(
        select(Ticket.number, TicketEvent.id, TicketEvent.hash).join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.id.in_(select(func.max(TicketEvent.id)).group_by(TicketEvent.ticket_id))))}
    last_account_event = session.execute(select(AccountEvent.id, AccountEvent.hash)
                                         .order_by(AccountEvent.id.desc()).limit(1)).first()
    if last_account_event is not None:
        current[ACCOUNT_CHAIN] = (last_account_event.id, last_account_event.hash or "")
    earlier = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
    before = _anchored_heads(earlier)
    changed = [[number, *head] for number, head in sorted(current.items()) if before.get(number) != head]
    heads_text = "".join(f"{number}\t{event_id}\t{digest}\n" for number, (event_id, digest) in sorted(current.items()))
    anchor = AuditAnchor(
        day=district_day(now), at=now, tickets=len(current) - (ACCOUNT_CHAIN in current),
        last_event_id=max((event_id for number, (event_id, _) in current.items() if number != ACCOUNT_CHAIN),
                          default=0),
        events=session.scalar(select(func.count()).select_from(TicketEvent)) or 0,
        heads_hash=hashlib.sha256(heads_text.encode()).hexdigest(),
        changed=json.dumps(changed, ensure_ascii=False, separators=(",", ":")),
        prev_hash=earlier[-1].hash if earlier else "")
    anchor.hash = anchor_hash(anchor)
    session.add(anchor)
    session.flush()
    return anchor


def do_anchor_once_a_day(*, now: datetime, session: Session) -> AuditAnchor | None:
    """The periodic job's anchor: one for each district day, the first time the job runs that day."""
    if session.scalar(select(AuditAnchor.id).where(AuditAnchor.day == district_day(now)).limit(1)) is not None:
        return None
    return do_anchor(now=now, session=session)


@dataclass(frozen=True)
class Broken:
    """One link that does not hold: where, and what differs."""

    ticket: str
    event_id: int | None
    what: str

    def __str__(self) -> str:
        where = f"{self.ticket} event {self.event_id}" if self.event_id is not None else self.ticket
        return f"{where}: {self.what}"


@dataclass
class Verification:
    tickets: int = 0
    events: int = 0
    account_events: int = 0
    anchors: int = 0
    seconds: float = 0.0
    broken: list[Broken] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken

    def found(self, broken: Broken) -> None:
        if len(self.broken) < MOST_REPORTED:
            self.broken.append(broken)


def _photos_by_event(session: Session, ticket_id: int | None) -> dict[int, list[int]]:
    query = select(Photo.event_id, Photo.id).where(Photo.event_id.is_not(None))
    if ticket_id is not None:
        query = query.where(Photo.event_id.in_(select(TicketEvent.id).where(TicketEvent.ticket_id == ticket_id)))
    photos: dict[int, list[int]] = {}
    for event_id, photo_id in session.execute(query):
        photos.setdefault(event_id or 0, []).append(photo_id)
    return photos


Recorded = dict[int, tuple[str, str, str]]   # event id → (chain: a ticket's number or ACCOUNT_CHAIN, hash, day)


def _check_anchors(anchors: list[AuditAnchor], result: Verification) -> tuple[Recorded, Recorded]:
    """Check the anchors' own chain; return the heads they recorded: the tickets', the account events'."""
    expected: Recorded = {}
    accounts: Recorded = {}
    prev = ""
    for anchor in anchors:
        if anchor.prev_hash != prev:
            result.found(Broken(f"anchor {anchor.day}", anchor.id, "its prev_hash is not the previous anchor's "
                                "hash: an anchor before it was deleted or rewritten"))
        elif anchor_hash(anchor) != anchor.hash:
            result.found(Broken(f"anchor {anchor.day}", anchor.id, "its fields no longer match its hash"))
        prev = anchor.hash
        for number, event_id, digest in json.loads(anchor.changed):
            (accounts if number == ACCOUNT_CHAIN else expected)[event_id] = (number, digest, anchor.day)
    return expected, accounts


def verify(*, session: Session, ticket_number: str | None = None) -> Verification:
    """Check every ticket's chain (or one ticket's) and the anchors; name the links that do not hold."""
    started = time.perf_counter()
    result = Verification()
    ticket_id = None
    if ticket_number is not None:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == ticket_number))
        if ticket_id is None:
            raise LookupError(ticket_number)
    anchors = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
    result.anchors = len(anchors)
    expected, account_heads = _check_anchors(anchors, result)
    if ticket_number is not None:
        expected = {event_id: seen for event_id, seen in expected.items() if seen[0] == ticket_number}
    else:
        _verify_account_events(account_heads, session=session, result=result)
    photos = _photos_by_event(session, ticket_id)
    # Statuses as the stored strings (the seal's form), and rows read through the connection, not the ORM: a
    # third of the time per event otherwise went on enum lookups and ORM row handling.
    query = (select(TicketEvent.id, TicketEvent.ticket_id, Ticket.number, TicketEvent.action,
                    type_coerce(TicketEvent.from_status, String).label("from_status"),
                    type_coerce(TicketEvent.to_status, String).label("to_status"), TicketEvent.actor,
                    TicketEvent.department_code, TicketEvent.reason, TicketEvent.reply, TicketEvent.at,
                    TicketEvent.channel, TicketEvent.prev_hash, TicketEvent.hash, TicketEvent.field_digests)
             .join(Ticket, Ticket.id == TicketEvent.ticket_id).order_by(TicketEvent.ticket_id, TicketEvent.id))
    if ticket_id is not None:
        query = query.where(TicketEvent.ticket_id == ticket_id)
    current, prev, prev_id = -1, "", 0
    for row in session.connection().execute(query.execution_options(yield_per=20_000)):
        if row.ticket_id != current:
            current, prev, prev_id = row.ticket_id, "", 0
            result.tickets += 1
        result.events += 1
        _check_event(cast(Row[Any], row), prev, prev_id, photos.get(row.id, ()), result)
        anchored = expected.pop(row.id, None)
        if anchored is not None and (anchored[0], anchored[1]) != (row.number, row.hash):
            result.found(Broken(row.number, row.id, f"differs from the head the anchor of {anchored[2]} recorded "
                                                    f"for {anchored[0]}"))
        prev, prev_id = row.hash or "", row.id
    if ticket_number is not None and result.events == 0:
        result.found(Broken(ticket_number, None, "has no events at all"))
    for event_id, (number, _, day) in sorted(expected.items()):
        result.found(Broken(number, event_id, f"is gone: the anchor of {day} recorded it as the ticket's last event"))
    result.seconds = time.perf_counter() - started
    return result


def _check_event(row: Row[Any], prev: str, prev_id: int, photo_ids: Iterable[int], result: Verification) -> None:
    if not row.hash:
        result.found(Broken(row.number, row.id, "is not sealed (no hash): it was written around the application"))
    elif row.prev_hash != prev:
        before = f"event {prev_id}'s hash" if prev_id else "empty (it is the ticket's first event)"
        result.found(Broken(row.number, row.id, f"prev_hash should be {before}: an event before it was deleted, "
                                                "or an earlier event's hash was rewritten"))
    else:
        fields = event_fields(cast(EventLike, row), row.number, list(photo_ids))
        if chain_hash(prev, fields) != row.hash:
            changed = changed_fields(row.field_digests or "", fields) or ["its field digests"]
            result.found(Broken(row.number, row.id, f"changed after it was written ({', '.join(changed)}): "
                                                    "its hash no longer matches"))


def _verify_account_events(anchored: Recorded, *, session: Session, result: Verification) -> None:
    """The account events' one chain: every link, and every head an anchor recorded still there unchanged."""
    prev, prev_id = "", 0
    for row in session.scalars(select(AccountEvent).order_by(AccountEvent.id).execution_options(yield_per=5_000)):
        result.account_events += 1
        seen = anchored.pop(row.id, None)
        if not row.hash:
            result.found(Broken(ACCOUNT_CHAIN, row.id, "is not sealed (no hash): it was written around the "
                                                       "application"))
        elif row.prev_hash != prev:
            before = f"event {prev_id}'s hash" if prev_id else "empty (it is the first account event)"
            result.found(Broken(ACCOUNT_CHAIN, row.id, f"prev_hash should be {before}: an event before it was "
                                                       "deleted, or an earlier event's hash was rewritten"))
        elif chain_hash(prev, fields := account_event_fields(row)) != row.hash:
            changed = changed_fields(row.field_digests or "", fields, ACCOUNT_FIELD_NAMES) or ["its field digests"]
            result.found(Broken(ACCOUNT_CHAIN, row.id, f"changed after it was written ({', '.join(changed)}): "
                                                       "its hash no longer matches"))
        elif seen is not None and seen[1] != row.hash:
            result.found(Broken(ACCOUNT_CHAIN, row.id, f"differs from the head the anchor of {seen[2]} recorded"))
        prev, prev_id = row.hash or "", row.id
    for event_id, (_, _, day) in sorted(anchored.items()):
        result.found(Broken(ACCOUNT_CHAIN, event_id, f"is gone: the anchor of {day} recorded it as the last "
                                                     "account event"))
