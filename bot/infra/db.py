"""Create the database engine and sessions; apply Alembic migrations."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import models
from bot.config import Settings

MIGRATIONS = Path(models.__file__).resolve().parent / "migrations"
JOBS, AFTER_COMMIT, QUEUED = "civicbot.jobs", "civicbot.after_commit", "civicbot.queued"
UNDO = "civicbot.undo_on_rollback"
READ_ONLY = "civicbot_read_only"
log = logging.getLogger(__name__)


def make_engine(settings: Settings) -> Engine:
    """Build the engine for database.url; SQLite gets WAL, a busy timeout and queued write transactions."""
    url = settings.database.url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        timeout = settings.database.busy_timeout_ms / 1000
        connect_args: dict = {"timeout": timeout}
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            connect_args["factory"] = _queued_connection(f"{path}-writer.lock", timeout)
        engine = create_engine(url, connect_args=connect_args)
        _make_sqlite_serialisable(engine, settings.database.busy_timeout_ms)
        return engine
    # PostgreSQL's lock_timeout stands for SQLite's busy timeout: a statement that waits longer for a lock fails
    # (OperationalError, retried, then 503 to WeChat) rather than hanging the reply.
    lock_timeout = {"options": f"-c lock_timeout={int(settings.database.busy_timeout_ms)}"}
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
        if connection.get_execution_options().get(READ_ONLY):
            return  # no BEGIN: each read stands alone, takes no lock and waits for no writer (WAL)
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
            self._lock_file = open(self.lock_path, "a")  # noqa: SIM115  (held open across turns; close() closes it)
        deadline = time.monotonic() + self.timeout
        pause = self.poll_seconds / 4
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError as exc:
                if time.monotonic() > deadline:
                    raise OperationalError("BEGIN IMMEDIATE", None,
                                           sqlite3.OperationalError("database is locked (writer lock)")) from exc
                time.sleep(pause)
                pause = min(pause * 2, self.poll_seconds)

    def end_turn(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)


def _queued_connection(lock_path: str, timeout: float) -> type[_QueuedConnection]:
    return type("QueuedConnection", (_QueuedConnection,), {"lock_path": lock_path, "timeout": timeout})


def upsert_insert(dialect_name: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can take ON CONFLICT clauses, in the dialect the engine speaks (PostgreSQL or SQLite)."""
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)


class Jobs(Protocol):
    """Whatever runs named jobs: the job queue (bot/tasks.py)."""

    def enqueue(self, name: str, *args: Any) -> None: ...


def make_sessionmaker(engine: Engine, jobs: Jobs | None = None) -> sessionmaker[Session]:
    """Sessions on this engine; with jobs, what they enqueue with enqueue_after_commit runs there."""
    return sessionmaker(engine, expire_on_commit=False, info={JOBS: jobs} if jobs is not None else {})


def after_commit(session: Session, effect: Callable[[], None]) -> None:
    """Run effect once the session's transaction has committed; forget it if the transaction rolls back.

    Side effects (jobs, pushes) must never announce what a rollback then takes back, nor be lost by
    whoever forgets to kick them: this is the one way they are deferred.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(effect)


def enqueue_after_commit(session: Session, job: str, *args: Any) -> None:
    """Queue the named job once the session commits (at most once per transaction for the same arguments)."""
    jobs: Jobs | None = session.info.get(JOBS)
    if jobs is None:  # a command-line session: the worker's periodic sweeps pick the work up
        log.debug("no job queue for %s%s; left to the periodic sweeps", job, args)
        return
    queued = session.info.setdefault(QUEUED, set())
    if (job, args) in queued:
        return
    queued.add((job, args))
    after_commit(session, lambda: jobs.enqueue(job, *args))


def run_after_commit(effects: list[Callable[[], None]]) -> None:
    """Run deferred effects; one that fails is logged and does not stop the others (the data is committed)."""
    for effect in effects:
        try:
            effect()
        except Exception:
            log.exception("an after-commit effect failed")


def undo_on_rollback(session: Session, undo: Callable[[], None]) -> None:
    """Run undo if the session's transaction rolls back; forget it once the transaction commits.

    For what a transaction does outside the database (a photo's files written to the media storage): a step refused,
    a lost race or a failed commit then leaves nothing behind. A process killed in between can still leave files,
    which the media sweep (bot/photos/sweep.py) removes."""
    session.info.setdefault(UNDO, []).append(undo)


def take_after_commit(session: Session) -> list[Callable[[], None]]:
    """Remove and return the effects deferred in this session, for a caller that commits the connection itself."""
    session.info.pop(QUEUED, None)
    session.info.pop(UNDO, None)
    return session.info.pop(AFTER_COMMIT, [])


# Both hooks act on the outermost transaction only: SQLAlchemy fires them for a savepoint too, and a savepoint
# released (or rolled back) says nothing yet about whether the whole unit of work commits.
@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    run_after_commit(take_after_commit(session))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return
    undo = session.info.pop(UNDO, [])
    take_after_commit(session)
    for step in reversed(undo):
        try:
            step()
        except Exception:
            log.exception("undoing the work of a rolled-back transaction failed")


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


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: on SQLite it does not queue for the write lock, so it waits for no writer."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        yield connection


@contextlib.contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A session that reads the database as of one moment and holds no write lock: for long reads (the audit
    trail's verification) while the bot goes on writing."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name != "sqlite":
        options["isolation_level"] = "REPEATABLE READ"   # one snapshot for the whole transaction
    with engine.connect().execution_options(**options) as connection:
        if engine.dialect.name == "sqlite":
            # A deferred BEGIN: in WAL mode the first read fixes the snapshot, and writers are not held up.
            connection.exec_driver_sql("BEGIN")
        with Session(bind=connection) as session:
            yield session
        connection.rollback()


def alembic_config(settings: Settings):
    # Alembic is imported only to migrate: the web workers and the job worker start without it.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", settings.database.url.replace("%", "%%"))
    config.attributes["civicbot_settings"] = settings
    return config


def migrate(settings: Settings, revision: str = "head") -> None:
    """Bring the database schema up to the given Alembic revision."""
    from alembic import command  # see alembic_config

    command.upgrade(alembic_config(settings), revision)
