"""The portal as clerks use it (through HTTP): login, queues, actions, isolation, scores and exports."""
from __future__ import annotations

import csv
import html
import io
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from bot.app import create_app
from bot.cases.workflow import BULK_ACTIONS, RULES, RULES_BY_ACTION
from bot.web.portal.bulk import BULK_LIMIT, fits_bulk
from models import Photo, Ticket, TicketEvent, TicketStatus, utcnow
from tests import images
from tests.conftest import make_settings
from tests.support import (
    CSRF,
    PASSWORD,
    TICKET_NUMBER,
    Clerk,
    civicbot,
    config_file,
    report,
    status_of,
    ticket_number,
)


def test_pages_need_a_login_and_a_wrong_password_is_refused(app, accounts):
    visitor = app.test_client()
    response = visitor.get("/portal/tickets")
    assert response.status_code == 302 and "/portal/login" in response.location
    wrong = Clerk(app, "chen").login("not the password")
    assert wrong.status_code == 200 and "账号或密码不正确" in wrong.get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_refused(app, accounts):
    response = app.test_client().post("/portal/login", data={"username": "chen", "password": PASSWORD})
    assert response.status_code == 400


def test_the_whole_case_from_queue_to_closed(clerk, sessions, vending_ticket):
    chen, hq = clerk("chen"), clerk("hq")
    queue = chen.page("/portal/tickets?tab=new").get_data(as_text=True)
    assert vending_ticket in queue and "占道经营" in queue
    page = chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    assert "接单处置" in page and "晋祠镇花塔村路口有人摆摊" in page and "核查通过" not in page
    assert "已完成" in chen.act(vending_ticket, "accept").get_data(as_text=True)
    refused = chen.act(vending_ticket, "resolve", note="已劝离").get_data(as_text=True)
    assert "请上传至少一张照片" in refused and status_of(sessions, vending_ticket) == TicketStatus.IN_PROGRESS
    assert ">已劝离</textarea>" in refused   # what the clerk typed is still there
    chen.act(vending_ticket, "resolve", note="已劝离摊贩，路面已清理", photos=[("after.jpg", images.jpeg())])
    assert status_of(sessions, vending_ticket) == TicketStatus.RESOLVED
    with sessions() as session:
        after = session.scalar(select(Photo).where(Photo.kind == "after"))
        assert after.event_id and after.status == "stored"
    page = hq.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    assert f"/portal/photos/{after.id}/thumbnail" in page
    assert hq.page(f"/portal/photos/{after.id}/display").mimetype == "image/jpeg"
    hq.act(vending_ticket, "verify")
    hq.act(vending_ticket, "close", note="核查属实")
    assert status_of(sessions, vending_ticket) == TicketStatus.CLOSED
    history = hq.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)
    # Who did what, by name and department, not by account id
    for step in ("chen（区城市管理局）", "hq（区创城指挥部）", "已劝离摊贩", "附照片 1 张"):
        assert step in history


def test_return_and_reassignment_through_hq(clerk, sessions, vending_ticket):
    clerk("chen").act(vending_ticket, "return", note="不归我们")   # staff may not return
    assert status_of(sessions, vending_ticket) == TicketStatus.DISPATCHED
    clerk("boss").act(vending_ticket, "return", note="属河道问题，应由水务局处理")
    hq = clerk("hq")
    assert vending_ticket in hq.page("/portal/tickets?tab=triage").get_data(as_text=True)
    hq.act(vending_ticket, "dispatch", note="改派水务局", department="water_affairs")
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == vending_ticket))
        assert ticket.lead_department_code == "water_affairs" and ticket.status == TicketStatus.DISPATCHED
    assert vending_ticket in clerk("liu").page("/portal/tickets?tab=new").get_data(as_text=True)


