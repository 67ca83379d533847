"""State every web worker must agree on (portal sessions, login delays): short-lived JSON values by key, each with
its expiry, in the database (table shared_state) or in Redis; an update of one key is atomic across processes."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, Table, delete, select, update

from bot.config import ConfigError, Settings
from bot.infra.db import reading, upsert_insert
from models import SharedState

log = logging.getLogger(__name__)
Value = dict[str, Any]
# What an update does with a key's value (None: there is none): the new value and its expiry (None: remove it),
# and what to hand back to the caller.
Change = Callable[[Value | None], tuple[Value | None, datetime, Any]]
# SQLAlchemy types a mapped class's __table__ as any FromClause; a declarative class's is always a Table.
TABLE: Table = SharedState.__table__  # type: ignore[assignment]


class SharedStore(Protocol):
    def get(self, key: str, now: datetime) -> Value | None: ...

    def put(self, key: str, value: Value, expires_at: datetime, now: datetime) -> None: ...

    def delete(self, key: str) -> None: ...

    def update(self, key: str, change: Change, now: datetime) -> Any: ...

    def sweep(self, now: datetime) -> int: ...


class DatabaseStore:
    """The default: rows of shared_state, updated under the row's lock (SQLite: the write lock) so that workers
    counting at the same moment take turns; expired rows are ignored, and removed by the job worker's sweep."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, key: str, now: datetime) -> Value | None:
        with reading(self.engine) as connection:
            row = connection.execute(select(TABLE.c.value, TABLE.c.expires_at).where(TABLE.c.key == key)).first()
        return json.loads(row.value) if row and row.value and row.expires_at > now else None

    def put(self, key: str, value: Value, expires_at: datetime, now: datetime) -> None:
        text = json.dumps(value, separators=(",", ":"))
        with self.engine.begin() as connection:
            insert = upsert_insert(connection.dialect.name, TABLE)
            connection.execute(insert.values(key=key, value=text, expires_at=expires_at).on_conflict_do_update(
                index_elements=[TABLE.c.key], set_={"value": text, "expires_at": expires_at}))

    def delete(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(TABLE).where(TABLE.c.key == key))

    def update(self, key: str, change: Change, now: datetime) -> Any:
        with self.engine.begin() as connection:
            # An empty row first, so that there is a row to lock even for a key seen the first time.
            connection.execute(upsert_insert(connection.dialect.name, TABLE)
                               .values(key=key, value="", expires_at=now).on_conflict_do_nothing())
            row = connection.execute(select(TABLE.c.value, TABLE.c.expires_at).where(TABLE.c.key == key)
                                     .with_for_update()).one()
            old = json.loads(row.value) if row.value and row.expires_at > now else None
            new, expires_at, result = change(old)
            if new is None:
                connection.execute(delete(TABLE).where(TABLE.c.key == key))
            else:
                connection.execute(update(TABLE).where(TABLE.c.key == key).values(
                    value=json.dumps(new, separators=(",", ":")), expires_at=expires_at))
        return result

    def sweep(self, now: datetime) -> int:
        with self.engine.begin() as connection:
            return connection.execute(delete(TABLE).where(TABLE.c.expires_at <= now)).rowcount


class RedisStore:
    """In Redis (portal.session_store = "redis"): keys expire by themselves; an update watches its key and
    retries when another worker changed it meanwhile."""

    PREFIX = "civicbot:state:"

    def __init__(self, url: str):
        from redis import Redis  # the optional `redis` extra; only needed when configured

        self.client = Redis.from_url(url)

    def get(self, key: str, now: datetime) -> Value | None:
        found = self.client.get(self.PREFIX + key)
        return json.loads(found) if found else None

    def put(self, key: str, value: Value, expires_at: datetime, now: datetime) -> None:
        self.client.set(self.PREFIX + key, json.dumps(value, separators=(",", ":")), px=_milliseconds(expires_at, now))

    def delete(self, key: str) -> None:
        self.client.delete(self.PREFIX + key)

    def update(self, key: str, change: Change, now: datetime) -> Any:
        name = self.PREFIX + key
        outcome: list[Any] = []

        def attempt(pipe) -> None:
            found = pipe.get(name)
            new, expires_at, result = change(json.loads(found) if found else None)
            pipe.multi()
            if new is None:
                pipe.delete(name)
            else:
                pipe.set(name, json.dumps(new, separators=(",", ":")), px=_milliseconds(expires_at, now))
            outcome[:] = [result]

        self.client.transaction(attempt, name)
        return outcome[0]

    def sweep(self, now: datetime) -> int:
        return 0   # Redis expires keys itself


def _milliseconds(expires_at: datetime, now: datetime) -> int:
    return max(1, int((expires_at - now) / timedelta(milliseconds=1)))


def make_shared_store(settings: Settings, engine: Engine) -> SharedStore:
    """The store portal.session_store names: the database by default, or Redis."""
    portal = settings.portal
    if portal.session_store == "redis":
        url = portal.redis_url or settings.queue.redis_url
        if not url:
            raise ConfigError("portal.session_store = \"redis\" needs portal.redis_url (or queue.redis_url)")
        return RedisStore(url)
    return DatabaseStore(engine)
