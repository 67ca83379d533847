"""Create the database engine and sessions; apply Alembic migrations."""
from __future__ import annotations

import contextlib
import fcntl
import functools
import sqlite3
import time
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, Executable, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

import models

MIGRATIONS = Path(models.__file__).resolve().parent / "migrations"


def make_engine(settings: dict) -> Engine:
    """Build the engine for database.url; SQLite gets WAL, a busy timeout and queued write transactions."""
    url = settings["database"]["url"]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        timeout = settings["database"]["busy_timeout_ms"] / 1000
        connect_args: dict = {"timeout": timeout}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = _queued_connection(f"{path}-writer.lock", timeout)
        engine = create_engine(url, connect_args=connect_args)
        _make_sqlite_serialisable(engine, settings["database"]["busy_timeout_ms"])
        return engine
    # PostgreSQL's lock_timeout stands for SQLite's busy timeout: a statement that waits longer for a lock fails
    # (OperationalError, retried, then 503 to WeChat) rather than hanging the reply.
    lock_timeout = {"options": f"-c lock_timeout={int(settings['database']['busy_timeout_ms'])}"}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                         connect_args=lock_timeout if url.startswith("postgresql") else {})


def _make_sqlite_serialisable(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own BEGIN is deferred: two writers can both read, then one
    # fails to upgrade its lock. BEGIN IMMEDIATE takes the write lock up front,
    # so concurrent deliveries queue instead of failing.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        raw = connection.connection.dbapi_connection
        queued = isinstance(raw, _QueuedConnection)
        if queued:
            raw.take_turn()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued:
                raw.end_turn()
            raise


class _QueuedConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions wait their turn on a file lock.

    SQLite's own busy handler polls with sleeps growing to 100 ms, so under
    load a waiting writer oversleeps while the lock sits free. Waiting on a
    file lock next to the database wakes the next writer as soon as the last
    one commits, in every process. Other writers (sqlite3 shell, another
    program) are still excluded by SQLite's lock and the busy timeout.
    """

    lock_path: str = ""
    timeout: float = 10.0
    # A waiting writer looks again every 0.2 ms at most: a write transaction lasts a few milliseconds, and
    # longer pauses (up to 2 ms before) left the lock idle while writers slept; each look costs a few µs.
    poll_seconds: float = 0.0002
    _lock_file = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.end_turn()

    def close(self) -> None:
        self.end_turn()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        super().close()

    def take_turn(self) -> None:
        if self._lock_file is None:
            self._lock_file = open(self.lock_path, "a")
        deadline = time.monotonic() + self.timeout
        pause = self.poll_seconds / 4
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None,
                                           sqlite3.OperationalError("database is locked (writer lock)"))
                time.sleep(pause)
                pause = min(pause * 2, self.poll_seconds)

    def end_turn(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)


def _queued_connection(lock_path: str, timeout: float) -> type[_QueuedConnection]:
    return type("QueuedConnection", (_QueuedConnection,), {"lock_path": lock_path, "timeout": timeout})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session whose work commits at the end of the block, or rolls back on error."""
    with factory() as session, session.begin():
        yield session


def run_on_connection(engine: Engine, work, *, attempts: int = 3, pause: float = 0.2):
    """Run work(connection) in a transaction, retrying when the database is briefly locked or away.

    A bare connection rather than an ORM session: the webhook's hot path is the only caller, and a
    session costs more than the claim it would wrap (the work opens one on the connection if it needs it)."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as connection:
                return work(connection)
        except OperationalError:
            if attempt == attempts:
                raise
            time.sleep(pause * attempt)


def read_row(engine: Engine, statement: Executable, values: dict) -> tuple | None:
    """The first row of a plain SELECT, run straight on a pooled DBAPI connection, outside any transaction.

    For the webhook's replay read, which answers most of a burst: SQLAlchemy's execution machinery cost
    four times the read itself (52 against 12 µs on SQLite). Outside a transaction the read waits for no
    writer (SQLite's WAL). The statement is compiled once per dialect, and rows come back as the driver
    gives them, untyped: select plain text and number columns only. Errors are raised as SQLAlchemy's.
    """
    sql, names, literals = _compiled(statement, engine.dialect)
    values = {**literals, **values}
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql, values if names is None else tuple(values[name] for name in names))
            return cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, values, exc, engine.dialect.loaded_dbapi.Error,
                                  dialect=engine.dialect) from exc
    finally:
        connection.close()  # back to the pool, which rolls back what PostgreSQL's driver began


@functools.lru_cache(maxsize=64)
def _compiled(statement: Executable, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict]:
    """The SQL, the order of its parameters when the driver takes them by position, and the literals' values."""
    compiled = statement.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup) if compiled.positional else None, compiled.params


def alembic_config(settings: dict):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings["database"]["url"].replace("%", "%%"))
    config.attributes["civicbot_settings"] = settings
    return config


def migrate(settings: dict, revision: str = "head") -> None:
    """Bring the database schema up to the given Alembic revision."""
    from alembic import command

    command.upgrade(alembic_config(settings), revision)