def test_another_departments_staff_can_neither_see_nor_act(clerk, sessions, vending_ticket):
    """Every ticket URL and every action, tried with accounts that have no business with this ticket."""
    with sessions() as session, session.begin():
        photo_id = session.scalar(select(Photo.id))
        session.execute(update(Photo).values(status="stored", display_key="photos/x/display.jpg",
                                             thumbnail_key="photos/x/thumbnail.jpg"))
    attempts = refused = 0
    for username in ("liu", "he"):
        outsider = clerk(username)
        paths = [f"/portal/tickets/{vending_ticket}", f"/portal/photos/{photo_id}/display",
                 f"/portal/photos/{photo_id}/thumbnail"]
        for path in paths:
            attempts += 1
            refused += outsider.page(path).status_code == 404
        queue = outsider.page(f"/portal/tickets?tab=all&q={vending_ticket}").get_data(as_text=True)
        attempts += 1
        refused += f'href="/portal/tickets/{vending_ticket}"' not in queue
        csv = outsider.page(f"/portal/tickets.csv?tab=all&q={vending_ticket}").get_data(as_text=True)
        attempts += 1
        refused += vending_ticket not in csv
        token = outsider.csrf("/portal/tickets")
        for rule in RULES:
            attempts += 1
            response = outsider.client.post(f"/portal/tickets/{vending_ticket}/act",
                                            data={"action": rule.action, "note": "试图越权", "csrf_token": token,
                                                  "department": "water_affairs"})
            refused += response.status_code == 404
    assert status_of(sessions, vending_ticket) == TicketStatus.DISPATCHED
    assert refused == attempts
    print(f"isolation: {refused} of {attempts} attempts refused")


def test_the_town_office_sees_its_towns_tickets_but_cannot_work_them(clerk, sessions, vending_ticket):
    zhao = clerk("zhao")
    page = zhao.page(f"/portal/tickets/{vending_ticket}")
    assert page.status_code == 200 and "接单处置" not in page.get_data(as_text=True)
    zhao.act(vending_ticket, "accept")
    assert status_of(sessions, vending_ticket) == TicketStatus.DISPATCHED


def test_overdue_tickets_are_marked_in_lists_and_on_hqs_overdue_tab(app, clerk, sessions, vending_ticket):
    with sessions() as session, session.begin():
        session.execute(update(Ticket).values(deadline_at=utcnow() - timedelta(hours=2)))
    assert app.extensions["civicbot"].jobs.check_deadlines() == (0, 1)
    chen_queue = clerk("chen").page("/portal/tickets?tab=overdue").get_data(as_text=True)
    assert vending_ticket in chen_queue and "超期" in chen_queue
    hq_queue = clerk("hq").page("/portal/tickets?tab=overdue").get_data(as_text=True)
    assert vending_ticket in hq_queue
    with sessions() as session:
        assert session.scalar(select(TicketEvent.reason).where(TicketEvent.action == "flag")).startswith("已超过")


def test_filters_and_search(clerk, resident, another_resident, vending_ticket):
    other = ticket_number(report(another_resident, "古唐苑小区门口的井盖丢了，很危险"))
    hq = clerk("hq")
    by_category = hq.page("/portal/tickets?tab=all&category=public_facility").get_data(as_text=True)
    assert other in by_category and vending_ticket not in by_category
    by_number = hq.page(f"/portal/tickets?tab=all&q={vending_ticket[-4:]}").get_data(as_text=True)
    assert vending_ticket in by_number
    by_town = hq.page("/portal/tickets?tab=all&town=yijing").get_data(as_text=True)
    assert vending_ticket not in by_town and other not in by_town
    by_date = hq.page("/portal/tickets?tab=all&from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert "没有符合条件的工单" in by_date


def test_scoreboard_table_chart_and_csv_for_hq_only(clerk, sessions, vending_ticket):
    chen, hq = clerk("chen"), clerk("hq")
    chen.act(vending_ticket, "accept")
    chen.act(vending_ticket, "resolve", note="已清理", photos=[("after.jpg", images.jpeg())])
    assert chen.page("/portal/scores").status_code == 403
    page = hq.page("/portal/scores").get_data(as_text=True)
    assert "区城市管理局" in page and "晋祠镇" in page and "<svg" in page and "100.0%" in page
    csv = hq.page("/portal/scores.csv").get_data(as_text=True)
    assert csv.startswith("\ufeff类型,名称") and "区城市管理局,1,0,100.0%,0" in csv
    tickets_csv = chen.page("/portal/tickets.csv?tab=all").get_data(as_text=True)
    assert vending_ticket in tickets_csv and "占道经营" in tickets_csv


SVG = "{http://www.w3.org/2000/svg}"


def charts_in(page: str) -> list[ET.Element]:
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, re.S)]


