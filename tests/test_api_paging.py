"""A department's client keeps its copy of the tickets in step: GET /api/v1/tickets page by page with a cursor, the
least recently changed first, every change handed out again, bad paging refused in Chinese."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from bot.cases.deadlines import do_check_deadlines
from bot.infra.db import transaction
from bot.web.api import do_issue_token
from models import Ticket, utcnow
from tests.conftest import HUATA_VILLAGE
from tests.support import civicbot, report, ticket_number

PLACES = ["晋祠镇花塔村路口有人摆摊占道", "晋祠镇赤桥村村口有人摆摊占道", "晋祠镇王郭村菜市场外摆摊占道",
          "晋祠镇南堡村学校门口摆摊占道", "晋祠镇索村桥头有人摆摊占道"]


@pytest.fixture
def api(app, sessions):
    """An HTTP client of 城管's with its own token."""
    with transaction(sessions) as db:
        token = do_issue_token("urban_mgmt", session=db, note="同步程序")
    client = app.test_client()

    def get(path: str = "/api/v1/tickets", **query):
        return client.get(path, query_string=query, headers={"Authorization": f"Bearer {token}"})
    return get


def an_hour_back(sessions) -> None:
    """Every ticket's last change an hour earlier, as if reported then: the seconds just past are handed out again
    (SETTLE), and these tests are about what comes after."""
    with transaction(sessions) as db:
        for ticket in db.scalars(select(Ticket)):
            ticket.updated_at -= timedelta(hours=1)


@pytest.fixture
def five_stalls(sessions, resident, another_resident) -> list[str]:
    """Five street-vending tickets (城管's) of an hour ago, from two residents so that none is turned away as too
    many."""
    numbers = [ticket_number(report(resident if i % 2 else another_resident, words, category="占道经营"))
               for i, words in enumerate(PLACES)]
    an_hour_back(sessions)
    return numbers


def every_page(api, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None, int]:
    """Follow next_cursor until has_more is false: the tickets in order, the cursor to poll with, the pages read."""
    seen, pages = [], 0
    while True:
        body = api(limit=limit, **({"cursor": cursor} if cursor else {})).get_json()
        pages += 1
        seen += body["tickets"]
        cursor = body["next_cursor"]
        assert len(body["tickets"]) <= limit
        if not body["has_more"]:
            return seen, cursor, pages


def test_paging_two_at_a_time_hands_out_every_ticket_once_oldest_change_first(api, five_stalls):
    seen, cursor, pages = every_page(api, limit=2)
    assert [t["number"] for t in seen] == five_stalls and pages == 3
    assert [t["updated_at"] for t in seen] == sorted(t["updated_at"] for t in seen)
    # Polling from the last cursor: nothing new, and the cursor stays where it was.
    again = api(cursor=cursor).get_json()
    assert again["tickets"] == [] and again["next_cursor"] == cursor and again["has_more"] is False


def test_a_ticket_changed_while_paging_comes_again_later_with_its_new_status(api, clerk, five_stalls):
    first = api(limit=2).get_json()
    assert [t["number"] for t in first["tickets"]] == five_stalls[:2]
    clerk("chen").act(five_stalls[0], "accept")   # the clerk takes the first ticket while the client pages
    rest, _cursor, _pages = every_page(api, limit=2, cursor=first["next_cursor"])
    assert [t["number"] for t in rest] == five_stalls[2:] + five_stalls[:1]
    assert rest[-1]["status"] == "in_progress" and first["tickets"][0]["status"] == "dispatched"


def test_a_second_resident_reporting_the_same_stall_hands_the_ticket_out_again(api, sessions, resident,
                                                                               another_resident):
    number = ticket_number(report(resident, category="占道经营", at=HUATA_VILLAGE, label="花塔村"))
    an_hour_back(sessions)
    _seen, cursor, _pages = every_page(api, limit=10)
    report(another_resident, category="占道经营", at=HUATA_VILLAGE, label="花塔村")   # joins the same ticket
    changed = api(cursor=cursor).get_json()["tickets"]
    assert [t["number"] for t in changed] == [number] and changed[0]["reporters"] == 2
    assert "又有市民反映同一问题" in changed[0]["events"][-1]["reason"]


def test_a_deadline_warning_counts_as_a_change(api, sessions, five_stalls):
    _seen, cursor, _pages = every_page(api, limit=10)
    with transaction(sessions) as db:
        deadline = db.scalar(select(Ticket.deadline_at).where(Ticket.number == five_stalls[3]))
    with transaction(sessions) as db:   # the job, with a warning window that reaches this ticket's deadline
        do_check_deadlines(utcnow(), deadline - utcnow() + timedelta(minutes=1), session=db)
    changed = api(cursor=cursor).get_json()["tickets"]
    assert five_stalls[3] in [t["number"] for t in changed]
    assert all(t["events"][-1]["reason"] == "即将到期，请抓紧处置" for t in changed)


