"""The tamper-evident audit trail: each ticket event sealed into its ticket's hash chain, daily anchors over every
chain's head, and `civicbot audit verify` catching an edited reason, a deleted event and a deleted last event."""
from __future__ import annotations

import pytest
from alembic.command import downgrade
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from bot.infra.db import alembic_config, migrate
from models import AuditAnchor, Photo, Ticket, TicketEvent
from tests import images
from tests.conftest import HUATA_VILLAGE, Resident
from tests.support import civicbot, config_file, report, ticket_number


@pytest.fixture
def worked_ticket(app, clerk) -> str:
    """A stall reported at 花塔村, accepted by 城管's chen and resolved with an after-photo: five events."""
    number = ticket_number(report(Resident(app, "o-audit"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
    chen = clerk("chen")
    chen.act(number, "accept")
    done = chen.act(number, "resolve", note="摊位已清理", photos=[("after.jpg", images.jpeg())])
    assert "已完成：处置完成" in done.get_data(as_text=True)
    return number


@pytest.fixture
def audit(tmp_path, settings):
    """`civicbot audit …` on this test's database."""
    config = config_file(tmp_path / "cli.toml", settings)
    return lambda *args: civicbot(config, "audit", *args)


def events_of(sessions, number: str) -> list[TicketEvent]:
    with sessions() as session:
        return list(session.scalars(select(TicketEvent).join(Ticket).where(Ticket.number == number)
                                    .order_by(TicketEvent.id)))


def raw_sql(settings, statement: str, **params) -> None:
    """What someone with the database's password could do, bypassing the application."""
    engine = create_engine(settings.database.url)
    with engine.begin() as connection:
        connection.execute(text(statement), params)
    engine.dispose()


def test_every_step_is_chained_to_the_one_before_and_verify_passes(worked_ticket, sessions, audit):
    events = events_of(sessions, worked_ticket)
    assert len(events) >= 4 and events[0].prev_hash == ""
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == len(events)
    checked = audit("verify")
    assert checked.exit_code == 0, checked.stderr
    assert f"checked 1 tickets, {len(events)} events" in checked.stdout and "every chain holds" in checked.stdout
    assert audit("verify", "--ticket", worked_ticket).exit_code == 0


def test_a_reason_rewritten_in_the_database_is_caught(worked_ticket, sessions, settings, audit):
    accepted = next(e for e in events_of(sessions, worked_ticket) if e.action == "accept")
    raw_sql(settings, "UPDATE ticket_events SET reason = :reason WHERE id = :id", reason="接单（按时）", id=accepted.id)
    checked = audit("verify")
    assert checked.exit_code == 1
    assert f"BROKEN: {worked_ticket} event {accepted.id}: changed after it was written (reason)" in checked.stderr


def test_a_hash_recomputed_after_an_edit_breaks_the_next_link(worked_ticket, sessions, settings, audit):
    """Whoever edits an event and writes it a new hash still leaves the next event pointing at the old one."""
    from models.sealing import event_hash
    events = events_of(sessions, worked_ticket)
    first = events[0]
    first.actor = "staff:999"
    raw_sql(settings, "UPDATE ticket_events SET actor = 'staff:999', hash = :hash WHERE id = :id",
            hash=event_hash("", first, worked_ticket, []), id=first.id)
    checked = audit("verify", "--ticket", worked_ticket)
    assert checked.exit_code == 1
    assert f"BROKEN: {worked_ticket} event {events[1].id}: prev_hash should be event {first.id}'s hash" \
        in checked.stderr


def test_a_deleted_event_is_caught(worked_ticket, sessions, settings, audit):
    events = events_of(sessions, worked_ticket)
    gone, after = events[1], events[2]
    raw_sql(settings, "DELETE FROM ticket_events WHERE id = :id", id=gone.id)
    checked = audit("verify")
    assert checked.exit_code == 1
    assert f"BROKEN: {worked_ticket} event {after.id}: prev_hash should be event {events[0].id}'s hash" \
        in checked.stderr


def test_a_photo_taken_off_its_step_is_caught(worked_ticket, sessions, settings, audit):
    resolved = next(e for e in events_of(sessions, worked_ticket) if e.action == "resolve")
    with sessions() as session:
        assert session.scalar(select(Photo.id).where(Photo.event_id == resolved.id)) is not None
    raw_sql(settings, "UPDATE photos SET event_id = NULL WHERE event_id = :id", id=resolved.id)
    checked = audit("verify")
    assert checked.exit_code == 1
    assert f"{worked_ticket} event {resolved.id}: changed after it was written (photos)" in checked.stderr


def test_a_deleted_last_event_is_caught_by_the_anchor(worked_ticket, app, sessions, settings, audit):
    """The chain alone still holds once its tail is cut; the daily anchor recorded the head that is now gone."""
    other = ticket_number(report(Resident(app, "o-audit-2"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
    anchored = audit("anchor")
    assert anchored.exit_code == 0 and "2 tickets" in anchored.stdout
    last = events_of(sessions, worked_ticket)[-1]
    raw_sql(settings, "UPDATE photos SET event_id = NULL WHERE event_id = :id", id=last.id)
    raw_sql(settings, "DELETE FROM ticket_events WHERE id = :id", id=last.id)
    checked = audit("verify")
    assert checked.exit_code == 1, checked.stdout
    assert f"BROKEN: {worked_ticket} event {last.id}: is gone: the anchor of" in checked.stderr
    assert other not in checked.stderr   # the untouched ticket is not blamed
    assert audit("verify", "--ticket", other).exit_code == 0


def test_steps_after_an_anchor_extend_the_chain_and_the_next_anchor_records_only_them(
        worked_ticket, app, sessions, audit):
    assert "1 tickets" in audit("anchor").stdout
    ticket_number(report(Resident(app, "o-audit-3"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
    second = audit("anchor")
    assert "2 tickets" in second.stdout and "1 heads moved" in second.stdout
    with sessions() as session:
        first_anchor, second_anchor = session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)).all()
    assert second_anchor.prev_hash == first_anchor.hash
    assert audit("verify").exit_code == 0


def test_a_rewritten_anchor_is_caught(worked_ticket, settings, audit):
    audit("anchor")
    raw_sql(settings, "UPDATE audit_anchors SET tickets = 0")
    checked = audit("verify")
    assert checked.exit_code == 1 and "anchor" in checked.stderr and "no longer match its hash" in checked.stderr


def test_the_chain_cannot_fork(worked_ticket, sessions):
    """A second event claiming the same predecessor (two writers that both read the same head) is refused."""
    events = events_of(sessions, worked_ticket)
    with sessions() as session, pytest.raises(IntegrityError):
        session.execute(insert(TicketEvent).values(ticket_id=events[0].ticket_id, at=events[-1].at, actor="staff:1",
                                                   to_status="dispatched", reason="", reply="", action="flag",
                                                   channel="", prev_hash=events[-1].prev_hash, hash="f" * 64))
        session.commit()


def test_the_job_worker_anchors_once_a_day(worked_ticket, app, sessions):
    jobs = app.extensions["civicbot"].jobs
    assert jobs.anchor_audit_trail() is True
    assert jobs.anchor_audit_trail() is False
    with sessions() as session:
        assert len(session.scalars(select(AuditAnchor)).all()) == 1


def test_the_migration_seals_events_written_before_it_exactly_as_the_application_does(
        worked_ticket, sessions, settings, audit):
    sealed = [(e.id, e.prev_hash, e.hash) for e in events_of(sessions, worked_ticket)]
    app_engine = sessions.kw["bind"]
    app_engine.dispose()
    downgrade(alembic_config(settings), "0017")   # the columns go, and with them every seal
    migrate(settings)
    assert [(e.id, e.prev_hash, e.hash) for e in events_of(sessions, worked_ticket)] == sealed
    assert audit("verify").exit_code == 0


def test_verify_reads_one_moment_and_holds_up_no_writer(worked_ticket, app, settings):
    """A verification of a large database takes a while: residents go on filing reports meanwhile."""
    from bot.cases.audit import verify
    from bot.infra.db import make_engine, snapshot
    engine = make_engine(settings)
    with snapshot(engine) as session:
        before = verify(session=session)
        ticket_number(report(Resident(app, "o-audit-busy"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
        during = verify(session=session)
    engine.dispose()
    assert before.ok and during.ok and (during.tickets, during.events) == (before.tickets, before.events) == (1, 5)


def test_two_writers_adding_to_one_ticket_at_once_leave_one_chain(worked_ticket, sessions):
    """A deadline sweep and a clerk (here: two sweeps) writing the same ticket's events at the same moment take
    turns at its chain's head: no fork, nothing refused, every event in one line."""
    import threading

    from bot.cases.audit import verify
    from bot.cases.workflow import do_flag
    from bot.infra.db import transaction
    from models import utcnow

    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def flag(writer: int) -> None:
        start.wait()
        for n in range(8):
            try:
                with transaction(sessions) as session:
                    ticket = session.scalars(select(Ticket).where(Ticket.number == worked_ticket)).one()
                    do_flag(ticket, f"提醒 {writer}-{n}", now=utcnow(), session=session)
            except BaseException as exc:
                failures.append(exc)

    writers = [threading.Thread(target=flag, args=(w,)) for w in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert not failures
    events = events_of(sessions, worked_ticket)
    assert len(events) == 5 + 16
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    with sessions() as session:
        assert verify(session=session).ok
