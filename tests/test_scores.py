"""谁丢分、谁受责: each scoring rule on a constructed history, with the figure a reader of the 通报 expects."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cases.scores import compute_scoreboard
from bot.cases.workflow import Actor, Inputs, do_transition
from bot.catalogue.snapshot import load_snapshot
from bot.infra.db import transaction
from models import Department, Photo, Resident, StaffAccount, Ticket, TicketStatus, utcnow

SERIAL = itertools.count(1)
HQ = Actor("staff:hq", "hq", "hq", "admin")
BOSS = Actor("staff:boss-s", "urban_mgmt", "department", "admin", 801)
CLERK = Actor("staff:clerk-s", "urban_mgmt", "department", "staff", 802)
WATER = Actor("staff:water-s", "water_affairs", "department", "admin", 803)
REPORTER = Actor("resident", "", "resident", "", resident_id=1)
HOUR = timedelta(hours=1)
RETURN_WINDOW = timedelta(hours=24)   # [workflow] return_window_hours' default


class History:
    """One ticket's life, step by step at chosen moments, through the same service the portal calls."""

    def __init__(self, session, catalogue, start, *, town: str = "jinci"):
        self.session, self.catalogue, self.at = session, catalogue, start
        self.ticket = Ticket(number=f"JY-20260301-{next(SERIAL):04d}", description="花塔村路口有人摆摊",
                             category_code="street_vending", resident_id=1, town_code=town,
                             lead_department_code="hq", status=TicketStatus.RECEIVED, deadline_at=start,
                             created_at=start, updated_at=start)
        session.add(self.ticket)
        session.flush()

    def step(self, actor, action, *, after=timedelta(0), photos=0, **given):
        self.at += after
        pictures = []
        for _ in range(photos):
            pictures.append(Photo(kind="after", media_id=f"after-{next(SERIAL)}", status="stored"))
            self.session.add(pictures[-1])
        self.session.flush()
        do_transition(self.ticket, actor, action, now=self.at, session=self.session, photos=pictures,
                      inputs=Inputs(**given), catalogue=self.catalogue)
        return self

    def dispatch(self, code, *, after=timedelta(0)):
        department = self.session.scalar(select(Department).where(Department.code == code))
        return self.step(HQ, "dispatch", after=after, department=department)

    def resolve(self, actor=CLERK, *, after=timedelta(0)):
        self.step(actor, "accept", after=after)
        return self.step(actor, "resolve", note="已处置", photos=1)

    @property
    def deadline(self):
        return self.ticket.deadline_at


@pytest.fixture
def world(sessions):
    """A session with the catalogue, the reporter and urban_mgmt's and water_affairs' staff; yields a scorer."""
    with transaction(sessions) as session:
        session.add(Resident(id=1, openid="o-reporter"))
        for actor in (BOSS, CLERK, WATER):
            session.add(StaffAccount(id=actor.staff_id, username=actor.name.removeprefix("staff:"),
                                     display_name=actor.name.removeprefix("staff:"), password_hash="x",
                                     department_code=actor.department_code, role=actor.role))
        session.flush()
        catalogue = load_snapshot(session=session)
        start = utcnow() - timedelta(days=10)

        def board(now=None):
            session.flush()
            today = catalogue.calendar.local(utcnow()).date()
            return compute_scoreboard(today - timedelta(days=20), today, now or utcnow(), session=session,
                                      catalogue=catalogue, return_window=RETURN_WINDOW)

        yield session, catalogue, start, board


def score(scores, key):
    return next(s for s in scores if s.key == key)


def test_overdue_is_charged_to_the_holder_whose_deadline_ran_out(world):
    session, catalogue, start, board = world
    case = History(session, catalogue, start).dispatch("urban_mgmt")
    case.step(CLERK, "accept")
    case.dispatch("water_affairs", after=case.deadline - case.at + 2 * HOUR)   # 城管 sat on it past its deadline
    case.resolve(WATER, after=HOUR)                                         # 水务 finished well inside its own
    result = board()
    urban, water = score(result.departments, "urban_mgmt"), score(result.departments, "water_affairs")
    assert (urban.received, urban.resolved, urban.overdue) == (1, 0, 1)
    assert (water.received, water.resolved, water.on_time, water.overdue) == (1, 1, 1, 0)
    assert [c.department for c in result.overdue_cases] == ["区城市管理局"] and not result.overdue_cases[0].still_open


def test_a_return_in_time_that_hq_accepts_is_not_the_departments_fault(world):
    session, catalogue, start, board = world
    History(session, catalogue, start).dispatch("urban_mgmt") \
        .step(BOSS, "return", after=HOUR, note="属河道问题").dispatch("water_affairs", after=HOUR)
    refused = History(session, catalogue, start).dispatch("urban_mgmt")
    refused.step(BOSS, "return", after=HOUR, note="不归我们").dispatch("urban_mgmt", after=HOUR)   # HQ sends it back
    late = History(session, catalogue, start).dispatch("urban_mgmt")
    late.step(BOSS, "return", after=30 * HOUR, note="拖了一天多才退").dispatch("water_affairs", after=HOUR)
    urban = score(board().departments, "urban_mgmt")
    assert (urban.returns, urban.returns_justified) == (3, 1)
    # The justified turn is left out; the refused return's two turns and the late return's turn count.
    assert urban.received == 3


