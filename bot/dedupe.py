"""Process each WeChat delivery once: claim its key, run the work, and replay the stored reply to re-deliveries."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import run_in_transaction
from bot.parse import Inbound
from models import InboundMessage

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What the work sees: the logged message, and side effects to run once the transaction commits."""

    inbound: Inbound
    record: InboundMessage
    after_commit: list[Callable[[], None]] = field(default_factory=list)


def reply_once(inbound: Inbound, factory: sessionmaker[Session],
               work: Callable[[Delivery, Session], str]) -> str:
    """Return the reply for this delivery, doing the work only for the first one.

    The claim (a unique row) and the work share one transaction, so a
    re-delivery arriving while the first is still running waits on the row
    lock and then sees the committed reply, in any worker process.
    """
    outcome: dict = {}

    def attempt(session: Session) -> str | None:
        record = InboundMessage(openid=inbound.openid, dedupe_key=inbound.dedupe_key, msg_type=inbound.kind,
                                event=inbound.event, msg_id=inbound.msg_id, create_time=inbound.create_time,
                                body=inbound.body)
        try:
            with session.begin_nested():
                session.add(record)
        except IntegrityError:
            return None
        delivery = Delivery(inbound, record)
        record.reply = work(delivery, session)
        outcome["after_commit"] = delivery.after_commit
        return record.reply

    reply = run_in_transaction(factory, attempt)
    if reply is None:
        return _replay(inbound, factory)
    for effect in outcome.get("after_commit", []):
        try:
            effect()
        except Exception:  # the reply is committed; a failed side effect must not turn it into an error
            log.exception("after-commit effect failed for %s %s", inbound.openid, inbound.dedupe_key)
    return reply


def record_failure(inbound: Inbound, factory: sessionmaker[Session], reply: str, error: str) -> str:
    """Keep a message whose answering failed, with the error, so it is not lost; return the reply to give."""
    def keep(session: Session) -> bool:
        try:
            with session.begin_nested():
                session.add(InboundMessage(openid=inbound.openid, dedupe_key=inbound.dedupe_key,
                                           msg_type=inbound.kind, event=inbound.event, msg_id=inbound.msg_id,
                                           create_time=inbound.create_time, body=inbound.body, reply=reply,
                                           error=error[:2000]))
        except IntegrityError:
            return False
        return True

    return reply if run_in_transaction(factory, keep) else _replay(inbound, factory)


def _replay(inbound: Inbound, factory: sessionmaker[Session]) -> str:
    def stored(session: Session) -> str:
        session.execute(update(InboundMessage)
                        .where(InboundMessage.openid == inbound.openid,
                               InboundMessage.dedupe_key == inbound.dedupe_key)
                        .values(deliveries=InboundMessage.deliveries + 1))
        return session.scalar(select(InboundMessage.reply).where(
            InboundMessage.openid == inbound.openid, InboundMessage.dedupe_key == inbound.dedupe_key)) or ""

    log.info("re-delivery of %s from %s answered with the stored reply", inbound.dedupe_key, inbound.openid)
    return run_in_transaction(factory, stored)
