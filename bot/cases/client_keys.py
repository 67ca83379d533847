"""Secrets given to other programs (the departments' API tokens, Open311 keys): kept only as SHA-256 digests, found
while not revoked, their last use written back at most once a minute."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

# A client polling every second writes its last use once a minute, not every second.
TOUCH = timedelta(seconds=60)
Row = TypeVar("Row")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def live_row(model: type[Row], digest_column: InstrumentedAttribute[str], secret: str, now: datetime, *,
             session: Session) -> Row | None:
    """The row whose digest matches the secret, its use noted; None when unknown or revoked."""
    row = session.scalar(select(model).where(digest_column == digest(secret)))
    stamped: Any = row   # both kinds of row have revoked_at and last_used_at
    if stamped is None or stamped.revoked_at is not None:
        return None
    if stamped.last_used_at is None or now - stamped.last_used_at >= TOUCH:
        stamped.last_used_at = now
    return row