def chart_texts(chart: ET.Element, css_class: str) -> list[str]:
    return [t.text or "" for g in chart.iter(f"{SVG}g") if css_class in (g.get("class") or "").split()
            for t in g.iter(f"{SVG}text")]


def test_scoreboard_draws_rates_and_counts_apart_and_counts_in_whole_numbers(clerk, vending_ticket):
    chen, hq = clerk("chen"), clerk("hq")
    chen.act(vending_ticket, "accept")
    chen.act(vending_ticket, "resolve", note="已清理", photos=[("after.jpg", images.jpeg())])
    page = hq.page("/portal/scores").get_data(as_text=True)
    charts = charts_in(page)
    assert len(charts) == 4                 # 责任部门 and 镇街, each a rates chart and a counts chart
    titles = [" ".join(chart_texts(c, "titles")) for c in charts]
    rates = [c for c, t in zip(charts, titles, strict=True) if "按时办结率" in t]
    counts = [c for c, t in zip(charts, titles, strict=True) if "受理" in t]
    assert len(rates) == 2 and len(counts) == 2
    for chart in rates:
        assert "超期件数" not in "".join(chart.itertext())
        assert chart_texts(chart, "x")[-1] == "100"       # the rate axis always runs to 100 %
    for chart in counts:
        assert "按时办结率" not in "".join(chart.itertext())
        labels = chart_texts(chart, "x")
        assert labels and all(label.isdigit() for label in labels), labels
        assert len(labels) == len(set(labels)), labels
    assert all(c.get("width") is None for c in charts)    # scaled by CSS to the screen, not a fixed size
    assert "height: auto" in hq.page("/portal/static/portal.css").get_data(as_text=True)


def test_scoreboard_for_a_period_without_tickets_says_so_instead_of_drawing(clerk, vending_ticket):
    page = clerk("hq").page("/portal/scores?from=2001-01-01&to=2001-01-02").get_data(as_text=True)
    assert "所选时段内没有工单，暂无图表。" in page and "<svg" not in page


def test_staff_commands_create_accounts_change_passwords_and_demo_accounts(app, settings, tmp_path):
    config = config_file(tmp_path / "staff.toml", settings, "[portal]\ndemo_accounts = true\n")
    added = civicbot(config, "staff", "add", "wu", "--department", "urban_mgmt", "--password", "first-password-1")
    assert added.exit_code == 0, added.stderr
    short = civicbot(config, "staff", "add", "xu", "--department", "urban_mgmt", "--password", "short")
    assert short.exit_code != 0 and "至少" in short.stderr
    assert Clerk(app, "wu").login("first-password-1").status_code == 302
    changed = civicbot(config, "staff", "passwd", "wu", "--password", "second-password-2")
    assert changed.exit_code == 0
    assert Clerk(app, "wu").login("first-password-1").status_code == 200
    assert Clerk(app, "wu").login("second-password-2").status_code == 302
    demo = civicbot(config, "staff", "demo")
    assert demo.exit_code == 0 and "DEMO" in demo.stdout
    line = next(row for row in demo.stdout.splitlines() if row.startswith("demo-water_affairs"))
    username, password = line.split("\t")[:2]
    assert Clerk(app, username).login(password).status_code == 200   # this portal runs without demo accounts
    demo_portal = create_app(make_settings(tmp_path, settings.database.url, portal={"demo_accounts": True}))
    assert Clerk(demo_portal, username).login(password).status_code == 302


