"""Backups: `civicbot backup` copies the database and the photos while residents and clerks keep working, and
`civicbot restore` brings them back elsewhere, checked against the manifest, with every hash chain intact."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from alembic.command import downgrade
from sqlalchemy import create_engine, select

from bot.infra.db import alembic_config, make_engine, make_sessionmaker
from models import AuditAnchor, Photo, Ticket, TicketEvent
from tests import images
from tests.conftest import HUATA_VILLAGE, ON_POSTGRES, Resident, make_settings
from tests.support import civicbot, config_file, report, ticket_number

on_sqlite = pytest.mark.skipif(ON_POSTGRES, reason="`civicbot backup` copies SQLite; PostgreSQL uses pg_dump")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Workday:
    """Residents reporting stalls at 花塔村 and 城管's chen accepting and resolving each with an after-photo, in a
    thread, through the webhook and the portal (the real services), until stopped."""

    def __init__(self, app, clerk):
        self.app, self.chen = app, clerk("chen")
        self.done, self.errors = 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, daemon=True)

    def _work(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            try:
                number = ticket_number(report(Resident(self.app, f"o-backup-{n}"), at=HUATA_VILLAGE,
                                              label="晋源区晋祠镇花塔村"))
                self.chen.act(number, "accept")
                self.chen.act(number, "resolve", note="已清理", photos=[("after.jpg", images.jpeg(images.scene(n)))])
                self.done += 1
            except Exception as exc:    # reported by the test, not lost in the thread
                self.errors.append(exc)
                return

    def __enter__(self):
        self._thread.start()
        return self

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while self.done < count and not self.errors and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.errors, self.errors
        assert self.done >= count

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(timeout=60)


@on_sqlite
def test_a_backup_taken_under_load_restores_elsewhere_whole(tmp_path, app, clerk, settings, database):
    config = config_file(tmp_path / "cli.toml", settings, f'[media]\nroot = "{settings.media.root}"\n')
    assert civicbot(config, "audit", "anchor").exit_code == 0
    with Workday(app, clerk) as work:
        work.wait_for(2)
        made = civicbot(config, "backup", "--out", str(tmp_path / "backup"))
        during = work.done
        work.wait_for(during + 2)   # the bot went on working after the copy
    assert made.exit_code == 0, made.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["alembic_revision"] and manifest["counts"]["tickets"] >= 2
    assert manifest["counts"]["photos"] >= 2 and manifest["photo_files"] >= 4   # display and thumbnail each
    with app.extensions["civicbot"].sessions() as session:
        assert manifest["last_audit_anchor"]["hash"] == session.scalars(select(AuditAnchor.hash)).one()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fresh = make_settings(elsewhere, elsewhere / "restored.db")
    restored_config = config_file(elsewhere / "cli.toml", fresh, f'[media]\nroot = "{elsewhere / "media"}"\n')
    back = civicbot(restored_config, "restore", "--from", str(tmp_path / "backup"))
    assert back.exit_code == 0, back.output

    engine = create_engine(f"sqlite:///{elsewhere / 'restored.db'}")
    with engine.connect() as connection:
        counts = {table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                  for table in ("tickets", "ticket_events", "photos")}
        keys = [key for row in connection.execute(select(Photo.display_key, Photo.thumbnail_key)
                                                  .where(Photo.display_key != "")) for key in row]
    engine.dispose()
    assert counts == manifest["counts"]
    with app.extensions["civicbot"].sessions() as session:   # a snapshot: the live database went on growing
        assert len(session.scalars(select(Ticket.id)).all()) > counts["tickets"]
    assert keys and all(sha256(elsewhere / "media" / key) == manifest["files"][f"media/{key}"] for key in keys)
    verified = civicbot(restored_config, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"checked {counts['tickets']} tickets, {counts['ticket_events']} events" in verified.stdout


@on_sqlite
def test_restore_refuses_a_damaged_backup_and_a_database_in_use(tmp_path, vending_ticket, settings):
    config = config_file(tmp_path / "cli.toml", settings)
    assert civicbot(config, "backup", "--out", str(tmp_path / "backup")).exit_code == 0
    refused = civicbot(config, "restore", "--from", str(tmp_path / "backup"))
    assert refused.exit_code != 0 and "--force" in refused.output   # this database holds a ticket

    with sqlite3.connect(tmp_path / "backup" / "civicbot.db") as damaged:
        damaged.execute("UPDATE tickets SET description = '改过的描述'")
    damaged.close()
    (tmp_path / "e").mkdir()
    elsewhere = make_settings(tmp_path / "e", tmp_path / "e" / "restored.db")
    checked = civicbot(config_file(tmp_path / "e" / "cli.toml", elsewhere), "restore", "--from",
                       str(tmp_path / "backup"))
    assert checked.exit_code != 0 and "civicbot.db does not match the manifest" in checked.output
    assert not (tmp_path / "e" / "restored.db").exists()


@on_sqlite
def test_an_older_backup_is_migrated_up_and_sealed_on_restore(tmp_path, vending_ticket, settings, sessions):
    sessions.kw["bind"].dispose()
    downgrade(alembic_config(settings), "0016")   # as a backup taken before the audit trail existed
    assert civicbot(config_file(tmp_path / "cli.toml", settings), "backup", "--out", str(tmp_path / "b")).exit_code == 0
    (tmp_path / "e").mkdir()
    fresh = make_settings(tmp_path / "e", tmp_path / "e" / "restored.db")
    back = civicbot(config_file(tmp_path / "e" / "cli.toml", fresh), "restore", "--from", str(tmp_path / "b"))
    assert back.exit_code == 0 and "migrated from 0016 to" in back.stdout, back.output
    restored = make_sessionmaker(make_engine(fresh))
    with restored() as session:
        hashes = session.scalars(select(TicketEvent.hash).join(Ticket).where(Ticket.number == vending_ticket)).all()
    assert hashes and all(hashes)
    assert civicbot(config_file(tmp_path / "e" / "cli.toml", fresh), "audit", "verify").exit_code == 0


def test_backup_on_postgresql_points_to_pg_dump(tmp_path):
    settings = make_settings(tmp_path, "postgresql://civicbot@127.0.0.1/civicbot")
    answer = civicbot(config_file(tmp_path / "cli.toml", settings), "backup", "--out", str(tmp_path / "b"))
    assert answer.exit_code != 0 and "pg_dump" in answer.output
    assert not (tmp_path / "b").exists()
