"""One account's limits (report rate, blocking, spam held for review) and a resident's own data."""
from __future__ import annotations

from sqlalchemy import func, select

from models import InboundMessage, Photo, Ticket, TicketStatus
from models import Resident as ResidentRow
from tests.conftest import make_settings
from tests.support import add_staff, logged_in, report, send_photo, ticket_number

# The resident names the category: these tests are about the account, not about the classifier.
VENDING = "占道经营"


def test_new_reports_are_limited_per_hour_and_the_draft_kept(tmp_path, database, resident):
    from bot.app import create_app
    from tests.conftest import Resident
    app = create_app(make_settings(tmp_path, database, limits={"reports_per_hour": 3}))
    person = Resident(app, "o-busy")
    for n in range(3):
        assert "JY-" in report(person, f"晋祠镇花塔村第{n + 1}个路口有人摆摊", category=VENDING)
    refused = report(person, "晋祠镇花塔村第四个路口有人摆摊", category=VENDING)
    assert "这一小时已提交了 3 条" in refused
    assert "未提交的反映：1 条" in person.says("我的数据")
    with app.extensions["civicbot"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 3


def test_a_burst_of_150_messages_from_one_resident_is_answered_and_limited(tmp_path, database):
    from bot.app import create_app
    from tests.conftest import Resident
    app = create_app(make_settings(tmp_path, database, limits={"reports_per_hour": 10}))
    person = Resident(app, "o-burst")
    replies = []
    for n in range(50):
        replies.append(person.says(f"晋祠镇花塔村{n}号门口有人摆摊"))
        # The category is the resident's own: the limit is under test here, not whether the model asks.
        replies.append(person.says("改为 占道经营"))
        replies.append(person.says("提交"))
    assert person.last_status == 200 and all(replies)
    assert sum("JY-" in r for r in replies) == 10 and sum("这一小时已提交了" in r for r in replies) == 40
    with app.extensions["civicbot"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 150


def test_spam_and_abuse_are_held_for_hq_not_routed(resident, sessions):
    done = report(resident, "晋祠镇花塔村路口有人摆摊，加微信 abc123 办证贷款", category=VENDING)
    assert "分派中" in done
    with sessions() as session:
        ticket = session.scalar(select(Ticket))
        assert ticket.held and ticket.needs_triage and ticket.status == TicketStatus.RECEIVED
        assert "待审核" in ticket.route_reason


def test_hq_blocks_a_reporter_whose_messages_are_then_kept_but_not_acted_on(app, resident, sessions):
    add_staff(sessions, ("hq", "hq", "admin"))
    number = ticket_number(report(resident, category=VENDING))
    hq = logged_in(app, "hq")
    page = hq.client.post(f"/portal/tickets/{number}/block",
                          data={"block": "1", "csrf_token": hq.csrf(f"/portal/tickets/{number}")},
                          follow_redirects=True).get_data(as_text=True)
    assert "已屏蔽该反映人" in page
    assert "暂停使用反映功能" in resident.says("古唐苑小区门口垃圾没人清")
    assert "暂停使用反映功能" in resident.says("提交")
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        kept = session.scalars(select(InboundMessage.body).where(InboundMessage.openid == resident.openid)).all()
        assert any("古唐苑小区门口垃圾没人清" in body for body in kept)


def test_my_data_says_what_is_held(resident):
    report(resident, category=VENDING)
    held = resident.says("我的数据")
    assert "工单：1 件" in held and "消息记录：4 条" in held and resident.openid not in held


def test_erasing_my_data_unlinks_me_and_keeps_the_ticket(resident, sessions):
    send_photo(resident, "m-own")
    number = ticket_number(report(resident, category=VENDING))
    assert "确认删除" in resident.says("删除我的数据")
    assert "1 件工单已与您解除关联" in resident.says("确认删除")
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket is not None and ticket.resident_id is None
        assert session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.openid == resident.openid)) == 0
        assert all(resident.openid not in body for body in session.scalars(select(InboundMessage.body)))
        assert session.scalar(select(Photo.resident_id)) is None
        assert session.scalar(select(ResidentRow).where(ResidentRow.openid == resident.openid)) is None
    assert "没有找到" in resident.says(f"查询 {number}")
    assert "没有待确认的删除请求" in resident.says("确认删除")