def test_the_ticket_export_carries_what_a_city_platform_needs_and_no_formula_runs(clerk, resident):
    formula = '=HYPERLINK("http://example.invalid/x","点我") 晋祠镇花塔村路口有人摆摊占道，每天早上都有'
    number = ticket_number(report(resident, formula))
    chen, boss, hq = clerk("chen"), clerk("boss"), clerk("hq")
    # A link in a report holds it for HQ's review; HQ finds it genuine and dispatches it.
    assert "已完成" in hq.act(number, "dispatch", department="urban_mgmt").get_data(as_text=True)
    returned = boss.act(number, "return", note="-不属于本部门：摊位在小区内").get_data(as_text=True)
    assert "已完成" in returned, returned[-1500:]
    export = hq.page("/portal/tickets.csv?tab=all").get_data(as_text=True)
    assert export.startswith("\ufeff编号,状态,类别,国标大类代码")
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    header, row = rows[0], next(row for row in rows[1:] if row[0] == number)
    cells = dict(zip(header, row, strict=True))
    # Excel and WPS run a cell that starts with = + - @ as a formula: the resident's text must stay text.
    assert cells["问题描述"] == "'" + formula
    assert cells["退回理由"] == "'-不属于本部门：摊位在小区内"
    assert cells["类别"] == "占道经营" and cells["国标大类代码"] == "05" and cells["属地"] == "晋祠镇"
    assert cells["是否超期"] == "否" and cells["处理时限"]
    assert chen.page("/portal/tickets.csv?tab=all").status_code == 200


# Lists as staff work them all day: sorting, the header search, filters kept in links, bulk actions -----------------

S = TicketStatus


def ticket_at(sessions, number: str, status: TicketStatus = S.DISPATCHED, *, lead: str = "urban_mgmt",
              due_in: timedelta = timedelta(days=1), triage: bool = False) -> str:
    """A ticket as the router or earlier steps left it, set up directly so that a list has chosen deadlines."""
    now = utcnow()
    with sessions() as session, session.begin():
        session.add(Ticket(number=number, description="花塔村路口有人摆摊", category_code="street_vending",
                           town_code="jinci", lead_department_code=lead, status=status, needs_triage=triage,
                           deadline_at=now + due_in, created_at=now, updated_at=now))
    return number


def numbers_in(page: str) -> list[str]:
    """The ticket numbers a list shows, top to bottom."""
    return list(dict.fromkeys(TICKET_NUMBER.findall(page.split("<tbody>", 1)[1])))


def hrefs(page: str, around: str) -> list[str]:
    """The links inside the first element that starts with `around` (e.g. '<nav class="tabs">')."""
    part = page.split(around, 1)[1].split("</nav>", 1)[0].split("</form>", 1)[0]
    return [html.unescape(link) for link in re.findall(r'href="([^"]+)"', part)]


def args_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_sorting_by_deadline_puts_the_most_urgent_first(clerk, sessions):
    later = ticket_at(sessions, "JY-20260301-0001", due_in=timedelta(days=3))
    soonest = ticket_at(sessions, "JY-20260301-0002", due_in=timedelta(hours=1))
    middle = ticket_at(sessions, "JY-20260301-0003", due_in=timedelta(days=1))
    hq = clerk("hq")
    by_deadline = hq.page("/portal/tickets?tab=all&sort=deadline").get_data(as_text=True)
    assert numbers_in(by_deadline) == [soonest, middle, later]
    assert '<option value="deadline" selected>' in by_deadline
    assert numbers_in(hq.page("/portal/tickets?tab=all").get_data(as_text=True)) == [middle, soonest, later]
    assert numbers_in(hq.page("/portal/tickets?tab=all&sort=oldest").get_data(as_text=True)) == [later, soonest,
                                                                                                middle]
    export = hq.page("/portal/tickets.csv?tab=all&sort=deadline").get_data(as_text=True)
    assert TICKET_NUMBER.findall(export) == [soonest, middle, later]   # the export is in the list's order


