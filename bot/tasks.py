"""The job queue: huey on SQLite by default, on Redis when configured; slow work runs here, not in replies."""
from __future__ import annotations

import logging
from pathlib import Path

import requests
from datetime import timedelta

from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage
from huey.exceptions import RetryTask
from wechatpy.exceptions import WeChatClientException

from bot.notify import departments
from bot.infra.db import make_engine, make_sessionmaker, transaction
from bot.photos.fetch import TryAgain, fetch_photo

log = logging.getLogger(__name__)

TELL_ATTEMPTS = 6
TELL_RETRY_SECONDS = 15
# WeChat refuses customer-service messages outside the 48 h window (45015) or over the quota (45047):
# retrying cannot help; the notification outbox (a later step) falls back to templates.
REFUSED_FOR_GOOD = {45015, 45047}


def make_huey(settings: dict):
    queue = settings["queue"]
    if queue["backend"] == "redis":
        return RedisHuey("civicbot", url=queue["redis_url"])
    if queue["backend"] == "immediate":
        return MemoryHuey("civicbot", immediate=True)
    Path(queue["path"]).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("civicbot", filename=queue["path"], storage_class=_QueueFile)


class _QueueFile(SqliteStorage):
    """huey's SQLite storage, as durable as the database itself: WAL with synchronous=NORMAL.

    huey keeps SQLite's default, FULL: an fsync on every enqueue and every dequeue, about a quarter of
    a millisecond of CPU each on a virtual machine, and the webhook enqueues for each photo and ticket.
    With NORMAL a killed process still loses no task; a power cut may lose the last moments of both
    files alike, and the periodic sweeps send notices and fetch photos again.
    """

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


class JobQueue:
    """Named jobs on one huey instance; the web workers enqueue, `civicbot worker` runs them."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.huey = make_huey(settings)
        self._sessions = None
        self._api = None
        self._knowledge = None
        task = self.huey.task
        self._tasks = {
            "ticket_opened": task(name="ticket_opened", retries=3, retry_delay=10)(self._ticket_opened),
            "push_to_department": task(name="push_to_department", retries=8, retry_delay=30)(
                departments.push_to_department),
            "fetch_photo": task(name="fetch_photo")(self._fetch_photo),
            "tell_resident": task(name="tell_resident")(self._tell_resident),
            "deliver_notifications": task(name="deliver_notifications")(self.deliver_notifications),
        }
        self.huey.periodic_task(crontab(minute="*"), name="sweep_notifications")(self.deliver_notifications)
        self.huey.periodic_task(crontab(minute="*"), name="sweep_photos")(self.sweep_photos)
        minutes = settings["deadlines"]["check_minutes"]
        self.huey.periodic_task(crontab(minute=f"*/{minutes}"), name="check_deadlines")(self.check_deadlines)

    def enqueue(self, name: str, *args) -> None:
        self._tasks[name](*args)

    def run_now(self, name: str, *args):
        """Run a job in this process, as the worker would (used by tests and the benchmark)."""
        return self._tasks[name].call_local(*args)

    def sessions(self):
        if self._sessions is None:
            self._sessions = make_sessionmaker(make_engine(self.settings))
        return self._sessions

    def api(self):
        if self._api is None:
            from bot.wechat.api_client import make_api
            self._api = make_api(self.settings, self.sessions())
        return self._api

    def places(self):
        if self._knowledge is None:
            from bot.catalogue.snapshot import load_knowledge
            with transaction(self.sessions()) as session:
                self._knowledge = load_knowledge(None, session=session)
        return self._knowledge.places

    def _ticket_opened(self, ticket_id: int) -> None:
        with transaction(self.sessions()) as session:
            pushes = departments.department_pushes(ticket_id, session=session)
        for url, payload in pushes:
            self.enqueue("push_to_department", url, payload)

    def check_deadlines(self) -> tuple[int, int]:
        """Flag tickets due soon and escalate overdue ones to HQ (runs every few minutes)."""
        from bot.cases.deadlines import do_check_deadlines
        from models import utcnow
        from bot.cases.deadlines import do_close_unanswered
        with transaction(self.sessions()) as session:
            flagged = do_check_deadlines(utcnow(), timedelta(hours=self.settings["deadlines"]["warn_hours"]),
                                         session=session)
            closed = do_close_unanswered(utcnow(), timedelta(hours=self.settings["feedback"]["answer_hours"]),
                                         session=session)
        if closed:
            self.enqueue("deliver_notifications")
        return flagged

    def deliver_notifications(self) -> dict:
        """Send residents' due notices (after each change, and every minute for retries)."""
        from bot.notify.residents import deliver_due
        from bot.photos.storage import make_storage
        return deliver_due(self.api(), make_storage(self.settings), self.sessions(), self.settings)

    def sweep_photos(self) -> int:
        """Queue again the photos whose job vanished (a worker killed mid-job loses the task it held).

        A photo still "recorded" well after its last attempt's pause is fetched again; the job is
        idempotent, so a photo queued twice is still stored once."""
        from datetime import timedelta as span

        from sqlalchemy import select

        from models import Photo, utcnow
        media = self.settings["media"]
        now = utcnow()
        with transaction(self.sessions()) as session:
            stuck = [photo.id for photo in session.scalars(select(Photo).where(Photo.status == "recorded"))
                     if now - photo.created_at > span(seconds=120 + media["retry_base_seconds"] * 2 ** photo.attempts)]
        for photo_id in stuck:
            self.enqueue("fetch_photo", photo_id)
        return len(stuck)

    def _fetch_photo(self, photo_id: int) -> str:
        from bot.photos.storage import make_storage
        try:
            outcome = fetch_photo(photo_id, api=self.api(), storage=make_storage(self.settings),
                                  sessions=self.sessions(), settings=self.settings, places=self.places)
        except TryAgain as exc:
            log.info("photo %s: %s; trying again in %.0f s", photo_id, exc, exc.delay)
            raise RetryTask(delay=exc.delay) from exc
        if outcome.tell_resident:
            self.enqueue("tell_resident", outcome.openid, outcome.tell_resident)
        return outcome.status

    def _tell_resident(self, openid: str, text: str, attempt: int = 1) -> None:
        """Send a customer-service text; passing failures are retried with growing pauses."""
        try:
            self.api().message.send_text(openid, text)
            return
        except WeChatClientException as exc:
            if exc.errcode in REFUSED_FOR_GOOD:
                log.warning("WeChat refused a message to %s for good (%s)", openid, exc.errcode)
                return
            why = f"WeChat error {exc.errcode}"
        except requests.RequestException as exc:
            why = type(exc).__name__
        if attempt >= TELL_ATTEMPTS:
            log.error("gave up telling %s after %d attempts: %s", openid, attempt, why)
            return
        self._tasks["tell_resident"].schedule(args=(openid, text, attempt + 1),
                                              delay=TELL_RETRY_SECONDS * 2 ** (attempt - 1))

    def run_worker(self, workers: int) -> None:
        """Consume jobs until interrupted (SIGINT/SIGTERM), as the embedded or a separate worker."""
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
        consumer.run()
