"""`civicbot demo-data`: days of tickets made by the real workflow, which HQ's scores can rank and the portal marks as
demo data; never added twice, never added to a database with real reports."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.cases.scores import compute_scoreboard
from bot.catalogue.snapshot import load_snapshot
from bot.demo import DEMO_SETTING, MARKER
from models import Notification, NotificationStatus, Photo, Resident, Setting, Ticket, TicketEvent
from tests.support import civicbot, config_file, count, report

# A working week away from public holidays, so the data is the same whatever day the tests run.
LAST_DAY = date(2026, 3, 20)
DAYS = 5


@pytest.fixture
def config(settings, tmp_path):
    """The demo config on this test's database: demo accounts on, the tests' classifier, photos in the test's folder."""
    return config_file(tmp_path / "demo.toml", settings,
                       f'[portal]\ndemo_accounts = true\n[classifier]\nmodel = "{settings.classifier.model}"\n'
                       f'[media]\nroot = "{tmp_path / "media"}"\n')


def demo_data(config, *args: str):
    return civicbot(config, "demo-data", "--days", str(DAYS), "--end", LAST_DAY.isoformat(), *args)


def actions(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(TicketEvent.action).distinct()))


def test_demo_data_fills_the_lists_and_the_scores_and_says_it_is_demo_data(app, sessions, config, tmp_path):
    assert "演示数据" not in app.test_client().get("/portal/login").get_data(as_text=True)
    assert civicbot(config, "staff", "demo").exit_code == 0

    made = demo_data(config)

    assert made.exit_code == 0, made.stderr
    assert "演示数据" in made.stdout
    with sessions() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) > 50
        assert len({t.category_code for t in tickets}) >= 8
        assert len({t.lead_department_code for t in tickets}) >= 6
        assert len({t.town_code for t in tickets if t.town_code}) == 6
        assert all(t.description.startswith(MARKER) for t in tickets)
        assert all(openid.startswith("demo-") for openid in session.scalars(select(Resident.openid)))
        assert {t.rating for t in tickets} >= {1, 2}
        assert session.scalar(select(func.count()).select_from(Photo).where(Photo.display_key != "")) > 50
        # The demo's residents are nobody on WeChat: their news waits instead of being retried for ever.
        assert not session.scalars(select(Notification).where(
            Notification.status == NotificationStatus.PENDING)).first()
        marker = session.get(Setting, DEMO_SETTING)
        assert marker.value["days"] == DAYS and marker.value["tickets"] == len(tickets)
    # Every kind of step a clerk or resident takes is in the history.
    assert actions(sessions) >= {"accept", "resolve", "return", "request_extension", "urge", "reopen", "verify",
                                 "close", "assign", "dispatch", "flag"}

    with sessions() as session:
        catalogue = load_snapshot(app.extensions["civicbot"].settings, session=session)
        end = datetime(2026, 3, 20, 16)   # 2026-03-21 00:00 in Taiyuan
        board = compute_scoreboard(LAST_DAY - timedelta(days=DAYS - 1), LAST_DAY, end, session=session,
                                   catalogue=catalogue, return_window=timedelta(hours=24))
    assert board.totals.reports > 50 and board.totals.rated > 0
    departments = [d for d in board.departments if d.resolved]
    assert len(departments) >= 6
    assert len({round(d.on_time_rate, 2) for d in departments}) > 2   # departments work at different speeds
    assert board.overdue_cases and board.urges
    assert board.people   # the named staff were assigned work

    page = app.test_client().get("/portal/login").get_data(as_text=True)
    assert "演示数据" in page

    again = demo_data(config)
    assert again.exit_code == 0 and "already there" in again.stdout
    assert count(sessions, Ticket) == len(tickets)


def test_a_database_with_real_reports_gets_no_demo_data(app, sessions, config, resident):
    report(resident)   # a real resident's real report

    refused = demo_data(config)

    assert refused.exit_code == 0   # `make run` goes on, with the real data untouched
    assert "real" in refused.stdout and "--force" in refused.stdout
    assert count(sessions, Ticket) == 1
    with sessions() as session:
        assert session.get(Setting, DEMO_SETTING) is None
    assert "演示数据" not in app.test_client().get("/portal/login").get_data(as_text=True)


def test_without_the_demo_config_there_is_no_demo_data(sessions, settings, tmp_path):
    plain = config_file(tmp_path / "plain.toml", settings)

    result = civicbot(plain, "demo-data", "--days", "1")

    assert result.exit_code == 0 and "demo_accounts is off" in result.stdout
    assert count(sessions, Ticket) == 0
