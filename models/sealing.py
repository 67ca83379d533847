"""Seal every ticket event into its ticket's hash chain as it is inserted, whatever code path writes it.

An event's `hash` is SHA-256 over the previous event's hash and the canonical JSON of the fields the weekly 通报
and the scores rely on (ticket number, action, statuses, actor, department, reason, reply, time, channel, photo
ids); `prev_hash` is the previous event's hash ("" for a ticket's first event). The seal is made in one place, a
`before_flush` hook on every ORM session: a new code path that adds a `TicketEvent` cannot forget it. A Core
INSERT that bypasses the ORM leaves the hash empty, which `civicbot audit verify` reports as a broken link.

The chain cannot fork: the hook locks the ticket's row before it reads the chain's head (PostgreSQL; SQLite's one
writer already serialises), and a unique index on (ticket_id, prev_hash) refuses a second event claiming the same
predecessor, so a fork is a failed transaction, never a stored one.

The hook is general: a table with prev_hash, hash and field_digests columns is sealed the same way once a
`Chain` for it is added to `CHAINS`. Staff account events are one chain for the whole table.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.staff import AccountEvent
from models.ticket import Ticket, TicketEvent

SEAL_VERSION = 1   # a change to the canonical form needs a new version, and the old events keep theirs
# One encoder for every seal: json.dumps builds one per call with these options, a third of a seal's time.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def canonical(fields: Sequence[Any]) -> str:
    """The one text form of a row's sealed fields: a JSON list, no spaces, Chinese as it is."""
    return _ENCODE(list(fields))


def chain_hash(prev_hash: str, fields: Sequence[Any]) -> str:
    """SHA-256 (hex) of the previous link's hash and this row's canonical fields."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(fields)}".encode()).hexdigest()


class EventLike(Protocol):
    """A ticket event as the ORM holds it, or as a plain row read back for verification."""

    action: str
    from_status: Any
    to_status: Any
    actor: str
    department_code: str | None
    reason: str
    reply: str
    at: datetime
    channel: str


def _status(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def event_fields(ev: EventLike, ticket_number: str, photo_ids: Sequence[int]) -> list[Any]:
    """What an event's seal covers, in a fixed order."""
    return [SEAL_VERSION, ticket_number, ev.action, _status(ev.from_status), _status(ev.to_status), ev.actor,
            ev.department_code, ev.reason, ev.reply, ev.at.isoformat(timespec="microseconds"), ev.channel,
            sorted(photo_ids)]


FIELD_NAMES = ("seal version", "ticket number", "action", "from_status", "to_status", "actor", "department_code",
               "reason", "reply", "at", "channel", "photos")
DIGEST_CHARS = 4   # per field: enough to say which field changed, far too little to stand in for the hash


def event_hash(prev_hash: str, ev: EventLike, ticket_number: str, photo_ids: Sequence[int]) -> str:
    return chain_hash(prev_hash, event_fields(ev, ticket_number, photo_ids))


def field_digests(fields: Sequence[Any]) -> str:
    """A few hex digits of each sealed field's own hash, so that a broken seal can name the field that changed."""
    return "".join(hashlib.sha256(canonical([value]).encode()).hexdigest()[:DIGEST_CHARS] for value in fields)


def changed_fields(digests: str, fields: Sequence[Any], names: Sequence[str] = FIELD_NAMES) -> list[str]:
    """The names of the fields whose digest no longer matches what was sealed."""
    now = field_digests(fields)
    return [name for i, name in enumerate(names)
            if now[i * DIGEST_CHARS:(i + 1) * DIGEST_CHARS] != digests[i * DIGEST_CHARS:(i + 1) * DIGEST_CHARS]]


def chain_head(ticket_id: int, *, session: Session) -> str:
    """The hash of the ticket's last event ("" before its first)."""
    return session.scalar(select(TicketEvent.hash).where(TicketEvent.ticket_id == ticket_id)
                          .order_by(TicketEvent.id.desc()).limit(1)) or ""


@dataclass(frozen=True)
class Chain:
    """A table whose new rows are sealed into hash chains at flush; it has prev_hash, hash and field_digests.

    chain_of: which chain a new row joins (a ticket's id; a constant for a table that is one chain);
    start: lock that chain against other writers and return what its rows' fields need and the chain's head;
    fields: a new row's sealed fields (setting any column default first: the seal covers what is stored)."""

    model: type[Any]
    chain_of: Callable[[Any], Hashable]
    start: Callable[[Any, Session], tuple[Any, str]]
    fields: Callable[[Any, Any], list[Any]]


