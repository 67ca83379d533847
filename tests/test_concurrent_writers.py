"""Two writers on the same rows at once (clerks, job workers, a resident and a job): each change happens once."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.app import create_app
from bot.cases.deadlines import do_check_deadlines
from bot.cases.workflow import Actor, TransitionRefused, do_transition
from bot.infra.db import transaction
from models import Draft, DraftStatus, Photo, Ticket, TicketEvent, utcnow
from models import Resident as ResidentRow
from tests import images
from tests.conftest import HUATA_VILLAGE, Resident, job_queue, make_settings
from tests.support import fake_api, report, send_photo, ticket_number

# The second writer starts while the first one's transaction is still open, and is given this long to reach
# the point where it waits (or, without a lock, to read what is about to change).
OVERLAP_SECONDS = 1.0


def while_open(sessions, first, second) -> dict:
    """Run first(session) in a transaction held open while second() starts in a thread; then commit first.

    Returns what the second writer got: {"result": …} or {"error": …}."""
    outcome: dict = {}

    def run_second() -> None:
        try:
            outcome["result"] = second()
        except Exception as exc:  # the test asserts on what the second writer met
            outcome["error"] = exc

    with sessions() as session, session.begin():
        first(session)
        session.flush()
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(OVERLAP_SECONDS)
    thread.join(30)
    assert not thread.is_alive()
    return outcome


def a_dispatched_ticket(resident) -> str:
    return ticket_number(report(resident))


def test_two_clerks_accepting_one_ticket_at_once_accept_it_once(sessions, resident):
    number = a_dispatched_ticket(resident)
    chen = Actor("staff:chen", "urban_mgmt", "department", "staff", None)
    wang = Actor("staff:wang", "urban_mgmt", "department", "staff", None)

    def accept(actor: Actor, session) -> None:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        do_transition(ticket, actor, "accept", now=utcnow(), session=session)

    def second_clerk():
        with transaction(sessions) as session:
            accept(wang, session)

    outcome = while_open(sessions, lambda session: accept(chen, session), second_clerk)
    assert isinstance(outcome.get("error"), TransitionRefused)     # checked against the first clerk's result
    with sessions() as session:
        accepts = session.scalars(select(TicketEvent.actor).where(TicketEvent.action == "accept")).all()
        assert accepts == ["staff:chen"]


def test_two_workers_checking_deadlines_at_once_escalate_each_ticket_once(sessions, resident):
    number = a_dispatched_ticket(resident)
    with transaction(sessions) as session:
        session.execute(update(Ticket).where(Ticket.number == number).values(deadline_at=utcnow() - timedelta(hours=1)))

    def check(session):
        return do_check_deadlines(utcnow(), timedelta(hours=4), session=session)

    def second_worker():
        with transaction(sessions) as session:
            return check(session)

    outcome = while_open(sessions, check, second_worker)
    assert outcome == {"result": (0, 0)}
    with sessions() as session:
        escalations = session.scalar(select(func.count()).select_from(TicketEvent).where(
            TicketEvent.action == "flag", TicketEvent.reason.contains("升级")))
        assert escalations == 1


def test_a_location_shared_while_the_photo_job_runs_is_kept(tmp_path, database, fake_wechat):
    """The photo's GPS places a draft only when no location was shared, even when both arrive at once."""
    app = create_app(make_settings(tmp_path, database, queue=job_queue(tmp_path), wechat=fake_api(fake_wechat)))
    sessions, queue = app.extensions["civicbot"].sessions, app.extensions["civicbot"].jobs
    fake_wechat.add_media("m-gps", images.jpeg(latitude=37.70305, longitude=112.43402))
    resident = Resident(app, "o-both-at-once")
    resident.says("路边垃圾堆了好几天没人清理")
    send_photo(resident, "m-gps")
    with sessions() as session:
        photo_id = session.scalar(select(Photo.id))

    def share_location(session) -> None:
        # What the webhook does with a location message: the resident's row lock, then the draft.
        session.scalar(select(ResidentRow).where(ResidentRow.openid == "o-both-at-once").with_for_update())
        draft = session.scalar(select(Draft).where(Draft.status == DraftStatus.OPEN))
        draft.latitude, draft.longitude = HUATA_VILLAGE
        draft.location_source, draft.town_code = "shared", "jinci"

    outcome = while_open(sessions, share_location, lambda: queue.run_now("fetch_photo", photo_id))
    assert outcome == {"result": "stored"}
    with sessions() as session:
        draft = session.scalar(select(Draft))
        assert draft.location_source == "shared" and (draft.latitude, draft.longitude) == HUATA_VILLAGE


def test_a_message_that_waits_for_the_residents_lock_sees_the_draft_started_meanwhile(sessions, resident):
    """Two quick messages from one resident in two workers build one draft: the second one waits for the
    resident's lock, then reads the draft the first one started (on PostgreSQL a read joined to the lock
    would see the draft as it was before the wait)."""
    resident.says("你好")  # the resident is known; small talk opens no draft

    def first_message(session) -> None:
        # What the webhook does with the first of the two: the resident's row lock, then a new draft.
        row = session.scalar(select(ResidentRow).where(ResidentRow.openid == resident.openid).with_for_update())
        session.add(Draft(resident_id=row.id, description="晋祠镇花塔村路口有人摆摊", created_at=utcnow(),
                          updated_at=utcnow()))

    outcome = while_open(sessions, first_message, lambda: resident.says("占了半条路，车都过不去"))
    assert "出了点问题" not in outcome["result"] and "摆摊" in outcome["result"]
    with sessions() as session:
        [draft] = session.scalars(select(Draft)).all()
        assert "摆摊" in draft.description and "占了半条路" in draft.description