def test_filters_stay_in_tab_page_and_export_links_and_on_the_way_back_from_a_ticket(clerk, sessions):
    for serial in range(1, 53):
        ticket_at(sessions, f"JY-20260302-{serial:04d}", due_in=timedelta(hours=serial))
    hq = clerk("hq")
    kept = {"category": "street_vending", "town": "jinci", "sort": "deadline"}
    first = hq.page("/portal/tickets?tab=all&category=street_vending&town=jinci&sort=deadline").get_data(as_text=True)
    assert numbers_in(first)[0] == "JY-20260302-0001" and len(numbers_in(first)) == 50
    for link in hrefs(first, '<nav class="tabs">'):
        assert args_of(link).items() >= kept.items(), link
    export = next(link for link in hrefs(first, '<form class="filters"') if "tickets.csv" in link)
    assert args_of(export).items() >= kept.items()
    next_page = hrefs(first, '<nav class="pager">')[-1]
    assert args_of(next_page) == {"tab": "all", **kept, "page": "2"}
    second = hq.page(next_page).get_data(as_text=True)
    assert numbers_in(second) == ["JY-20260302-0051", "JY-20260302-0052"]
    # A clerk opens a ticket from page 2, works it, and goes back: the same page of the same list.
    opened = next(link for link in re.findall(r'href="([^"]+)"', second) if "JY-20260302-0051" in link)
    ticket_page = hq.page(html.unescape(opened)).get_data(as_text=True)
    assert args_of(hrefs(ticket_page, '<p class="back">')[0]) == args_of(next_page)
    worked = hq.act("JY-20260302-0051", "dispatch", department="water_affairs").get_data(as_text=True)
    assert "已完成" in worked
    back = hrefs(worked, '<p class="back">')[0]
    assert args_of(back) == args_of(next_page)


def test_a_wild_page_number_or_unknown_filter_shows_a_list_not_an_error(clerk, vending_ticket):
    hq = clerk("hq")
    for query in ("page=99999999999999999999", "page=-4", "page=abc", "page=" + "9" * 5000, "sort=loudest",
                  "tab=nope", "status=lost", "category=%3Cscript%3E", "town=atlantis", "from=9999-12-31",
                  "to=0001-01-01", "from=2026-02-30", "q=%25", "q=" + "X" * 500):
        response = hq.page(f"/portal/tickets?{query}")
        assert response.status_code == 200, query
        assert hq.page(f"/portal/tickets.csv?{query}").status_code == 200, query
    huge = hq.page("/portal/tickets?tab=all&page=99999999999999999999").get_data(as_text=True)
    assert "第 10000 页" in huge and "本页没有工单" in huge
    ignored = hq.page("/portal/tickets?tab=all&category=nonsense&sort=loudest").get_data(as_text=True)
    assert vending_ticket in ignored     # an unknown category or sort is left out, not applied


def test_the_header_search_opens_a_ticket_and_never_reveals_another_departments(clerk, vending_ticket):
    chen, liu = clerk("chen"), clerk("liu")
    full_width = "".join(chr(ord(character) + 0xFEE0) for character in vending_ticket)   # ＪＹ－２０…
    for typed in (f"+{vending_ticket.lower()}+", full_width):
        opened = chen.page(f"/portal/search?number={typed}")
        assert opened.status_code == 302 and opened.location == f"/portal/tickets/{vending_ticket}", typed
    partial = chen.client.get(f"/portal/search?number={vending_ticket[-6:]}", follow_redirects=True)
    assert args_of(partial.request.url) == {"tab": "all", "q": vending_ticket[-6:]}
    assert vending_ticket in numbers_in(partial.get_data(as_text=True))
    not_theirs = liu.client.get(f"/portal/search?number={vending_ticket}", follow_redirects=True)
    assert f"未找到工单 {vending_ticket}" in not_theirs.get_data(as_text=True)
    assert f'href="/portal/tickets/{vending_ticket}' not in not_theirs.get_data(as_text=True)
    missing = liu.client.get("/portal/search?number=JY-20010101-0001", follow_redirects=True)
    # The same answer, word for word (but for the number asked and the form's signed token).
    assert (CSRF.sub("", not_theirs.get_data(as_text=True)).replace(vending_ticket, "N")
            == CSRF.sub("", missing.get_data(as_text=True)).replace("JY-20010101-0001", "N"))
    assert 'action="/portal/search"' in chen.page(f"/portal/tickets/{vending_ticket}").get_data(as_text=True)


