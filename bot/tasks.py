"""The job queue: huey on SQLite by default, on Redis when configured; slow work runs here, not in replies."""
from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import requests
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask
from huey.storage import SqliteStorage
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from wechatpy.exceptions import WeChatClientException

from bot.cases.additions import TICKET_ADDITION
from bot.cases.audit import do_anchor_once_a_day
from bot.cases.deadlines import do_check_deadlines, do_close_unanswered
from bot.cases.notices import DELIVER
from bot.cases.publication import PUBLIC_COPIES
from bot.cases.staff_notices import DELIVER_STAFF
from bot.cases.tickets import TICKET_OPENED
from bot.catalogue.snapshot import CatalogueSnapshot, load_snapshot
from bot.config import Settings
from bot.infra.db import make_engine, make_sessionmaker, transaction
from bot.infra.shared_state import make_shared_store
from bot.notify import departments
from bot.notify.residents import deliver_due
from bot.notify.staff import deliver_staff_due
from bot.notify.wecom import WeComApi, make_wecom
from bot.photos.after_photo import RESOLVE_BY_CHAT, resolve_with_photo
from bot.photos.fetch import FETCH_PHOTO, PhotoOutcome, TryAgain, fetch_photo
from bot.photos.public_copies import make_missing_public_copies, make_public_copies
from bot.photos.storage import MediaStorage, make_storage
from bot.photos.sweep import SweepReport, sweep_media
from bot.understanding.places import PlaceResolver
from bot.wechat.api_client import WeChatApi, make_api
from models import Photo, PhotoStatus, utcnow

log = logging.getLogger(__name__)

TELL_ATTEMPTS = 6
TELL_RETRY_SECONDS = 15
# WeChat refuses customer-service messages outside the 48 h window (45015) or over the quota (45047):
# retrying cannot help (the notices' outbox has its own fallbacks; these are passing photo messages).
REFUSED_FOR_GOOD = {45015, 45047}
PUBLIC_SWEEP_DAYS = 7   # a lost public-copy job is one of the last days'; older cases: `civicbot public copies`
PUSH_TO_DEPARTMENT, TELL_RESIDENT = "push_to_department", "tell_resident"


