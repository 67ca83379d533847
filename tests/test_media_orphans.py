"""Photos' files are stored only with the step or the job that keeps them: a refused step, a lost double-submit or a
rolled-back transaction leaves no file behind; and the media sweep removes the orphans a killed process may still
leave, keeping young files and every file a photo references, and says what it removed."""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.infra.db import after_commit, transaction
from bot.photos.storage import LocalMediaStorage, do_store_photo, public_keys
from bot.photos.sweep import referenced_keys
from bot.tasks import JobQueue
from models import Photo, TicketStatus
from tests import images
from tests.support import civicbot, config_file, logged_in, status_of
from tests.test_portal_uploads import NOTE, accepted_ticket

DAY = 24 * 3600


def media_files(app) -> set[str]:
    """Every file in the app's media storage, by key."""
    return {stored.key for stored in app.extensions["civicbot"].storage.files()}


def referenced(sessions) -> set[str]:
    with sessions() as session:
        return {key for row in session.execute(select(Photo.display_key, Photo.thumbnail_key)) for key in row if key}


def test_a_refused_resolve_with_a_photo_leaves_no_file(app, sessions):
    number, chen = accepted_ticket(app)
    response = chen.act(number, "resolve", note="", photos=[("after.jpg", images.jpeg(images.scene(1)))])
    assert response.status_code == 422 and "说明" in response.get_data(as_text=True)
    assert status_of(sessions, number) == TicketStatus.IN_PROGRESS
    assert media_files(app) == set()


def test_a_double_submitted_resolve_stores_the_photos_of_the_step_taken_only(app, sessions):
    number, chen = accepted_ticket(app)
    again = logged_in(app, "chen")   # the same clerk's second tap, from a second tab
    photos = [("after.jpg", images.jpeg(images.scene(2)))]
    start = threading.Barrier(2)
    answers: list[int] = []

    def submit(clerk) -> None:
        start.wait()
        answers.append(clerk.act(number, "resolve", note=NOTE, photos=photos).status_code)

    threads = [threading.Thread(target=submit, args=(clerk,)) for clerk in (chen, again)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers) == [200, 422]   # one step taken, the other refused: the ticket is no longer in progress
    assert status_of(sessions, number) == TicketStatus.RESOLVED
    stored = referenced(sessions)
    assert len(stored) == 2   # one photo's display copy and thumbnail
    with sessions() as session:   # beside them, the resident's blurred copies that the "resolved" notice made
        assert stored <= media_files(app) <= referenced_keys(session=session)


def test_files_written_in_a_transaction_that_rolls_back_are_removed_and_a_savepoint_does_not_decide(
        app, sessions, tmp_path):
    storage = LocalMediaStorage(tmp_path / "media")
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        photo = Photo(media_id="portal-rolled-back")
        session.add(photo)
        session.flush()
        do_store_photo(storage, photo.id, b"display", b"thumbnail", session=session)
        assert len(list(storage.files())) == 2
        raise RuntimeError("the commit failed")
    assert list(storage.files()) == []

    with transaction(sessions) as session:
        photo = Photo(media_id="portal-kept")
        session.add(photo)
        session.flush()
        photo.display_key, photo.thumbnail_key = do_store_photo(storage, photo.id, b"display", b"thumbnail",
                                                                session=session)
        with pytest.raises(RuntimeError), session.begin_nested():
            raise RuntimeError("a savepoint rolled back")
    assert {stored.key for stored in storage.files()} == {photo.display_key, photo.thumbnail_key}


def test_what_waits_for_the_commit_waits_for_the_whole_transaction_not_a_savepoint(sessions):
    ran: list[str] = []
    with transaction(sessions) as session:
        after_commit(session, lambda: ran.append("job"))
        with session.begin_nested():   # as a new day's ticket counter is made
            pass
        assert ran == []   # the savepoint's release is not the commit: the job would announce uncommitted work
        with pytest.raises(RuntimeError), session.begin_nested():
            raise RuntimeError("a savepoint rolled back")
    assert ran == ["job"]   # nor does a savepoint's rollback forget it


def aged(path: Path, seconds: float) -> None:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def test_the_media_sweep_removes_old_orphans_keeps_young_and_referenced_files_and_reports_them(
        app, sessions, settings, tmp_path, caplog):
    number, chen = accepted_ticket(app)
    assert "已完成：处置完成" in chen.act(number, "resolve", note=NOTE,
                                      photos=[("after.jpg", images.jpeg(images.scene(3)))]).get_data(as_text=True)
    root = settings.media.root
    display = next(key for key in referenced(sessions) if key.endswith("display.jpg"))
    kept = media_files(app)   # the photo's two copies, and the resident's blurred copies the notice made
    assert public_keys(display)[0] in kept
    orphan = root / "photos" / "9999" / "display.jpg"   # as a process killed before its commit leaves it
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x" * 1234)
    half_made = root / "photos" / "9999" / "tmpa1b2c3"
    half_made.write_bytes(b"y" * 66)
    young = root / "photos" / "10000" / "display.jpg"   # an upload whose transaction may still be open
    young.parent.mkdir(parents=True)
    young.write_bytes(b"z" * 10)
    for path in [*(root / key for key in kept), orphan, half_made]:
        aged(path, 2 * DAY)

    config = config_file(tmp_path / "cli.toml", settings)
    dry = civicbot(config, "media", "sweep", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert "photos/9999/display.jpg  1234 bytes" in dry.stdout
    assert (f"would remove 2 orphaned file(s), 1300 bytes; kept {len(kept)} referenced and 1 younger than 24 h"
            in dry.stdout)
    assert orphan.exists() and half_made.exists()

    with caplog.at_level(logging.INFO, logger="bot.photos.sweep"):
        report = JobQueue(app.extensions["civicbot"].settings).sweep_media()
    assert sorted(orphan.key for orphan in report.orphans) == ["photos/9999/display.jpg", "photos/9999/tmpa1b2c3"]
    assert "2 orphaned file(s), 1300 bytes removed" in caplog.text
    assert not orphan.exists() and not half_made.exists()
    assert young.exists() and all((root / key).exists() for key in kept)
    with sessions() as session:
        photo_id = session.scalar(select(Photo.id).where(Photo.display_key == display))
    assert chen.page(f"/portal/photos/{photo_id}/display").status_code == 200   # the clerk still sees it

    again = civicbot(config, "media", "sweep")
    assert f"removed 0 orphaned file(s), 0 bytes; kept {len(kept)} referenced and 1 younger than 24 h" in again.stdout
