"""Staff account events in one hash chain: who was given which rights cannot be rewritten or cut unnoticed."""
from __future__ import annotations

import threading

import pytest
from alembic.command import downgrade
from sqlalchemy import select

from bot.cases.account_audit import record_account_event
from bot.infra.db import alembic_config, migrate, transaction
from models import AccountEvent, utcnow
from tests.support import civicbot, config_file
from tests.test_security_audit import raw_sql


@pytest.fixture
def audit(tmp_path, settings):
    config = config_file(tmp_path / "cli.toml", settings)
    return lambda *args: civicbot(config, *args)


@pytest.fixture
def trail(audit, accounts, sessions) -> list[AccountEvent]:
    """The accounts of the `accounts` fixture, then a role change and a deactivation by the command line."""
    for args in (("staff", "role", "chen", "admin"), ("staff", "deactivate", "zhao")):
        done = audit(*args)
        assert done.exit_code == 0, done.stderr + done.stdout
    return account_rows(sessions)


def account_rows(sessions) -> list[AccountEvent]:
    with sessions() as session:
        return list(session.scalars(select(AccountEvent).order_by(AccountEvent.id)))


def test_each_account_event_is_chained_to_the_one_before_and_verify_counts_them(trail, audit):
    assert len(trail) >= 3 and trail[0].prev_hash == ""
    assert [e.prev_hash for e in trail[1:]] == [e.hash for e in trail[:-1]]
    checked = audit("audit", "verify")
    assert checked.exit_code == 0, checked.stderr
    assert f"{len(trail)} account events" in checked.stdout and "every chain holds" in checked.stdout


def test_a_role_change_rewritten_in_the_database_is_caught(trail, audit, settings):
    changed = next(e for e in trail if e.action == "role_changed")
    raw_sql(settings, "UPDATE account_events SET actor = 'staff:boss', detail = '' WHERE id = :id", id=changed.id)
    checked = audit("audit", "verify")
    assert checked.exit_code == 1
    assert f"BROKEN: account-events event {changed.id}: changed after it was written (actor, detail)" \
        in checked.stderr


def test_a_deleted_account_event_breaks_the_next_link(trail, audit, settings):
    gone, after = trail[1], trail[2]
    raw_sql(settings, "DELETE FROM account_events WHERE id = :id", id=gone.id)
    checked = audit("audit", "verify")
    assert checked.exit_code == 1
    assert f"account-events event {after.id}: prev_hash should be event {trail[0].id}'s hash" in checked.stderr


def test_the_last_account_event_deleted_is_caught_by_the_anchor(trail, audit, settings):
    """Cutting the tail leaves a chain that holds; the daily anchor recorded the head that is now gone."""
    assert audit("audit", "anchor").exit_code == 0
    raw_sql(settings, "DELETE FROM account_events WHERE id = :id", id=trail[-1].id)
    checked = audit("audit", "verify")
    assert checked.exit_code == 1
    assert f"account-events event {trail[-1].id}: is gone: the anchor of" in checked.stderr


def test_the_migration_seals_stored_account_events_as_the_application_does(trail, sessions, settings, audit):
    sealed = [(e.id, e.prev_hash, e.hash) for e in trail]
    sessions.kw["bind"].dispose()
    downgrade(alembic_config(settings), "0018")
    migrate(settings)
    assert [(e.id, e.prev_hash, e.hash) for e in account_rows(sessions)] == sealed
    assert audit("audit", "verify").exit_code == 0


def test_two_writers_at_once_leave_one_chain(trail, sessions):
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        start.wait()
        for n in range(8):
            try:
                with transaction(sessions) as session:
                    record_account_event("cli", f"user{writer}", "password_reset", department_code="hq",
                                         now=utcnow(), session=session, detail=f"{n}")
            except BaseException as exc:
                failures.append(exc)

    writers = [threading.Thread(target=write, args=(w,)) for w in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert not failures
    rows = account_rows(sessions)
    assert len(rows) == len(trail) + 16
    assert [e.prev_hash for e in rows[1:]] == [e.hash for e in rows[:-1]]
