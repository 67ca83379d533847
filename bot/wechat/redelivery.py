"""Process each WeChat delivery once: claim its key, run the work, and replay the stored reply to re-deliveries."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, Table, bindparam, select

from bot.infra.db import reading, run_after_commit, run_on_connection, upsert_insert
from bot.wechat.inbound import Inbound
from models import InboundMessage

log = logging.getLogger(__name__)
# SQLAlchemy types a mapped class's __table__ as any FromClause; a declarative class's is always a Table.
MESSAGES: Table = InboundMessage.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Delivery:
    """What the work sees of a first delivery: the message, and its row id in the message log."""

    inbound: Inbound
    record_id: int

    def erase_from_log(self, connection: Connection, placeholder_openid: str) -> None:
        """Keep the row (the key still dedupes re-deliveries) but drop who sent it and what it said."""
        connection.execute(MESSAGES.update().where(MESSAGES.c.id == self.record_id)
                           .values(openid=placeholder_openid, body="[erased]"))


@dataclass(frozen=True)
class Answer:
    """The reply to a delivery; whether it is a replay of an earlier answer; what to do once it is committed."""

    reply: str
    replayed: bool
    effects: list[Callable[[], None]] = field(default_factory=list)


Work = Callable[[Delivery, Connection], tuple[str, list[Callable[[], None]]]]


def reply_once(inbound: Inbound, engine: Engine, work: Work) -> tuple[str, bool]:
    """Return the reply for this delivery, doing the work only for the first one; and whether it was a replay.

    A message already answered is replayed from a plain read, which waits for
    no writer: re-deliveries are most of a burst (WeChat retries whatever is
    slow), and on SQLite they would otherwise queue behind every first
    delivery. Otherwise the claim and the work share one write transaction.
    The claim is a single INSERT … ON CONFLICT DO UPDATE that counts the
    delivery: a re-delivery arriving while the first is still running waits
    on the row's lock, then gets the committed reply, in any worker process.
    """
    stored_reply = _stored_reply(engine, inbound)
    if stored_reply is not None:
        log.info("re-delivery of %s from %s answered with the stored reply", inbound.dedupe_key, inbound.openid)
        return stored_reply, True
    # Each attempt builds its own Answer: a retried attempt never runs the effects of one that rolled back.
    answer = run_on_connection(engine, lambda connection: _answer_first(connection, inbound, work))
    if answer.replayed:
        log.info("re-delivery of %s from %s waited for the first and got its reply", inbound.dedupe_key,
                 inbound.openid)
    run_after_commit(answer.effects)
    return answer.reply, answer.replayed


def _answer_first(connection: Connection, inbound: Inbound, work: Work) -> Answer:
    record_id, deliveries, stored_reply = _claim(connection, inbound)
    if deliveries > 1:
        return Answer(stored_reply, True)
    # The work joins this transaction and never commits it: reply_once runs its effects once this has committed.
    reply, effects = work(Delivery(inbound, record_id), connection)
    connection.execute(_save_reply_statement(), {"record_id": record_id, "new_reply": reply})
    return Answer(reply, False, effects)


def record_failure(inbound: Inbound, engine: Engine, reply: str, error: str) -> str:
    """Keep a message whose answering failed, with the error, so it is not lost; return the reply to give."""
    def keep(connection: Connection) -> str:
        _, deliveries, stored_reply = _claim(connection, inbound, reply=reply, error=error[:2000])
        return stored_reply if deliveries > 1 else reply

    return run_on_connection(engine, keep)


def _stored_reply(engine: Engine, inbound: Inbound) -> str | None:
    """The committed reply to this message, or None when no answer to it has been committed yet."""
    # The claim and the work commit together, so a row that can be read here has its final reply. Outside a
    # write transaction the read waits for no writer (SQLite's WAL, PostgreSQL's MVCC).
    with reading(engine) as connection:
        return connection.execute(_stored_reply_statement(),
                                  {"for_openid": inbound.openid, "for_key": inbound.dedupe_key}).scalar()


def _claim(connection: Connection, inbound: Inbound, **extra) -> tuple[int, int, str]:
    """Insert the message's row, or count one more delivery on the row already there: (id, deliveries, reply)."""
    row = {"openid": inbound.openid, "dedupe_key": inbound.dedupe_key, "msg_type": inbound.kind,
           "event": inbound.event, "msg_id": inbound.msg_id, "create_time": inbound.create_time,
           "body": inbound.body, "deliveries": 1, **extra}
    record_id, deliveries, stored_reply = connection.execute(_claim_statement(connection.dialect.name), row).one()
    return record_id, deliveries, stored_reply or ""


@functools.cache
def _claim_statement(dialect_name: str):
    # Built once: constructing the statement costs more than running it on SQLite.
    return upsert_insert(dialect_name, MESSAGES).on_conflict_do_update(
        index_elements=[MESSAGES.c.openid, MESSAGES.c.dedupe_key],
        set_={"deliveries": MESSAGES.c.deliveries + 1},
    ).returning(MESSAGES.c.id, MESSAGES.c.deliveries, MESSAGES.c.reply)


@functools.cache
def _stored_reply_statement():
    return (select(MESSAGES.c.reply)  # NOT NULL: None only when there is no row
            .where(MESSAGES.c.openid == bindparam("for_openid"), MESSAGES.c.dedupe_key == bindparam("for_key")))


@functools.cache
def _save_reply_statement():
    return MESSAGES.update().where(MESSAGES.c.id == bindparam("record_id")).values(reply=bindparam("new_reply"))