def make_huey(settings: Settings):
    queue = settings.queue
    if queue.backend == "redis":
        return RedisHuey("civicbot", url=queue.redis_url)
    if queue.backend == "immediate":
        return MemoryHuey("civicbot", immediate=True)
    Path(queue.path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("civicbot", filename=str(queue.path), storage_class=_QueueFile)


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
    """Named jobs on one huey instance; the web workers enqueue (after commit), `civicbot worker` runs them.

    The worker builds its own engine, sessions and API client on first use: it runs in a process of its own.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.huey = make_huey(settings)
        self._sessions: sessionmaker[Session] | None = None
        self._api: WeChatApi | None = None
        self._wecom: WeComApi | None = None
        self._catalogue: CatalogueSnapshot | None = None
        task = self.huey.task
        self._tasks = {
            TICKET_OPENED: task(name=TICKET_OPENED, retries=3, retry_delay=10)(self._ticket_opened),
            TICKET_ADDITION: task(name=TICKET_ADDITION, retries=3, retry_delay=10)(self._ticket_addition),
            PUSH_TO_DEPARTMENT: task(name=PUSH_TO_DEPARTMENT, retries=8, retry_delay=30)(
                departments.push_to_department),
            FETCH_PHOTO: task(name=FETCH_PHOTO)(self._fetch_photo),
            TELL_RESIDENT: task(name=TELL_RESIDENT)(self._tell_resident),
            DELIVER: task(name=DELIVER)(self.deliver_notifications),
            DELIVER_STAFF: task(name=DELIVER_STAFF)(self.deliver_staff_notices),
            RESOLVE_BY_CHAT: task(name=RESOLVE_BY_CHAT)(self._resolve_by_chat),
            PUBLIC_COPIES: task(name=PUBLIC_COPIES, retries=2, retry_delay=60)(self.public_copies),
        }
        self.huey.periodic_task(crontab(minute="*"), name="sweep_notifications")(self.deliver_notifications)
        self.huey.periodic_task(crontab(minute="*"), name="sweep_staff_notices")(self.deliver_staff_notices)
        self.huey.periodic_task(crontab(minute="*"), name="sweep_photos")(self.sweep_photos)
        self.huey.periodic_task(crontab(minute="*/10"), name="sweep_shared_state")(self.sweep_shared_state)
        # huey's crontab is in UTC: 19:40 is 03:40 in 晋源区, when nobody uploads.
        self.huey.periodic_task(crontab(minute="40", hour="19"), name="sweep_media")(self.sweep_media)
        self.huey.periodic_task(crontab(minute="10", hour="19"), name="sweep_public_copies")(
            self.sweep_public_copies)
        # Hourly, so that a worker that was down at midnight still anchors the day when it comes back.
        self.huey.periodic_task(crontab(minute="7"), name="anchor_audit_trail")(self.anchor_audit_trail)
        minutes = settings.deadlines.check_minutes
        self.huey.periodic_task(crontab(minute=f"*/{minutes}"), name="check_deadlines")(self.check_deadlines)

    def enqueue(self, name: str, *args) -> None:
        self._tasks[name](*args)

    def run_now(self, name: str, *args):
        """Run a job in this process, as the worker would (used by tests and the benchmark)."""
        return self._tasks[name].call_local(*args)

    def sessions(self) -> sessionmaker[Session]:
        if self._sessions is None:
            self._sessions = make_sessionmaker(make_engine(self.settings), self)
        return self._sessions

    def api(self) -> WeChatApi:
        if self._api is None:
            self._api = make_api(self.settings, self.sessions())
        return self._api

    def wecom(self) -> WeComApi | None:
        if self._wecom is None:
            self._wecom = make_wecom(self.settings.wecom)
        return self._wecom

    def storage(self) -> MediaStorage:
        return make_storage(self.settings)

    def catalogue(self) -> CatalogueSnapshot:
        if self._catalogue is None:
            with transaction(self.sessions()) as session:
                self._catalogue = load_snapshot(None, session=session)  # places only: no classifier to load
        return self._catalogue

    def places(self) -> PlaceResolver:
        return self.catalogue().places

    def _ticket_opened(self, ticket_id: int) -> None:
        with transaction(self.sessions()) as session:
            pushes = departments.department_pushes(ticket_id, session=session)
        for url, payload in pushes:
            self.enqueue(PUSH_TO_DEPARTMENT, url, payload)

    def _ticket_addition(self, ticket_id: int, event_id: int) -> None:
        with transaction(self.sessions()) as session:
            pushes = departments.addition_pushes(ticket_id, event_id, session=session)
        for url, payload in pushes:
            self.enqueue(PUSH_TO_DEPARTMENT, url, payload)

    def public_copies(self, ticket_id: int) -> int:
        """Blur the faces and plates in a handled ticket's before and after photos for the 办理公示 page."""
        return make_public_copies(ticket_id, self.storage(), self.settings.ocr, sessions=self.sessions())

    def sweep_public_copies(self) -> tuple[int, int]:
        """Make the public copies a lost job left missing, for the cases handled in the last PUBLIC_SWEEP_DAYS."""
        return make_missing_public_copies(PUBLIC_SWEEP_DAYS, self.storage(), self.settings.ocr,
                                          sessions=self.sessions(), now=utcnow())

    def check_deadlines(self) -> tuple[int, int]:
        """Flag tickets due soon, escalate overdue ones to HQ, close resolutions nobody rated in time."""
        catalogue = self.catalogue()   # loaded before the transaction: reopening a ticket reads its calendar
        with transaction(self.sessions()) as session:
            flagged = do_check_deadlines(utcnow(), timedelta(hours=self.settings.deadlines.warn_hours),
                                         session=session, catalogue=catalogue)
            do_close_unanswered(utcnow(), timedelta(hours=self.settings.feedback.answer_hours), session=session,
                                catalogue=catalogue)
        return flagged

    def anchor_audit_trail(self) -> bool:
        """Anchor every ticket's chain head, once per district day; False when the day is already anchored."""
        try:
            with transaction(self.sessions()) as session:
                anchor = do_anchor_once_a_day(now=utcnow(), session=session)
        except IntegrityError:   # another worker anchored at the same moment: its anchor stands
            return False
        if anchor is not None:
            log.info("audit anchor %s of %s: %d tickets, hash %s", anchor.id, anchor.day, anchor.tickets, anchor.hash)
        return anchor is not None

    def deliver_notifications(self) -> dict:
        """Send residents' due notices (after each change, and every minute for retries)."""
        return deliver_due(self.api(), self.storage(), self.sessions(), self.settings)

    def deliver_staff_notices(self) -> dict:
        """Send staff notices that are due (after each change, and every minute for retries)."""
        return deliver_staff_due(self.api(), self.wecom(), self.sessions(), self.settings)

    def sweep_photos(self) -> int:
        """Queue again the photos whose job vanished (a worker killed mid-job loses the task it held).

        A photo still "recorded" well after its last attempt's pause is fetched again; the job is
        idempotent, so a photo queued twice is still stored once."""
        media = self.settings.media
        now = utcnow()
        with transaction(self.sessions()) as session:
            # A staff member's after-photo sent by chat has its own job: it resolves the ticket once stored.
            stuck = [(photo.id, RESOLVE_BY_CHAT if photo.staff_id is not None else FETCH_PHOTO)
                     for photo in session.scalars(select(Photo).where(Photo.status == PhotoStatus.RECORDED))
                     if now - photo.created_at
                     > timedelta(seconds=120 + media.retry_base_seconds * 2 ** photo.attempts)]
        for photo_id, job in stuck:
            self.enqueue(job, photo_id)
        return len(stuck)

    def sweep_shared_state(self) -> int:
        """Remove ended portal sessions and forgotten login delays from the database (Redis expires its own)."""
        removed = make_shared_store(self.settings, self.sessions().kw["bind"]).sweep(utcnow())
        if removed:
            log.info("removed %d ended sessions and login delays", removed)
        return removed

    def sweep_media(self) -> SweepReport:
        """Remove media files no photo references, once older than media.orphan_grace_hours (logged)."""
        return sweep_media(self.storage(), self.sessions(), now=utcnow(),
                           grace=timedelta(hours=self.settings.media.orphan_grace_hours))

    def _fetch_photo(self, photo_id: int) -> str:
        try:
            outcome = fetch_photo(photo_id, api=self.api(), storage=self.storage(), sessions=self.sessions(),
                                  settings=self.settings, places=self.places)
        except TryAgain as exc:
            log.info("photo %s: %s; trying again in %.0f s", photo_id, exc, exc.delay)
            raise RetryTask(delay=exc.delay) from exc
        return self._told(outcome)

    def _resolve_by_chat(self, photo_id: int) -> str:
        """A staff member's after-photo: fetch and store it, then take the 办结 that waited for it."""
        try:
            outcome = resolve_with_photo(photo_id, api=self.api(), storage=self.storage(), sessions=self.sessions(),
                                         settings=self.settings, catalogue=self.catalogue)
        except TryAgain as exc:
            log.info("after-photo %s: %s; trying again in %.0f s", photo_id, exc, exc.delay)
            raise RetryTask(delay=exc.delay) from exc
        return self._told(outcome)

    def _told(self, outcome: PhotoOutcome) -> str:
        if outcome.tell_resident and outcome.openid:
            self.enqueue(TELL_RESIDENT, outcome.openid, outcome.tell_resident)
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
        self._tasks[TELL_RESIDENT].schedule(args=(openid, text, attempt + 1),
                                            delay=TELL_RETRY_SECONDS * 2 ** (attempt - 1))

    def run_worker(self, workers: int) -> None:
        """Consume jobs until interrupted (SIGINT/SIGTERM), as the embedded or a separate worker."""
        consumer = self.huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
        consumer.run()
