"""Faults: the server killed under load, the database locked, a job worker killed mid-job."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import xmltodict
from sqlalchemy import create_engine, func, select, text

from bot.app import create_app
from models import Draft, DraftStatus, InboundMessage, Photo
from tests import images
from tests.conftest import ON_POSTGRES, DatabaseLock, Resident, job_queue, make_settings
from tests.support import fake_api, send_photo, signed, text_message


@pytest.mark.slow
def test_sigkill_under_load_loses_no_answered_message_and_no_draft(running_bot, database):
    answered: list[tuple[str, int]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def resident(number: int) -> None:
        openid, sent = f"o-kill-{number}", 0
        while not stop.is_set():
            msg_id = number * 1_000_000 + sent
            try:
                response = requests.post(running_bot.url, params=signed(), timeout=5,
                                         data=text_message(openid, f"晋祠镇花塔村第{sent}号门口有人摆摊", msg_id))
            except requests.RequestException:
                return  # the server died under this request: WeChat would deliver it again
            if response.status_code == 200:
                with lock:
                    answered.append((openid, msg_id))
            sent += 1

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    running_bot.kill()
    stop.set()
    for thread in threads:
        thread.join()
    running_bot.restart()
    engine = create_engine(database)
    with engine.connect() as connection:
        stored = {(openid, int(key.split(":")[1])) for openid, key in
                  connection.execute(text("SELECT openid, dedupe_key FROM inbound_messages"))}
        drafts = dict(connection.execute(text("SELECT r.openid, d.description FROM drafts d JOIN residents r "
                                              "ON r.id = d.resident_id WHERE d.status = 'open'")).all())
    engine.dispose()
    assert len(answered) > 20
    assert set(answered) <= stored                       # every 200 is in the database
    for openid, _ in answered:
        assert "摆摊" in drafts[openid]                   # and each resident's draft is intact
    print(f"kill under load: {len(answered)} answered, {len(stored)} stored, "
          f"{len(set(answered) - stored)} lost")


def test_a_briefly_locked_database_is_waited_for_not_a_500(tmp_path, database):
    app = create_app(make_settings(tmp_path, database, database={"busy_timeout_ms": 500}))
    resident = Resident(app, "o-locked")
    blocker = DatabaseLock(database)
    threading.Timer(0.3, blocker.release).start()        # released before the retries run out
    assert "【" in resident.says("晋祠镇花塔村路口有人摆摊占了半条路") and resident.last_status == 200
    blocker.close()


def test_a_database_locked_for_long_gets_a_503_and_the_redelivery_is_processed_once(tmp_path, database):
    app = create_app(make_settings(tmp_path, database, database={"busy_timeout_ms": 200}))
    client = app.test_client()
    blocker = DatabaseLock(database)
    first = client.post("/wechat", query_string=signed(), data=text_message("o-wait", "古唐苑小区门口垃圾没人清", 99))
    assert first.status_code == 503                      # WeChat delivers again after a failure
    blocker.release()
    blocker.close()
    for _ in range(2):
        again = client.post("/wechat", query_string=signed(),
                            data=text_message("o-wait", "古唐苑小区门口垃圾没人清", 99))
        assert again.status_code == 200
    with app.extensions["civicbot"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1
        assert session.scalar(select(func.count()).select_from(Draft)
                              .where(Draft.status == DraftStatus.OPEN)) == 1


def content_of(response) -> str:
    return xmltodict.parse(response.get_data(as_text=True))["xml"]["Content"]


def test_an_answered_message_is_replayed_while_a_writer_holds_the_database(tmp_path, database):
    app = create_app(make_settings(tmp_path, database, database={"busy_timeout_ms": 200}))
    client = app.test_client()
    first = client.post("/wechat", query_string=signed(), data=text_message("o-replay", "古唐苑小区门口垃圾没人清", 98))
    assert first.status_code == 200 and "垃圾" in first.get_data(as_text=True)
    blocker = DatabaseLock(database, only_writers=True)
    try:
        # WeChat's re-delivery needs no write, so it is answered at once; a new message has to wait for the writer.
        again = client.post("/wechat", query_string=signed(),
                            data=text_message("o-replay", "古唐苑小区门口垃圾没人清", 98))
        # The same answer (the XML's CreateTime is the second it is rendered in, so compare what the resident reads).
        assert again.status_code == 200 and content_of(again) == content_of(first)
        new = client.post("/wechat", query_string=signed(), data=text_message("o-replay", "提交", 99))
        assert new.status_code == 503
    finally:
        blocker.release()
        blocker.close()


def test_a_photo_job_lost_with_a_killed_worker_runs_again_once(tmp_path, database, fake_wechat):
    settings = make_settings(tmp_path, database, queue=job_queue(tmp_path),
                             media={"retry_base_seconds": 0}, wechat=fake_api(fake_wechat))
    app = create_app(settings)
    fake_wechat.add_media("m-lost", images.jpeg())
    send_photo(Resident(app, "o-lost"), "m-lost")
    queue = app.extensions["civicbot"].jobs
    queue.huey.flush()                                    # the queued task dies with its worker
    with app.extensions["civicbot"].sessions() as session, session.begin():
        photo = session.scalar(select(Photo))
        photo.created_at = photo.created_at.replace(year=photo.created_at.year - 1)
    assert queue.sweep_photos() == 1
    task = queue.huey.dequeue()
    queue.huey.execute(task)
    assert queue.sweep_photos() == 0
    with app.extensions["civicbot"].sessions() as session:
        assert session.scalar(select(Photo.status)) == "stored"
        assert session.scalar(select(func.count()).select_from(Photo)) == 1


@pytest.mark.skipif(ON_POSTGRES, reason="the writer queue is SQLite's: PostgreSQL has row locks and MVCC")
def test_writers_in_two_processes_take_turns_and_a_stuck_writer_times_out_cleanly(tmp_path, database):
    """The writer queue (a file lock beside the SQLite file) lets one write transaction in at a time, across
    engines as across gunicorn workers, and a writer that waits too long gets the retryable OperationalError."""
    from sqlalchemy.exc import OperationalError

    from bot.infra.db import make_engine
    holder = make_engine(make_settings(tmp_path, database))
    waiter = make_engine(make_settings(tmp_path, database, database={"busy_timeout_ms": 300}))
    held = holder.connect()
    held.begin()
    started = time.monotonic()
    try:
        with waiter.begin() as connection:
            connection.execute(text("SELECT 1"))
        raise AssertionError("a second writer got in while the first held its transaction")
    except OperationalError:
        assert 0.25 < time.monotonic() - started < 5
    threading.Timer(0.2, held.commit).start()
    with waiter.begin() as connection:                   # waits for the holder's commit, then gets in
        assert connection.execute(text("SELECT count(*) FROM residents")).scalar() >= 0
    held.close()
    holder.dispose()
    waiter.dispose()


def test_a_worker_starting_while_the_database_is_away_waits_for_it_instead_of_stopping_the_server(
        tmp_path, database, monkeypatch):
    """A gunicorn worker that fails while starting stops the whole server: a database restarting at that moment
    (here: its first two reads of the catalogue fail as a dropped connection does) must cost a wait, not the bot."""
    from sqlalchemy.exc import OperationalError

    import bot.services

    real = bot.services.load_snapshot
    failures = iter([OperationalError("SELECT …", {}, Exception("terminating connection"))] * 2)

    def away_at_first(*args, **kwargs):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(bot.services, "load_snapshot", away_at_first)
    monkeypatch.setattr(bot.services.time, "sleep", lambda seconds: None)
    app = create_app(make_settings(tmp_path, database))
    assert app.extensions["civicbot"].catalogue.categories   # started, with the catalogue read on the third try
    assert Resident(app, "o-after-restart").says("你好")
