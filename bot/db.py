"""Create the database engine and sessions; apply Alembic migrations."""
from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"


def make_engine(settings: dict) -> Engine:
    """Build the engine for database.url; SQLite gets WAL, a busy timeout and write-first transactions."""
    url = settings["database"]["url"]
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": settings["database"]["busy_timeout_ms"] / 1000})
        _make_sqlite_serialisable(engine, settings["database"]["busy_timeout_ms"])
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _make_sqlite_serialisable(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own BEGIN is deferred: two writers can both read, then one
    # fails to upgrade its lock. BEGIN IMMEDIATE takes the write lock up front,
    # so concurrent deliveries queue on busy_timeout instead of failing.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session whose work commits at the end of the block, or rolls back on error."""
    with factory() as session, session.begin():
        yield session


def run_in_transaction(factory: sessionmaker[Session], work, *, attempts: int = 3, pause: float = 0.2):
    """Run work(session) in a transaction, retrying when the database is briefly locked or away."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(factory) as session:
                return work(session)
        except OperationalError:
            if attempt == attempts:
                raise
            time.sleep(pause * attempt)


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