def test_a_granted_extension_moves_the_deadline_and_a_refused_one_does_not_count_hqs_wait(world):
    session, catalogue, start, board = world
    granted = History(session, catalogue, start).dispatch("urban_mgmt")
    granted.step(CLERK, "request_extension", after=HOUR, note="需协调供电公司", deadline=granted.deadline + 48 * HOUR)
    granted.step(HQ, "grant_extension", after=HOUR)
    granted.resolve(after=granted.deadline - granted.at - HOUR)   # a day after the first deadline, inside the new one
    refused = History(session, catalogue, start).dispatch("urban_mgmt")
    first_deadline = refused.deadline
    refused.step(CLERK, "request_extension", after=HOUR, note="人手不足", deadline=first_deadline + 24 * HOUR)
    refused.step(HQ, "refuse_extension", after=5 * HOUR, note="请按时办结")
    assert refused.deadline == first_deadline + 5 * HOUR      # the five hours HQ took are given back
    refused.resolve(after=refused.deadline - refused.at - HOUR)
    urban = score(board().departments, "urban_mgmt")
    assert (urban.received, urban.resolved, urban.on_time, urban.overdue) == (2, 2, 2, 0)
    assert (urban.extensions_asked, urban.extensions_granted) == (2, 1)


def test_a_clock_stopped_for_hqs_decision_is_not_overdue(world):
    session, catalogue, start, board = world
    waiting = History(session, catalogue, start).dispatch("urban_mgmt")
    waiting.step(CLERK, "request_extension", after=HOUR, note="需要预算", deadline=waiting.deadline + 72 * HOUR)
    result = board(now=waiting.deadline + 24 * HOUR)           # HQ has not decided a day past the old deadline
    assert score(result.departments, "urban_mgmt").overdue == 0 and result.totals.overdue == 0


def test_a_reopened_resolution_is_rework_for_the_department_that_resolved_it(world):
    session, catalogue, start, board = world
    case = History(session, catalogue, start).dispatch("urban_mgmt").resolve(after=HOUR)
    case.step(REPORTER, "reopen", after=HOUR, note="摊位又回来了").resolve(after=HOUR)
    case.step(REPORTER, "verify", after=HOUR)
    case.ticket.rating = 1
    urban = score(board().departments, "urban_mgmt")
    assert (urban.received, urban.resolved, urban.reopened) == (2, 2, 1)
    assert (urban.rated, urban.satisfied, urban.closed) == (1, 1, 1)   # the rating belongs to the resolution that stood


def test_urging_counts_against_the_department_urged(world):
    session, catalogue, start, board = world
    case = History(session, catalogue, start).dispatch("urban_mgmt")
    case.step(HQ, "urge", after=HOUR, note="请于今日内处置").step(HQ, "urge", after=HOUR, note="再次督办")
    case.dispatch("water_affairs", after=HOUR).step(HQ, "urge", after=HOUR, note="请水务局尽快处置")
    result = board()
    assert score(result.departments, "urban_mgmt").urged == 2 and score(result.departments, "water_affairs").urged == 1
    assert result.totals.urges == 3 and [u.department for u in result.urges] == ["区城市管理局"] * 2 + ["区水务局"]


def test_a_staff_members_score_follows_the_tickets_assigned_to_them(world):
    session, catalogue, start, board = world
    clerk = session.get(StaffAccount, CLERK.staff_id)
    History(session, catalogue, start).dispatch("urban_mgmt").step(BOSS, "assign", after=HOUR, assignee=clerk) \
        .resolve(after=HOUR)
    History(session, catalogue, start).dispatch("urban_mgmt").resolve(BOSS, after=HOUR)   # whoever accepts works it
    people = board().people
    assert {(p.key, p.received, p.resolved) for p in people} == {("clerk-s", 1, 1), ("boss-s", 1, 1)}


def test_towns_are_charged_for_their_tickets_turns(world):
    session, catalogue, start, board = world
    History(session, catalogue, start, town="jinci").dispatch("urban_mgmt").resolve(after=HOUR)
    late = History(session, catalogue, start, town="luocheng").dispatch("urban_mgmt")
    result = board(now=late.deadline + HOUR)
    assert score(result.towns, "jinci").overdue == 0 and score(result.towns, "luocheng").overdue == 1
    assert result.towns[0].key == "jinci"   # ranked best first


def test_held_rejected_merged_and_hq_only_tickets_are_hqs_own_columns(world):
    session, catalogue, start, board = world
    History(session, catalogue, start).step(HQ, "reject", note="非本区事项")
    History(session, catalogue, start).ticket.held = True
    History(session, catalogue, start)                                  # still with HQ, never dispatched
    original = History(session, catalogue, start).dispatch("urban_mgmt")
    History(session, catalogue, start).step(HQ, "merge", merge_target=original.ticket)
    result = board()
    totals = result.totals
    assert (totals.reports, totals.rejected, totals.held, totals.merged, totals.hq_only, totals.dispatched) \
        == (5, 1, 1, 1, 1, 1)
    assert score(result.departments, "urban_mgmt").received == 1
