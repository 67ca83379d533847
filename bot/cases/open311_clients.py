"""Open311 clients and their API keys: create one (the key shown once), list, revoke, and find the client of a key."""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.account_audit import record_account_event
from bot.cases.client_keys import digest, live_row
from models import Open311Client, Resident

KEY_PREFIX = "o311_"
# The residents row standing for a client: never a WeChat OpenID (those hold no colon), so nothing sends to it.
OPENID_PREFIX = "open311:"
# Keys are issued on the server's command line; the accounts' trail records it like an API token's, under HQ.
ISSUER, ISSUER_DEPARTMENT = "cli", "hq"


def hash_key(key: str) -> str:
    return digest(key)


def do_create_client(name: str, *, reports_per_hour: int, now: datetime, session: Session) -> tuple[Open311Client, str]:
    """A new client with its reporter row; returns it and its key, of which only the hash is kept."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("客户端名称不能为空，且不超过 100 个字")
    reporter = Resident(openid=OPENID_PREFIX + secrets.token_hex(16), subscribed=False, created_at=now)
    session.add(reporter)
    session.flush()
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client(name=name, key_sha256=hash_key(key), resident_id=reporter.id,
                           reports_per_hour=reports_per_hour, created_at=now)
    session.add(client)
    session.flush()
    record_account_event(ISSUER, f"open311:{client.id}", "open311_key_issued", department_code=ISSUER_DEPARTMENT,
                         now=now, session=session, detail=name)
    return client, key


def client_for_key(key: str, now: datetime, *, session: Session) -> Open311Client | None:
    """The live client this key belongs to, noting its use; None when the key is unknown or revoked."""
    return live_row(Open311Client, Open311Client.key_sha256, key, now, session=session) if key else None


def list_clients(*, session: Session) -> list[Open311Client]:
    return list(session.scalars(select(Open311Client).order_by(Open311Client.id)))


def do_revoke_client(client_id: int, now: datetime, *, session: Session) -> Open311Client | None:
    """Stop a client's key at once: its next POST is refused (403). Its tickets stay."""
    client = session.get(Open311Client, client_id)
    if client is not None and client.revoked_at is None:
        client.revoked_at = now
        record_account_event(ISSUER, f"open311:{client.id}", "open311_key_revoked",
                             department_code=ISSUER_DEPARTMENT, now=now, session=session, detail=client.name)
    return client


def clients_among(resident_ids: Iterable[int], *, session: Session) -> set[int]:
    """Which of these reporter rows stand for Open311 clients (no WeChat to tell)."""
    wanted = list(resident_ids)
    if not wanted:
        return set()
    return set(session.scalars(select(Open311Client.resident_id).where(Open311Client.resident_id.in_(wanted))))
