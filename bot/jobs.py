"""The job queue: huey on SQLite by default, on Redis when configured; slow work runs here, not in replies."""
from __future__ import annotations

import logging
from pathlib import Path

from huey import MemoryHuey, RedisHuey, SqliteHuey

from bot import notify
from bot.db import make_engine, make_sessionmaker, transaction

log = logging.getLogger(__name__)


def make_huey(settings: dict):
    queue = settings["queue"]
    if queue["backend"] == "redis":
        return RedisHuey("civicbot", url=queue["redis_url"])
    if queue["backend"] == "immediate":
        return MemoryHuey("civicbot", immediate=True)
    Path(queue["path"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("civicbot", filename=queue["path"])


class JobQueue:
    """Named jobs on one huey instance; the web workers enqueue, `civicbot worker` runs them."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.huey = make_huey(settings)
        self._sessions = None
        self._tasks = {
            "ticket_opened": self.huey.task(name="ticket_opened", retries=3, retry_delay=10)(self._ticket_opened),
            "push_to_department": self.huey.task(name="push_to_department", retries=8, retry_delay=30)(
                notify.push_to_department),
        }

    def enqueue(self, name: str, *args) -> None:
        self._tasks[name](*args)

    def sessions(self):
        if self._sessions is None:
            self._sessions = make_sessionmaker(make_engine(self.settings))
        return self._sessions

    def _ticket_opened(self, ticket_id: int) -> None:
        with transaction(self.sessions()) as session:
            pushes = notify.department_pushes(ticket_id, session=session)
        for url, payload in pushes:
            self.enqueue("push_to_department", url, payload)

    def run_worker(self, workers: int) -> None:
        """Consume jobs until interrupted (SIGINT/SIGTERM), as the embedded or a separate worker."""
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
        consumer.run()
