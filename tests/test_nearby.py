"""The ticket page's 附近工单: other tickets near this one's place, any category, open or recent, only those the viewer
may see, nearest first — found through a box on the (latitude, longitude) index."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event, select, update

from bot.cases.geometry import METRES_PER_DEGREE
from bot.cases.nearby import nearby_tickets
from models import Department, Ticket, TicketStatus, utcnow
from tests.conftest import HUATA_VILLAGE, Resident
from tests.support import report, ticket_number


def north(metres: float) -> tuple[float, float]:
    return HUATA_VILLAGE[0] + metres / METRES_PER_DEGREE, HUATA_VILLAGE[1]


def south(metres: float) -> tuple[float, float]:
    return HUATA_VILLAGE[0] - metres / METRES_PER_DEGREE, HUATA_VILLAGE[1]


def reported(app, openid: str, words: str, at: tuple[float, float]) -> str:
    return ticket_number(report(Resident(app, openid), words, at=at, label="晋源区晋祠镇花塔村"))


def age(sessions, number: str, days: int, status: TicketStatus) -> None:
    """As if the ticket had been received `days` ago and now stood at `status`."""
    with sessions.begin() as session:
        session.execute(update(Ticket).where(Ticket.number == number)
                        .values(created_at=utcnow() - timedelta(days=days), status=status))


def listed(page: str) -> list[tuple[str, str]]:
    """The 附近工单 card's rows: (number, distance)."""
    card = page[page.index("附近工单"):page.index("办理记录")]
    return re.findall(r">(JY-\d{8}-\d{4})</a></td>.*?data-label=\"距离\">([^<]+)<", card, flags=re.S)


def test_a_clerk_sees_the_open_and_recent_tickets_nearby_that_are_theirs_to_see(app, sessions, clerk):
    stall = reported(app, "o-near-1", "晋祠镇花塔村路口有人摆摊占了半条路", HUATA_VILLAGE)
    flyers = reported(app, "o-near-2", "花塔村电线杆上贴满了办证小广告", north(120))           # 城管's
    rubbish = reported(app, "o-near-3", "花塔村路边垃圾桶满了，垃圾堆了好几天没人清运", north(200))  # 环卫's
    last_week = reported(app, "o-near-4", "花塔村南口有人摆摊卖水果占道", south(250))
    long_ago = reported(app, "o-near-5", "花塔村南边墙上贴了很多小广告", south(280))
    too_far = reported(app, "o-near-6", "花塔村北边垃圾没人清理，臭气熏天", north(420))
    age(sessions, last_week, 10, TicketStatus.CLOSED)     # closed, but received within nearby_days (30)
    age(sessions, long_ago, 40, TicketStatus.CLOSED)      # closed long ago: not a cluster any more

    hq_page = clerk("hq").page(f"/portal/tickets/{stall}").get_data(as_text=True)
    assert listed(hq_page) == [(flyers, "120 米"), (rubbish, "200 米"), (last_week, "250 米")]
    assert "违法小广告" in hq_page and "环境卫生" in hq_page and "已办结" in hq_page
    assert f'href="/portal/tickets/{flyers}"' in hq_page
    assert long_ago not in hq_page and too_far not in hq_page

    # 城管 does not see 环卫's ticket, here or anywhere else.
    chen_page = clerk("chen").page(f"/portal/tickets/{stall}").get_data(as_text=True)
    assert listed(chen_page) == [(flyers, "120 米"), (last_week, "250 米")]
    assert rubbish not in chen_page


def test_a_ticket_without_a_point_says_so(app, clerk):
    words_only = ticket_number(report(Resident(app, "o-near-words"), "晋祠镇花塔村路口有人摆摊占了半条路"))
    page = clerk("hq").page(f"/portal/tickets/{words_only}").get_data(as_text=True)
    assert "该反映没有定位，无法查找附近工单" in page


def test_the_database_narrows_nearby_tickets_by_the_latitude_longitude_index(app, sessions):
    stall = reported(app, "o-near-7", "晋祠镇花塔村路口有人摆摊占了半条路", HUATA_VILLAGE)
    statements: list = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == stall))
        hq = session.scalar(select(Department).where(Department.code == "hq"))
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            assert nearby_tickets(ticket, hq, metres=300, days=30, now=utcnow(), session=session) == []
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        statement, parameters = next((statement, parameters) for statement, parameters in statements
                                     if "latitude BETWEEN" in statement)
        explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        if engine.dialect.name == "postgresql":   # a table this small is read whole unless the index is usable
            session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = " ".join(str(row[-1]) for row in session.connection().exec_driver_sql(explain + statement, parameters))
    assert "ix_tickets_latitude_longitude" in plan, plan
