"""Residents hear about their tickets: the outbox, retries, the 48-hour window, templates, the next message."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.app import create_app
from models import Notification, utcnow
from tests import images
from tests.conftest import Resident, make_settings
from tests.support import add_staff, civicbot, config_file, fake_api, logged_in, report, ticket_number


def build(tmp_path, database, fake_wechat, **extra):
    app = create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat), **extra))
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"), ("hq", "hq", "admin"))
    return app


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    return build(tmp_path, database, fake_wechat)


def open_ticket(resident: Resident) -> str:
    return ticket_number(report(resident, category="占道经营"))


def notices(app) -> list[Notification]:
    with app.extensions["civicbot"].sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_each_step_reaches_the_resident_with_the_after_photo(app, fake_wechat):
    resident = Resident(app, "o-notice")
    number = open_ticket(resident)
    chen = logged_in(app, "chen")
    chen.act(number, "accept")
    chen.act(number, "resolve", note="摊主王某，第三次劝离，已登记", reply="已劝离摊贩，路面已清理",
             photos=[("after.jpg", images.jpeg())])
    sent = [m for m in fake_wechat.sent if m["touser"] == "o-notice"]
    assert "区城市管理局已接手" in sent[0]["text"]["content"] and number in sent[0]["text"]["content"]
    # The resident reads the reply; the department's own note stays among staff.
    assert "已劝离摊贩，路面已清理" in sent[1]["text"]["content"] and "王某" not in sent[1]["text"]["content"]
    assert sent[2]["msgtype"] == "image" and sent[2]["image"]["media_id"].startswith("uploaded-")
    assert [n.status for n in notices(app)] == ["sent", "sent"]
    page = logged_in(app, "hq").page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "告知市民" in page and "已发送" in page


def test_a_failing_api_is_retried_until_it_recovers_and_nothing_is_lost(app, fake_wechat, tmp_path):
    resident = Resident(app, "o-retry")
    number = open_ticket(resident)
    fake_wechat.failing = True
    logged_in(app, "chen").act(number, "accept")
    [notice] = notices(app)
    assert notice.status == "pending" and notice.attempts == 1 and notice.last_error
    # The operator sees the stuck notice, and why, where the jobs are listed.
    listing = civicbot(config_file(tmp_path / "jobs.toml", app.extensions["civicbot"].settings), "jobs")
    assert "notices failed, waiting to retry (first 50): 1" in listing.stdout
    assert f"ticket {notice.ticket_id}  attempts 1" in listing.stdout
    queue = app.extensions["civicbot"].jobs
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(Notification).values(next_attempt_at=utcnow()))
    assert queue.deliver_notifications()["retry"] == 1
    fake_wechat.failing = False
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(Notification).values(next_attempt_at=utcnow()))
    assert queue.deliver_notifications()["sent"] == 1
    assert [n.status for n in notices(app)] == ["sent"]
    assert any(number in m["text"]["content"] for m in fake_wechat.sent if m["msgtype"] == "text")


def test_outside_the_48_hour_window_news_waits_for_the_next_message(app, fake_wechat):
    resident = Resident(app, "o-away")
    number = open_ticket(resident)
    fake_wechat.outside_window.add("o-away")
    logged_in(app, "chen").act(number, "accept")
    assert notices(app)[0].status == "waiting"
    fake_wechat.outside_window.clear()   # writing to the account reopens the window
    resident.says("你好")
    assert notices(app)[0].status == "sent"
    assert any("已接手" in m["text"]["content"] for m in fake_wechat.sent if m["touser"] == "o-away")


def test_a_configured_template_is_used_outside_the_window(tmp_path, database, fake_wechat):
    app = build(tmp_path, database, fake_wechat, notifications={"template_id": "TPL-progress"})
    resident = Resident(app, "o-template")
    number = open_ticket(resident)
    fake_wechat.outside_window.add("o-template")
    logged_in(app, "chen").act(number, "accept")
    assert notices(app)[0].status == "template_sent"
    [template] = fake_wechat.templates
    assert template["touser"] == "o-template" and template["template_id"] == "TPL-progress"
    assert template["data"]["keyword1"]["value"] == number


def resolve(app, number: str) -> None:
    chen = logged_in(app, "chen")
    chen.act(number, "accept")
    chen.act(number, "resolve", note="已劝离摊贩", photos=[("after.jpg", images.jpeg())])


def ticket_row(app, number: str):
    from models import Ticket
    with app.extensions["civicbot"].sessions() as session:
        return session.scalar(select(Ticket).where(Ticket.number == number))


def test_the_resident_is_asked_and_a_satisfied_answer_closes_the_ticket(app, fake_wechat):
    resident = Resident(app, "o-happy")
    number = open_ticket(resident)
    resolve(app, number)
    asked = [m["text"]["content"] for m in fake_wechat.sent if m["msgtype"] == "text" and "是否已解决" in
             m["text"]["content"]]
    assert asked and "回复 1 满意" in asked[0]
    assert number in resident.says("1") and ticket_row(app, number).status.value == "closed"
    assert ticket_row(app, number).rating == 1
    scores = logged_in(app, "hq").page("/portal/scores").get_data(as_text=True)
    assert "100.0%" in scores


def test_not_satisfied_with_a_reason_reopens_once_then_goes_to_hq_review(app, fake_wechat):
    resident = Resident(app, "o-unhappy")
    number = open_ticket(resident)
    resolve(app, number)
    assert "哪里还不满意" in resident.says("3")
    assert "退回区创城指挥部" in resident.says("摊贩下午又回来了")
    ticket = ticket_row(app, number)
    assert ticket.status.value == "reopened" and ticket.needs_triage and ticket.rating_reason == "摊贩下午又回来了"
    hq = logged_in(app, "hq")
    hq.act(number, "dispatch", department="urban_mgmt", note="请再次处置")
    resolve(app, number)
    resident.says("不满意")
    assert "复核" in resident.says("还是没解决")
    ticket = ticket_row(app, number)
    assert ticket.status.value == "resolved" and ticket.needs_triage and ticket.reopen_count == 1
    assert number in hq.page("/portal/tickets?tab=triage").get_data(as_text=True)


def test_no_answer_in_time_closes_as_verified(app, fake_wechat):
    from datetime import timedelta

    from models import Ticket
    resident = Resident(app, "o-silent")
    number = open_ticket(resident)
    resolve(app, number)
    with app.extensions["civicbot"].sessions() as session, session.begin():
        session.execute(update(Ticket).values(feedback_requested_at=utcnow() - timedelta(hours=73)))
    app.extensions["civicbot"].jobs.check_deadlines()
    ticket = ticket_row(app, number)
    assert ticket.status.value == "closed" and ticket.rating is None
    assert any("已办结" in m["text"]["content"] for m in fake_wechat.sent if m["msgtype"] == "text")


def test_a_number_while_a_category_menu_waits_still_picks_the_category(app, fake_wechat):
    resident = Resident(app, "o-both")
    number = open_ticket(resident)
    resolve(app, number)
    resident.says("晋祠镇这边有个情况想反映一下")       # opens a draft with a category menu
    assert "已按【" in resident.says("1")
    assert ticket_row(app, number).rating is None