def test_hq_dispatches_many_at_once_and_is_told_which_were_refused_and_why(clerk, sessions):
    first = ticket_at(sessions, "JY-20260303-0001", S.REGISTERED, lead="hq", triage=True)
    second = ticket_at(sessions, "JY-20260303-0002", S.RECEIVED, lead="hq", triage=True)
    closed = ticket_at(sessions, "JY-20260303-0003", S.CLOSED, lead="hq")
    hq = clerk("hq")
    triage = hq.page("/portal/tickets?tab=triage&sort=deadline").get_data(as_text=True)
    assert triage.count('name="numbers"') == 2 and "派遣 / 改派" in triage
    everything = hq.page("/portal/tickets?tab=all").get_data(as_text=True)
    assert f'value="{closed}"' not in everything       # nothing to do with a closed ticket: no checkbox
    done = hq.bulk("dispatch", [first, second, closed], department="urban_mgmt",
                   back="/portal/tickets?tab=triage&sort=deadline")
    page = done.get_data(as_text=True)
    assert "成功 2 张" in page and "未办理 1 张" in page
    assert f"未办理 {closed}：当前状态或权限下不能“派遣 / 改派”。" in page
    assert args_of(done.request.url) == {"tab": "triage", "sort": "deadline"}   # back on the same list
    with sessions() as session:
        for number in (first, second):
            ticket = session.scalar(select(Ticket).where(Ticket.number == number))
            assert ticket.status == S.DISPATCHED and ticket.lead_department_code == "urban_mgmt"
            event = session.scalar(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                             TicketEvent.action == "dispatch"))
            assert event.actor == "staff:hq" and event.reason == "派往区城市管理局"
        assert session.scalar(select(Ticket.status).where(Ticket.number == closed)) == S.CLOSED


def test_a_department_admin_accepts_in_bulk_and_staff_get_no_checkboxes(clerk, sessions, vending_ticket):
    other = ticket_at(sessions, "JY-20260304-0001")
    theirs = ticket_at(sessions, "JY-20260304-0002", lead="water_affairs")
    chen, boss = clerk("chen"), clerk("boss")
    assert 'name="numbers"' not in chen.page("/portal/tickets?tab=new").get_data(as_text=True)
    assert chen.bulk("accept", [vending_ticket], back="/portal/tickets?tab=new").status_code == 403
    assert 'name="numbers"' in boss.page("/portal/tickets?tab=new").get_data(as_text=True)
    page = boss.bulk("accept", [vending_ticket, other, theirs], back="/portal/tickets?tab=new").get_data(as_text=True)
    assert "成功 2 张" in page and f"未办理 {theirs}：未找到该工单。" in page
    assert status_of(sessions, vending_ticket) == status_of(sessions, other) == S.IN_PROGRESS
    assert status_of(sessions, theirs) == S.DISPATCHED


def test_bulk_needs_the_csrf_token_a_department_and_at_most_the_batch_limit(clerk, sessions):
    number = ticket_at(sessions, "JY-20260305-0001", S.REGISTERED, lead="hq", triage=True)
    hq = clerk("hq")
    forged = hq.client.post("/portal/tickets/bulk", data={"action": "dispatch", "numbers": [number],
                                                          "department": "urban_mgmt"})
    assert forged.status_code == 400
    no_department = hq.bulk("dispatch", [number]).get_data(as_text=True)
    assert "请选择承办部门" in no_department
    too_many = [f"JY-20260305-{serial:04d}" for serial in range(1, BULK_LIMIT + 2)]
    assert f"一次最多批量办理 {BULK_LIMIT} 张" in hq.bulk("dispatch", too_many, department="urban_mgmt").get_data(
        as_text=True)
    assert status_of(sessions, number) == S.REGISTERED
    # Every action offered in bulk needs nothing a batch cannot give (a note, a photo, a ticket to merge into).
    assert BULK_ACTIONS and all(fits_bulk(RULES_BY_ACTION[action]) for action in BULK_ACTIONS)