def test_a_change_committed_late_is_still_handed_out(api, sessions, five_stalls):
    """A change is stamped when its transaction begins: one that began before the client's last page and committed
    after it has an earlier time than the page's last ticket, and must still come."""
    def changed(number: str, seconds_ago: int) -> None:
        with transaction(sessions) as db:
            ticket = db.scalar(select(Ticket).where(Ticket.number == number))
            ticket.updated_at = utcnow() - timedelta(seconds=seconds_ago)
    changed(five_stalls[0], 2)
    seen, cursor, _pages = every_page(api, limit=10)
    assert [t["number"] for t in seen] == five_stalls[1:] + five_stalls[:1]
    changed(five_stalls[1], 5)   # began 5 s ago, committed only now
    assert five_stalls[1] in [t["number"] for t in api(cursor=cursor).get_json()["tickets"]]


def test_since_starts_at_a_change_time_with_or_without_a_zone(api, five_stalls):
    seen, _cursor, _pages = every_page(api, limit=10)
    third = seen[2]["updated_at"]   # +08:00, as the API writes times
    later = api(since=third).get_json()["tickets"]
    assert [t["number"] for t in later] == five_stalls[2:]
    as_district_time = api(since=third[:-6]).get_json()["tickets"]      # no zone: the district's own
    assert [t["number"] for t in as_district_time] == five_stalls[2:]
    assert api(since="2000-01-01").get_json()["tickets"] != []
    assert api(since="2999-01-01").get_json() == {"department": "urban_mgmt", "tickets": [], "next_cursor": None,
                                                  "has_more": False}


def test_the_status_filter_and_the_cursor_go_together(api, clerk, five_stalls):
    clerk("chen").act(five_stalls[1], "accept")
    clerk("chen").act(five_stalls[4], "accept")
    first = api(status="in_progress", limit=1).get_json()
    second = api(status="in_progress", limit=1, cursor=first["next_cursor"]).get_json()
    assert [t["number"] for t in first["tickets"] + second["tickets"]] == [five_stalls[1], five_stalls[4]]
    assert first["has_more"] is True and second["has_more"] is False


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "501"}, {"limit": "-1"}, {"limit": "１２"},
                                   {"limit": "99999999999999999999"}, {"cursor": ""}, {"cursor": "abc"},
                                   {"cursor": "MXwyMDI2LTEyLTAxfHg"}, {"cursor": "x" * 5000},
                                   {"since": "yesterday"}, {"since": "2026-02-30"}, {"since": "0001-01-01"},
                                   {"since": ""}, {"status": "nope"}])
def test_bad_paging_is_a_400_in_chinese_as_json(api, query):
    response = api(**query)
    assert response.status_code == 400 and response.is_json, query
    assert response.json["error"] == 400 and re.search(r"[\u4e00-\u9fff]", response.json["message"])


def test_the_cap_holds_and_a_page_of_it_is_served(api, five_stalls):
    body = api(limit="500").get_json()
    assert len(body["tickets"]) == 5 and body["has_more"] is False
    assert api(limit="-1").status_code == 400   # once lifted the cap; now as wrong as any other


@pytest.mark.slow   # `civicbot serve`: gunicorn and the job worker
def test_over_real_http_a_client_syncs_then_its_revoked_token_stops(five_stalls, running_bot):
    # five_stalls first: the in-process app writes a config.toml of its own where the server then writes its own.
    token = civicbot(running_bot.config, "department", "token", "urban_mgmt", "--note", "同步程序").stdout.strip()
    base, auth = f"http://127.0.0.1:{running_bot.port}/api/v1", {"Authorization": f"Bearer {token}"}
    seen, query = [], {"limit": "2"}
    while True:
        body = requests.get(f"{base}/tickets", params=query, headers=auth, timeout=10).json()
        seen += [t["number"] for t in body["tickets"]]
        query["cursor"] = body["next_cursor"]
        if not body["has_more"]:
            break
    assert seen == five_stalls
    [mine] = requests.get(f"{base}/tokens", headers=auth, timeout=10).json()["tokens"]
    assert requests.delete(f"{base}/tokens/{mine['id']}", headers=auth, timeout=10).status_code == 200
    refused = requests.get(f"{base}/tickets", params=query, headers=auth, timeout=10)
    assert refused.status_code == 401 and refused.json()["message"] == "访问令牌无效或已停用。"
    listed = civicbot(running_bot.config, "department", "tokens", "urban_mgmt").stdout
    assert "REVOKED" in listed and "同步程序" in listed and "last used" in listed