CHAINS: list[Chain] = []


def _ticket_of(ev: TicketEvent) -> int:
    if ev.ticket_id is None and ev.ticket is not None:   # given by the relationship, not the column
        ev.ticket_id = ev.ticket.id
    if ev.ticket_id is None:
        raise ValueError("a ticket event needs its ticket flushed first (its number is sealed)")
    return ev.ticket_id


def _start_ticket_chain(ticket_id: int, session: Session) -> tuple[str, str]:
    # The row lock serialises every writer of this ticket's chain (a no-op on SQLite, whose transactions already
    # take the one write lock at BEGIN IMMEDIATE).
    number = session.execute(select(Ticket.number).where(Ticket.id == ticket_id).with_for_update()).scalar_one()
    return number, chain_head(ticket_id, session=session)


def _new_event_fields(ev: TicketEvent, ticket_number: str) -> list[Any]:
    # Column defaults apply only at INSERT; the seal must cover what will be stored, so they are set here.
    if ev.at is None:
        ev.at = utcnow()
    elif ev.at.tzinfo is not None:
        ev.at = ev.at.astimezone(UTC).replace(tzinfo=None)
    for name in ("reason", "reply", "action", "channel"):
        if getattr(ev, name) is None:
            setattr(ev, name, "")
    photo_ids = [photo.id for photo in ev.photos]
    if any(photo_id is None for photo_id in photo_ids):
        raise ValueError("an event's photos must be flushed before the event: their ids are sealed with it")
    return event_fields(ev, ticket_number, photo_ids)


CHAINS.append(Chain(TicketEvent, _ticket_of, _start_ticket_chain, _new_event_fields))

ACCOUNT_CHAIN = "account-events"   # the account events' one chain, as anchors and verification name it
ACCOUNT_FIELD_NAMES = ("seal version", "at", "actor", "target", "department_code", "action", "detail")


def account_event_fields(ev: Any) -> list[Any]:
    """What an account event's seal covers, in a fixed order."""
    return [SEAL_VERSION, ev.at.isoformat(timespec="microseconds"), ev.actor, ev.target, ev.department_code,
            ev.action, ev.detail]


def account_chain_head(*, session: Session) -> str:
    return session.scalar(select(AccountEvent.hash).order_by(AccountEvent.id.desc()).limit(1)) or ""


def _start_account_chain(_key: Hashable, session: Session) -> tuple[None, str]:
    # One chain for the table: on PostgreSQL a transaction-scoped advisory lock makes writers take turns, and the
    # head is read after it is held (each statement sees what committed before it). SQLite has one writer anyway.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext(ACCOUNT_CHAIN))))
    return None, account_chain_head(session=session)


def _new_account_event_fields(ev: AccountEvent, _context: None) -> list[Any]:
    if ev.at is None:
        ev.at = utcnow()
    elif ev.at.tzinfo is not None:
        ev.at = ev.at.astimezone(UTC).replace(tzinfo=None)
    for name in ("department_code", "detail"):
        if getattr(ev, name) is None:
            setattr(ev, name, "")
    return account_event_fields(ev)


CHAINS.append(Chain(AccountEvent, lambda _ev: ACCOUNT_CHAIN, _start_account_chain, _new_account_event_fields))


@event.listens_for(Session, "before_flush")
def _seal_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    for chain in CHAINS:
        new = [obj for obj in session.new if isinstance(obj, chain.model)]
        if not new:
            continue
        new.sort(key=lambda obj: inspect(obj).insert_order or 0)   # the order the flush inserts them: their ids
        heads: dict[Hashable, tuple[Any, str]] = {}
        with session.no_autoflush:
            for row in new:
                key = chain.chain_of(row)
                if key not in heads:
                    heads[key] = chain.start(key, session)
                context, prev_hash = heads[key]
                fields = chain.fields(row, context)
                row.prev_hash, row.hash, row.field_digests = prev_hash, chain_hash(prev_hash, fields), \
                    field_digests(fields)
                heads[key] = (context, row.hash)
