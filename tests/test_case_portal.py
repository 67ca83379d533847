"""The case lifecycle in the portal: 延期, 督办, 协办, assignment, HQ's corrections, notes and replies."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from bot.catalogue.snapshot import load_snapshot
from models import Notification, StaffAccount, Ticket, TicketEvent, TicketStatus, utcnow
from tests import images
from tests.support import report, status_of, ticket_number


def ticket_row(sessions, number: str) -> Ticket:
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        session.expunge(ticket)
        return ticket


def local_input(sessions, moment) -> str:
    """A moment as the browser's datetime-local field sends it (district time)."""
    with sessions() as session:
        calendar = load_snapshot(session=session).calendar
    return calendar.local(moment).strftime("%Y-%m-%dT%H:%M")


def export_row(clerk, number: str) -> dict[str, str]:
    """The ticket's row of the list's CSV export, by column title."""
    rows = list(csv.reader(io.StringIO(clerk.page("/portal/tickets.csv?tab=all").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    return dict(zip(rows[0], next(row for row in rows[1:] if row[0] == number), strict=True))


def reasons(sessions, number: str) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(TicketEvent.reason).join(Ticket).where(Ticket.number == number)
                                    .order_by(TicketEvent.id)))


def test_a_department_asks_for_an_extension_and_hq_grants_it(clerk, sessions, vending_ticket):
    chen, hq = clerk("chen"), clerk("hq")
    chen.act(vending_ticket, "accept")
    wanted = ticket_row(sessions, vending_ticket).deadline_at + timedelta(days=3)
    page = chen.act(vending_ticket, "request_extension", note="摊主答应三天内搬走",
                    deadline=local_input(sessions, wanted)).get_data(as_text=True)
    assert "已完成：申请延期" in page and "延期待审批，暂停计时" in page
    assert vending_ticket in hq.page("/portal/tickets?tab=extensions").get_data(as_text=True)
    assert "已完成：批准延期 / 挂账" in hq.act(vending_ticket, "grant_extension", note="同意").get_data(as_text=True)
    ticket = ticket_row(sessions, vending_ticket)
    assert abs(ticket.deadline_at - wanted) < timedelta(minutes=1) and ticket.extension_asked_at is None
    assert vending_ticket not in hq.page("/portal/tickets?tab=extensions").get_data(as_text=True)
    assert any("同意延期" in reason for reason in reasons(sessions, vending_ticket))
    hq.act(vending_ticket, "urge", note="请抓紧")
    row = export_row(hq, vending_ticket)
    assert "摊主答应三天内搬走" in row["延期/挂账申请"] and row["督办次数"] == "1"


def test_an_extension_to_a_date_before_the_deadline_is_refused_and_the_reason_kept(clerk, sessions, vending_ticket):
    chen = clerk("chen")
    earlier = ticket_row(sessions, vending_ticket).deadline_at - timedelta(hours=1)
    response = chen.act(vending_ticket, "request_extension", note="需要更多时间协调",
                        deadline=local_input(sessions, earlier))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "须晚于现在的处置期限" in page
    assert ">需要更多时间协调</textarea>" in page
    assert ticket_row(sessions, vending_ticket).extension_asked_at is None


def test_hq_urges_a_department_and_it_sees_the_urging_in_its_queue(clerk, sessions, vending_ticket):
    chen, hq = clerk("chen"), clerk("hq")
    hq.act(vending_ticket, "urge", note="群众反映强烈，请今日内处置")
    queue = chen.page("/portal/tickets?tab=urged").get_data(as_text=True)
    assert vending_ticket in queue and "督办" in queue
    assert "群众反映强烈" in chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    chen.act(vending_ticket, "accept")
    chen.act(vending_ticket, "resolve", note="已劝离", photos=[("after.jpg", images.jpeg())])
    assert vending_ticket not in chen.page("/portal/tickets?tab=urged").get_data(as_text=True)


def test_hq_corrects_the_category_and_the_ticket_goes_to_the_new_lead(clerk, sessions, vending_ticket):
    chen, liu, hq = clerk("chen"), clerk("liu"), clerk("hq")
    chen.act(vending_ticket, "accept")
    before = ticket_row(sessions, vending_ticket)
    page = hq.act(vending_ticket, "recategorise", note="实为河道垃圾", category="waterway").get_data(as_text=True)
    assert "已完成：更正类别" in page
    after = ticket_row(sessions, vending_ticket)
    assert after.category_code == "waterway" and after.lead_department_code == "water_affairs"
    assert after.status == TicketStatus.DISPATCHED and after.deadline_at != before.deadline_at
    assert any("占道经营 → 河道水体" in reason and "区水务局" in reason for reason in reasons(sessions, vending_ticket))
    assert liu.page(f"/portal/tickets/{vending_ticket}").status_code == 200
    assert chen.page(f"/portal/tickets/{vending_ticket}").status_code == 404


def test_hq_corrects_town_location_and_deadline_each_with_its_reason(clerk, sessions, vending_ticket):
    hq = clerk("hq")
    new_deadline = utcnow() + timedelta(days=2)
    hq.act(vending_ticket, "change_town", note="实际在罗城", town="luocheng")
    hq.act(vending_ticket, "relocate", note="市民补充了位置", location="罗城街道大运路口东侧")
    hq.act(vending_ticket, "change_deadline", note="节假日顺延", deadline=local_input(sessions, new_deadline))
    ticket = ticket_row(sessions, vending_ticket)
    assert ticket.town_code == "luocheng" and ticket.location_label == "罗城街道大运路口东侧"
    assert abs(ticket.deadline_at - new_deadline) < timedelta(minutes=1)
    history = reasons(sessions, vending_ticket)
    for expected in ("实际在罗城；属地：晋祠镇 → 罗城街道", "市民补充了位置；位置：", "节假日顺延；处置期限改为"):
        assert any(expected in reason for reason in history), expected


def test_a_co_handling_department_sees_and_comments_but_the_lead_stays_accountable(clerk, sessions, vending_ticket):
    liu, hq = clerk("liu"), clerk("hq")
    assert liu.page(f"/portal/tickets/{vending_ticket}").status_code == 404
    hq.act(vending_ticket, "add_co_handler", note="涉及河道", department="water_affairs")
    page = liu.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    assert "协办：" in page and "区水务局" in page and 'data-action="accept"' not in page
    assert "已完成：内部备注" in liu.act(vending_ticket, "note", note="河道段已派人巡查").get_data(as_text=True)
    refused = liu.act(vending_ticket, "accept")
    assert refused.status_code == 422 and status_of(sessions, vending_ticket) == TicketStatus.DISPATCHED
    assert ticket_row(sessions, vending_ticket).lead_department_code == "urban_mgmt"


def test_an_internal_note_stays_among_staff_and_a_reply_reaches_the_resident(clerk, sessions, vending_ticket):
    chen = clerk("chen")
    with sessions() as session:
        before = len(session.scalars(select(Notification)).all())
    chen.act(vending_ticket, "note", note="摊主是老熟人，明早再去")
    with sessions() as session:
        assert len(session.scalars(select(Notification)).all()) == before
    chen.act(vending_ticket, "reply", reply="已安排城管队员明早到现场处理")
    with sessions() as session:
        texts = [n.text for n in session.scalars(select(Notification).order_by(Notification.id))]
    assert len(texts) == before + 1 and "已安排城管队员明早到现场处理" in texts[-1] and "老熟人" not in texts[-1]


def test_canned_replies_of_the_category_are_offered_when_resolving(clerk, vending_ticket):
    chen = clerk("chen")
    chen.act(vending_ticket, "accept")
    page = chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    assert "已到现场劝离占道摊贩" in page   # from data/categories.toml, 占道经营's replies


def test_an_admin_assigns_a_ticket_and_it_is_in_the_staff_members_own_tab(clerk, sessions, vending_ticket):
    chen, boss = clerk("chen"), clerk("boss")
    assert vending_ticket not in chen.page("/portal/tickets?tab=mine").get_data(as_text=True)
    with sessions() as session:
        chen_id = session.scalar(select(StaffAccount.id).where(StaffAccount.username == "chen"))
    boss.act(vending_ticket, "assign", assignee=str(chen_id))
    assert vending_ticket in chen.page("/portal/tickets?tab=mine").get_data(as_text=True)
    boss.act(vending_ticket, "set_priority", priority="urgent", note="学校门口")
    assert "紧急" in chen.page("/portal/tickets?tab=mine").get_data(as_text=True)


def test_an_admin_assigns_tickets_in_bulk_to_a_staff_member(clerk, sessions, resident):
    first = ticket_number(report(resident, photo="m-1"))
    second = ticket_number(report(resident, "晋祠镇王郭村路口有人卖水果摆摊"))
    chen, boss = clerk("chen"), clerk("boss")
    with sessions() as session:
        chen_id = session.scalar(select(StaffAccount.id).where(StaffAccount.username == "chen"))
    page = boss.bulk("assign", [first, second], assignee=str(chen_id)).get_data(as_text=True)
    assert "成功 2 张" in page
    mine = chen.page("/portal/tickets?tab=mine").get_data(as_text=True)
    assert first in mine and second in mine
