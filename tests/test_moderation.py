"""Moderation that knows the categories: what a report is about never holds it; flooding is across reports and time."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import Draft, Ticket, TicketStatus
from tests.support import report, ticket_number

FLYERS = "王郭村小区门口电线杆上贴满了办证、贷款、代开发票的小广告，电话13812345678，撕了又贴"


def ticket(sessions, number: str) -> Ticket:
    with sessions() as session:
        return session.scalar(select(Ticket).where(Ticket.number == number))


def test_a_flyer_report_naming_trades_and_a_phone_number_is_routed_not_held(resident, sessions):
    reply = resident.says(FLYERS)
    assert "【违法小广告】" in reply
    done = resident.says("提交")
    assert "区城市管理局" in done and "分派中" not in done
    filed = ticket(sessions, ticket_number(done))
    assert not filed.held and filed.status == TicketStatus.DISPATCHED and "待审核" not in filed.route_reason


@pytest.mark.parametrize("words", [
    "张村路边墙上喷的广告写着“开锁 招聘 加微信”，一整面墙都是",
    "晋祠镇东院村公交站牌上被贴了好多贷款小卡片，上面还有二维码",
])
def test_a_flyer_report_quoting_the_ad_is_not_held(resident, sessions, words):
    filed = ticket(sessions, ticket_number(report(resident, words, category="违法小广告")))
    assert not filed.held and filed.lead_department_code == "urban_mgmt"


@pytest.mark.parametrize("words", [
    "晋祠镇花塔村路口又有人摆摊啊啊啊啊啊啊啊啊啊啊啊啊",
    "晋祠镇花塔村路口又有人摆摊！！！！！！！！！！！！",
    "气死了！！！！！！！！！！！！！晋祠镇花塔村的摊贩把路全占了？？？？？？？？？？？？",
])
def test_one_excited_message_is_not_flooding(resident, sessions, words):
    filed = ticket(sessions, ticket_number(report(resident, words, category="占道经营")))
    assert not filed.held and filed.status == TicketStatus.DISPATCHED


def test_many_near_identical_reports_in_a_short_time_are_held(resident, sessions):
    numbers = [ticket_number(report(resident, f"晋祠镇花塔村路口有人摆摊占道！！{'!' * n}", category="占道经营"))
               for n in range(4)]
    held = [ticket(sessions, number).held for number in numbers]
    assert held == [False, False, True, True]
    assert "刷屏" in ticket(sessions, numbers[2]).route_reason


def test_different_reports_in_a_row_are_not_flooding(resident, sessions):
    numbers = [ticket_number(report(resident, words, category=name)) for words, name in [
        ("晋祠镇花塔村路口有人摆摊占道", "占道经营"), ("晋祠镇花塔村垃圾桶满了好几天没人倒", "环境卫生"),
        ("晋祠镇花塔村路灯坏了一排", "市政设施"), ("晋祠镇花塔村有人在河里倒垃圾", "河道水体")]]
    assert not any(ticket(sessions, number).held for number in numbers)


def test_the_same_report_again_after_the_flood_window_is_not_held(resident, sessions):
    words = "晋祠镇花塔村路口有人摆摊占道"
    for _ in range(2):
        ticket_number(report(resident, words, category="占道经营"))
    with sessions() as session, session.begin():  # the two earlier reports were an hour ago
        session.execute(update(Draft).values(updated_at=Draft.updated_at - timedelta(hours=1)))
    assert not ticket(sessions, ticket_number(report(resident, words, category="占道经营"))).held
