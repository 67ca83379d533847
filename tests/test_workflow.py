"""The case workflow: every transition rule, who may make it, and what it needs."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cases.deadlines import do_check_deadlines
from bot.cases.statuses import CLOCK_STATES
from bot.cases.workflow import (
    DEPT_ADMIN,
    DEPT_STAFF,
    HQ_ADMIN,
    RESIDENT,
    ROUTER,
    ROUTER_ACTOR,
    RULES,
    RULES_BY_ACTION,
    SYSTEM,
    Actor,
    Input,
    Inputs,
    TransitionRefused,
    do_transition,
)
from bot.catalogue.snapshot import load_snapshot
from bot.infra.db import transaction
from models import Department, Photo, Priority, Resident, StaffAccount, Ticket, TicketEvent, TicketStatus, utcnow

S = TicketStatus
SERIAL = itertools.count(1)
BOSS_ID, CLERK_ID = 901, 902   # urban_mgmt's admin and staff member, made by make_ticket
ACTORS = {
    HQ_ADMIN: Actor("staff:hq", "hq", "hq", "admin", None),
    DEPT_ADMIN: Actor("staff:boss", "urban_mgmt", "department", "admin", BOSS_ID),
    DEPT_STAFF: Actor("staff:clerk", "urban_mgmt", "department", "staff", CLERK_ID),
    RESIDENT: Actor("resident", "", RESIDENT, "", resident_id=1),   # the reporter of make_ticket's tickets
    SYSTEM: Actor("system:feedback", "", SYSTEM, ""),
    ROUTER: ROUTER_ACTOR,
}
OTHER_DEPARTMENT = Actor("staff:water", "water_affairs", "department", "admin", None)
ANOTHER_RESIDENT = Actor("resident", "", RESIDENT, "", resident_id=2)
TOWN_OFFICE = Actor("staff:town", "jinci_office", "town", "admin", None)


def make_ticket(session, status: TicketStatus, number: str) -> Ticket:
    now = utcnow()
    if session.get(Resident, 1) is None:
        session.add(Resident(id=1, openid="o-reporter"))
        for staff_id, username, role in ((BOSS_ID, "boss-w", "admin"), (CLERK_ID, "clerk-w", "staff")):
            session.add(StaffAccount(id=staff_id, username=username, display_name=username, password_hash="x",
                                     department_code="urban_mgmt", role=role))
    ticket = Ticket(number=number, description="晋祠镇花塔村路口有人摆摊", category_code="street_vending",
                    resident_id=1,
                    town_code="jinci", lead_department_code="urban_mgmt", status=status,
                    deadline_at=now + timedelta(days=1),
                    created_at=now, updated_at=now)
    session.add(ticket)
    session.flush()
    return ticket


_CATALOGUES: list = []


def catalogue_of(session):
    """The catalogue snapshot, read once: every test database is a copy of the same template."""
    if not _CATALOGUES:
        _CATALOGUES.append(load_snapshot(session=session))
    return _CATALOGUES[0]


def requirements(rule, session, ticket):
    """What the rule needs, given; and whatever must be true first (a pending extension for HQ to decide)."""
    given: dict = {}
    photos = []
    catalogue = catalogue_of(session)
    if Input.NOTE in rule.needs:
        given["note"] = "现场核实情况说明"
    if Input.REPLY in rule.needs:
        given["reply"] = "已安排处理，感谢监督"
    if Input.PHOTO in rule.needs:
        photo = Photo(kind="after", media_id=f"after-{ticket.id}-{next(SERIAL)}", status="stored")
        session.add(photo)
        session.flush()
        photos = [photo]
    if Input.DEPARTMENT in rule.needs:
        code = "water_affairs" if rule.action == "add_co_handler" else "urban_mgmt"
        given["department"] = session.scalar(select(Department).where(Department.code == code))
    if Input.MERGE_TARGET in rule.needs:
        given["merge_target"] = make_ticket(session, S.DISPATCHED, f"JY-20260102-{next(SERIAL):04d}")
    if Input.DEADLINE in rule.needs:
        given["deadline"] = ticket.deadline_at + timedelta(days=3)
    if Input.ASSIGNEE in rule.needs:
        given["assignee"] = session.get(StaffAccount, CLERK_ID)
    if Input.PRIORITY in rule.needs:
        given["priority"] = Priority.URGENT
    if Input.CATEGORY in rule.needs:
        given["category_code"] = "illegal_ads"   # the same lead (城管): the status stays
    if Input.TOWN in rule.needs:
        given["town_code"] = "jinyuan"
    if Input.LOCATION in rule.needs:
        given["location"] = "花塔村村口"
    if rule.action in ("grant_extension", "refuse_extension") and ticket.status in CLOCK_STATES:
        do_transition(ticket, ACTORS[DEPT_STAFF], "request_extension", now=utcnow(), session=session,
                      inputs=Inputs(note="需协调电力部门", deadline=ticket.deadline_at + timedelta(days=2)),
                      catalogue=catalogue)
    return {"inputs": Inputs(**given), "photos": photos, "catalogue": catalogue}


# Each rule from every source state (by a role it allows), and by every role (from its first source state).
CASES = sorted({(rule.action, source, sorted(rule.roles)[0]) for rule in RULES for source in rule.sources}
               | {(rule.action, sorted(rule.sources)[0], role) for rule in RULES for role in ACTORS})


@pytest.mark.parametrize("action, source, role", CASES, ids=[f"{a}-{s.value}-{role}" for a, s, role in CASES])
def test_each_rule_is_allowed_exactly_for_its_roles(sessions, action, source, role):
    rule = RULES_BY_ACTION[action]
    with transaction(sessions) as session:
        ticket = make_ticket(session, source, "JY-20260101-0001")
        kwargs = requirements(rule, session, ticket)
        if role in rule.roles:
            event = do_transition(ticket, ACTORS[role], rule.action, now=utcnow(), session=session, **kwargs)
            assert ticket.status == (rule.target or source)
            assert event.from_status == source and event.to_status == ticket.status
            assert event.actor == ACTORS[role].name
        else:
            with pytest.raises(TransitionRefused):
                do_transition(ticket, ACTORS[role], rule.action, now=utcnow(), session=session, **kwargs)
            assert ticket.status == source


@pytest.mark.parametrize("rule", [r for r in RULES if r.needs], ids=lambda r: r.action)
def test_a_rule_without_what_it_needs_is_refused(sessions, rule):
    with transaction(sessions) as session:
        source = sorted(rule.sources)[0]
        ticket = make_ticket(session, source, "JY-20260101-0002")
        actor = ACTORS[sorted(rule.roles)[0]]
        kwargs = requirements(rule, session, ticket)
        with pytest.raises(TransitionRefused):
            do_transition(ticket, actor, rule.action, now=utcnow(), session=session, catalogue=kwargs["catalogue"])
        assert ticket.status == source


@pytest.mark.parametrize("actor", [OTHER_DEPARTMENT, TOWN_OFFICE], ids=["other department", "town office"])
def test_only_the_lead_department_works_a_ticket(sessions, actor):
    with transaction(sessions) as session:
        ticket = make_ticket(session, S.DISPATCHED, "JY-20260101-0003")
        with pytest.raises(TransitionRefused):
            do_transition(ticket, actor, "accept", now=utcnow(), session=session)


@pytest.mark.parametrize("status", [S.CLOSED, S.REJECTED, S.MERGED])
def test_finished_tickets_take_only_notes_and_replies(sessions, status):
    talk = {"note", "reply"}
    with transaction(sessions) as session:
        ticket = make_ticket(session, status, "JY-20260101-0004")
        for rule in RULES:
            for actor in ACTORS.values():
                if rule.action in talk and actor.workflow_role in rule.roles and status in rule.sources:
                    continue
                with pytest.raises(TransitionRefused):
                    do_transition(ticket, actor, rule.action, now=utcnow(), session=session,
                                  **requirements(rule, session, ticket))
        assert ticket.status == status


def test_reassignment_changes_the_lead_and_the_reason_names_it(sessions):
    with transaction(sessions) as session:
        ticket = make_ticket(session, S.RETURNED, "JY-20260101-0005")
        water = session.scalar(select(Department).where(Department.code == "water_affairs"))
        ticket.escalated_at = ticket.warned_at = utcnow() - timedelta(hours=1)  # overdue under 城管
        ticket.deadline_at = utcnow() - timedelta(hours=2)
        now = utcnow()
        catalogue = load_snapshot(session=session)
        event = do_transition(ticket, ACTORS[HQ_ADMIN], "dispatch", now=now, session=session,
                              inputs=Inputs(note="应由水务局处理", department=water), catalogue=catalogue)
        assert ticket.lead_department_code == "water_affairs" and not ticket.needs_triage
        assert "区水务局" in event.reason and "应由水务局处理" in event.reason
        # The time limit is the new holder's, from now; 城管's escalation does not follow the case to 水务.
        assert ticket.deadline_at == catalogue.calendar.due_at(now, catalogue.categories["street_vending"].deadline)
        assert ticket.deadline_at > now and ticket.escalated_at is None and ticket.warned_at is None


def test_a_ticket_that_waits_on_hq_is_never_overdue_against_a_department(sessions):
    now = utcnow()
    with transaction(sessions) as session:
        for serial, status in enumerate([S.RECEIVED, S.REGISTERED, S.RETURNED, S.DISPATCHED], start=20):
            make_ticket(session, status, f"JY-20260101-{serial:04d}").deadline_at = now - timedelta(days=3)
    with transaction(sessions) as session:
        assert do_check_deadlines(now, timedelta(hours=4), session=session) == (0, 1)  # only the dispatched one
        escalated = session.scalars(select(Ticket.number).where(Ticket.escalated_at.is_not(None))).all()
        assert escalated == ["JY-20260101-0023"]


def test_overdue_tickets_are_escalated_once_and_due_soon_ones_warned(sessions):
    now = utcnow()
    with transaction(sessions) as session:
        late = make_ticket(session, S.DISPATCHED, "JY-20260101-0006")
        late.deadline_at = now - timedelta(hours=1)
        soon = make_ticket(session, S.IN_PROGRESS, "JY-20260101-0007")
        soon.deadline_at = now + timedelta(hours=2)
        done = make_ticket(session, S.RESOLVED, "JY-20260101-0008")
        done.deadline_at = now - timedelta(hours=5)
    with transaction(sessions) as session:
        assert do_check_deadlines(now, timedelta(hours=4), session=session) == (1, 1)
    with transaction(sessions) as session:
        assert do_check_deadlines(now, timedelta(hours=4), session=session) == (0, 0)
        reasons = {e.reason for e in session.scalars(select(TicketEvent))}
        assert any("升级至区创城指挥部" in r for r in reasons) and any("即将到期" in r for r in reasons)
        assert session.scalar(select(Ticket.escalated_at).where(Ticket.number == "JY-20260101-0006"))
        assert session.scalar(select(Ticket.escalated_at).where(Ticket.number == "JY-20260101-0008")) is None


def test_a_resident_may_confirm_only_their_own_report(sessions):
    with transaction(sessions) as session:
        ticket = make_ticket(session, S.RESOLVED, "JY-20260101-0009")
        with pytest.raises(TransitionRefused):
            do_transition(ticket, ANOTHER_RESIDENT, "verify", now=utcnow(), session=session)
        do_transition(ticket, ACTORS[RESIDENT], "verify", now=utcnow(), session=session)
        assert ticket.status == S.VERIFIED


def test_hq_reassigns_an_accepted_ticket_and_a_reopened_one_its_department_takes_up_leaves_triage(sessions):
    with transaction(sessions) as session:
        catalogue = load_snapshot(session=session)
        water = session.scalar(select(Department).where(Department.code == "water_affairs"))
        accepted = make_ticket(session, S.IN_PROGRESS, "JY-20260101-0030")
        do_transition(accepted, ACTORS[HQ_ADMIN], "dispatch", now=utcnow(), session=session,
                      inputs=Inputs(note="应由水务局处理", department=water), catalogue=catalogue)
        assert accepted.status == S.DISPATCHED and accepted.lead_department_code == "water_affairs"
        reopened = make_ticket(session, S.RESOLVED, "JY-20260101-0031")
        do_transition(reopened, ACTORS[RESIDENT], "reopen", now=utcnow(), session=session,
                      inputs=Inputs(note="摊位还在"), catalogue=catalogue)
        assert reopened.needs_triage
        do_transition(reopened, ACTORS[DEPT_STAFF], "accept", now=utcnow(), session=session)
        assert reopened.status == S.IN_PROGRESS and not reopened.needs_triage


def test_hq_verification_needs_an_on_site_photo_when_the_district_asks_for_one(sessions):
    with transaction(sessions) as session:
        ticket = make_ticket(session, S.RESOLVED, "JY-20260101-0050")
        with pytest.raises(TransitionRefused, match="照片"):
            do_transition(ticket, ACTORS[HQ_ADMIN], "verify", now=utcnow(), session=session,
                          inputs=Inputs(note="现场已清理"), verify_needs_photo=True)
        photo = Photo(kind="on_site", media_id="on-site-1", status="stored")
        session.add(photo)
        session.flush()
        do_transition(ticket, ACTORS[HQ_ADMIN], "verify", now=utcnow(), session=session,
                      inputs=Inputs(note="现场已清理"), photos=[photo], verify_needs_photo=True)
        assert ticket.status == S.VERIFIED and photo.ticket_id == ticket.id
        # The resident's own confirmation never needs one.
        other = make_ticket(session, S.RESOLVED, "JY-20260101-0051")
        do_transition(other, ACTORS[RESIDENT], "verify", now=utcnow(), session=session, verify_needs_photo=True)
        assert other.status == S.VERIFIED
