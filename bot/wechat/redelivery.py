"""Process each WeChat delivery once: claim its key, run the work, and replay the stored reply to re-deliveries."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Connection, Engine, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.infra.db import read_row, run_on_connection
from bot.wechat.inbound import Inbound
from models import InboundMessage

log = logging.getLogger(__name__)
MESSAGES = InboundMessage.__table__


@dataclass
class Delivery:
    """What the work sees: the logged message's row id, and side effects to run once the transaction commits."""

    inbound: Inbound
    record_id: int
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def erase_from_log(self, session: Session, placeholder_openid: str) -> None:
        """Keep the row (the key still dedupes re-deliveries) but drop who sent it and what it said."""
        session.execute(update(InboundMessage).where(InboundMessage.id == self.record_id)
                        .values(openid=placeholder_openid, body="[erased]"))


def reply_once(inbound: Inbound, engine: Engine, work: Callable[[Delivery, Session], str]) -> tuple[str, bool]:
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
    outcome: dict = {}

    def attempt(connection: Connection) -> str:
        outcome.clear()  # a retried attempt must not run the effects of one that rolled back
        record_id, deliveries, stored_reply = _claim(connection, inbound)
        if deliveries > 1:
            return stored_reply
        delivery = Delivery(inbound, record_id)
        # Bound to the open connection, the session joins its transaction and never commits it.
        with Session(bind=connection, expire_on_commit=False) as session:
            reply = work(delivery, session)
            session.flush()
        connection.execute(_save_reply_statement(), {"record_id": record_id, "new_reply": reply})
        outcome["after_commit"] = delivery.after_commit
        return reply

    reply = run_on_connection(engine, attempt)
    if "after_commit" not in outcome:
        log.info("re-delivery of %s from %s waited for the first and got its reply", inbound.dedupe_key,
                 inbound.openid)
        return reply, True
    for effect in outcome.get("after_commit", []):
        try:
            effect()
        except Exception:  # the reply is committed; a failed side effect must not turn it into an error
            log.exception("after-commit effect failed for %s %s", inbound.openid, inbound.dedupe_key)
    return reply, False


def record_failure(inbound: Inbound, engine: Engine, reply: str, error: str) -> str:
    """Keep a message whose answering failed, with the error, so it is not lost; return the reply to give."""
    def keep(connection: Connection) -> str:
        _, deliveries, stored_reply = _claim(connection, inbound, reply=reply, error=error[:2000])
        return stored_reply if deliveries > 1 else reply

    return run_on_connection(engine, keep)


def _stored_reply(engine: Engine, inbound: Inbound) -> str | None:
    """The committed reply to this message, or None when no answer to it has been committed yet."""
    # The claim and the work commit together, so a row that can be read here has its final reply.
    row = read_row(engine, _stored_reply_statement(), {"for_openid": inbound.openid, "for_key": inbound.dedupe_key})
    return row[0] if row else None


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
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(MESSAGES).on_conflict_do_update(
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
