"""What happens to each demo report after 提交, as a generator of moments: HQ's review and corrections, each
department's turn (回退, acceptance, assignment, 延期 and 挂账, 督办, 协办, the work), and the resident's say.

Each flow yields the simulated moment of its next step; the clock (bot/demo/generate.py) resumes it then, so the
steps of all tickets and the job worker's sweeps happen in time order. A flow whose next moment lies after the
present stops there, leaving its ticket open in whatever state it has reached."""
from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from bot.cases.reports import Outcome
from bot.cases.statuses import CLOCK_STATES, OPEN_STATES
from bot.cases.workflow import RESIDENT, SYSTEM_ACTOR, Actor, do_flag
from bot.demo import MARKER, words
from bot.demo.context import PROFILES, Demo, Profile, Team
from bot.demo.reports import ReportSpec, submit
from handlers.feedback import VERIFIED_BY_RESIDENT
from models import Priority, Ticket, TicketStatus

S = TicketStatus
Flow = Generator[datetime, None, None]
# Where a department sends a ticket it returns, and where HQ moves one it reassigns.
ALTERNATIVE = {
    "street_vending": "traffic_police", "sanitation": "urban_mgmt", "illegal_ads": "sanitation_centre",
    "construction_site": "ecology_env", "dust_pollution": "housing_construction", "traffic_disorder": "urban_mgmt",
    "illegal_construction": "housing_construction", "public_toilet": "urban_mgmt", "waterway": "ecology_env",
    "public_facility": "water_affairs", "shopfront_duty": "sanitation_centre", "noise": "urban_mgmt",
    "uncivil_conduct": "urban_mgmt", "other": "civilisation_office",
}
LONG_TERM = {"illegal_construction", "public_facility", "waterway", "public_toilet"}


def report_flow(demo: Demo, spec: ReportSpec) -> Flow:
    """One resident's report from 提交 to wherever it has got by now."""
    submission = submit(demo, spec)
    demo.counts[f"submitted:{submission.outcome}"] += 1
    ticket = submission.ticket
    if ticket is None or submission.outcome not in (Outcome.OPENED, Outcome.HELD):
        return
    if submission.outcome == Outcome.HELD:
        yield from _review_held(demo, ticket, spec)
    elif ticket.status != S.DISPATCHED:
        yield from _triage(demo, ticket, spec)
    else:
        yield from _corrections(demo, ticket, spec)
    yield from _turns(demo, ticket)


def _review_held(demo: Demo, ticket: Ticket, spec: ReportSpec) -> Flow:
    """HQ reviews what the moderation lists held: spam is declined, a real problem in rude words is sent on."""
    yield demo.working(demo.rng.uniform(2, 24))
    if spec.spam:
        demo.act(ticket, demo.hq, "reject", note=words.SPAM_REJECTION)
        return
    lead = demo.catalogue.routing.lead_by_category[spec.category]
    if demo.act(ticket, demo.hq, "register", note=words.HELD_ACCEPTED):
        yield demo.working(demo.rng.uniform(0.2, 3))
        demo.act(ticket, demo.hq, "dispatch", department=demo.department(lead), note="指挥部分拨")


def _triage(demo: Demo, ticket: Ticket, spec: ReportSpec) -> Flow:
    """A report without a lead department (其他): HQ registers and sends it on, corrects it, or declines it."""
    yield demo.working(demo.rng.uniform(0.5, 6))
    hq, rng = demo.hq, demo.rng
    if spec.category == "other" and demo.chance(0.35):
        demo.act(ticket, hq, "reject", note=rng.choice(words.REJECTIONS))
        return
    if not demo.act(ticket, hq, "register", note="指挥部立案"):
        return
    if ticket.town_code is None and spec.town:
        demo.act(ticket, hq, "change_town", town_code=spec.town,
                 note=words.TOWN_CHANGED.format(town=demo.catalogue.routing.town_names[spec.town]))
    if spec.category != "other":
        demo.act(ticket, hq, "recategorise", category_code=spec.category, note=words.RECATEGORISED)
        lead = ticket.lead_department_code
    else:
        lead = rng.choice([code for code in words.OTHER_DEPARTMENTS if code in demo.teams])
    if lead in demo.teams:
        yield demo.working(rng.uniform(0.5, 6))
        demo.act(ticket, hq, "dispatch", department=demo.department(lead), note="指挥部分拨")


def _corrections(demo: Demo, ticket: Ticket, spec: ReportSpec) -> Flow:
    """HQ's look at a routed report: the town a road name left open, a wrong category, a duplicate, the place."""
    hq, rng = demo.hq, demo.rng
    if ticket.town_code is None and spec.town:
        yield demo.working(rng.uniform(0.3, 4))
        earlier = _earlier_report_of(demo, ticket)
        if earlier is not None and demo.chance(0.6):
            demo.act(ticket, hq, "merge", merge_target=earlier, note="同一问题重复反映")
            return
        demo.act(ticket, hq, "change_town", town_code=spec.town,
                 note=words.TOWN_CHANGED.format(town=demo.catalogue.routing.town_names[spec.town]))
    if spec.category != "other" and ticket.category_code != spec.category:
        yield demo.working(rng.uniform(0.3, 3))
        demo.act(ticket, hq, "recategorise", category_code=spec.category, note=words.RECATEGORISED)
    elif demo.chance(0.05):
        earlier = _earlier_report_of(demo, ticket)
        if earlier is not None:
            yield demo.working(rng.uniform(0.3, 3))
            demo.act(ticket, hq, "merge", merge_target=earlier, note="同一问题重复反映")
            return
    if spec.place and demo.chance(0.02):
        yield demo.working(rng.uniform(0.3, 3))
        demo.act(ticket, hq, "relocate", location=f"{spec.place}{rng.choice(words.SPOTS)}", note=words.RELOCATED)


def _earlier_report_of(demo: Demo, ticket: Ticket) -> Ticket | None:
    """An open ticket of the same problem reported a little earlier: same category, same town or same words' place."""
    return demo.session.scalars(select(Ticket).where(
        Ticket.category_code == ticket.category_code, Ticket.id < ticket.id, Ticket.description.startswith(MARKER),
        Ticket.status.in_([S.DISPATCHED, S.IN_PROGRESS, S.REGISTERED]),
        Ticket.created_at >= demo.now - timedelta(hours=48),
        or_(Ticket.town_code == ticket.town_code, Ticket.place_text == ticket.place_text)
        if ticket.town_code else Ticket.place_text == ticket.place_text)
        .order_by(Ticket.id.desc()).limit(1)).first()


def _turns(demo: Demo, ticket: Ticket) -> Flow:
    """Each department's turn until the work stands (or the present is reached)."""
    first = True
    while ticket.status in (S.DISPATCHED, S.REOPENED):
        code = ticket.lead_department_code
        team = demo.teams.get(code)
        if team is None:
            return
        profile = PROFILES.get(code, Profile())
        if first and demo.chance(profile.returns):
            first = False
            yield from _return(demo, ticket, team)
            continue
        first = False
        outcome = yield from _work(demo, ticket, team, profile)
        if outcome != "resolved":
            continue   # reassigned: the next department's turn; anything else leaves the loop by its status
        reopened = yield from _feedback(demo, ticket, profile)
        if not reopened:
            return


def _alternative(demo: Demo, ticket: Ticket) -> str:
    code = ALTERNATIVE.get(ticket.category_code, "urban_mgmt")
    if code == ticket.lead_department_code or code not in demo.teams:
        code = next(other for other in demo.teams if other != ticket.lead_department_code)
    return code


def _return(demo: Demo, ticket: Ticket, team: Team) -> Flow:
    """回退: the department's admin sends it back; HQ agrees and sends it on, or sends it back to them."""
    yield demo.working(demo.rng.uniform(0.3, 5))
    other, own = _alternative(demo, ticket), ticket.lead_department_code
    if not demo.act(ticket, team.admin, "return",
                    note=words.RETURN_REASON.format(department=demo.department_name(other))):
        return
    yield demo.working(demo.rng.uniform(1, 6) if demo.chance(0.7) else demo.rng.uniform(6, 20))
    if demo.chance(0.6):
        demo.act(ticket, demo.hq, "dispatch", department=demo.department(other),
                 note=words.RETURN_ACCEPTED.format(department=demo.department_name(other)))
    else:
        demo.act(ticket, demo.hq, "dispatch", department=demo.department(own), note=words.RETURN_REFUSED)


@dataclass
class _Plan:
    resolve_at: datetime
    moved: bool = False      # HQ reassigned the ticket: this turn is over


def _work(demo: Demo, ticket: Ticket, team: Team, profile: Profile) -> Generator[datetime, None, str]:
    """One turn: taken up, worked (with whatever happens meanwhile), resolved with an after-photo."""
    rng, hq = demo.rng, demo.hq
    started = demo.now
    yield demo.working(profile.pickup_hours * rng.lognormvariate(0, 0.7))
    worker = rng.choice(team.workers)
    if not demo.act(ticket, worker, "accept", note=rng.choice(words.ACCEPT_NOTES)):
        return "stopped"
    limit = demo.limit_hours(ticket.category_code)
    plan = _Plan(max(demo.working(limit * profile.speed * rng.lognormvariate(0, 0.6), since=started),
                     demo.working(0.3)))
    order = itertools.count()
    steps: list[tuple[datetime, int, Callable[[], object]]] = []

    def later(when: datetime, step: Callable[[], object]) -> None:
        heapq.heappush(steps, (when, next(order), step))

    def assign() -> None:
        demo.act(ticket, team.admin, "assign", assignee=rng.choice(list(team.accounts.values())),
                 note=rng.choice(words.ASSIGN_NOTES))

    def claim() -> None:
        demo.act(ticket, rng.choice(team.workers), "claim")

    def ask_extension() -> None:
        proposed = demo.working(rng.uniform(3, 13), since=max(plan.resolve_at, ticket.deadline_at))
        if demo.act(ticket, worker, "request_extension", deadline=proposed,
                    note=rng.choice(words.EXTENSION_REASONS)):
            later(demo.working(rng.uniform(1, 8)), decide)

    def ask_long_term() -> None:
        if demo.act(ticket, team.admin, "request_long_term", deadline=demo.now + timedelta(days=rng.randrange(60, 120)),
                    note=rng.choice(words.LONG_TERM_REASONS)):
            later(demo.working(rng.uniform(2, 12)), decide)

    def decide() -> None:
        if demo.chance(0.7):
            demo.act(ticket, hq, "grant_extension", note=rng.choice(words.GRANTS))
            if ticket.long_term:
                plan.resolve_at = demo.working(rng.uniform(40, 250))
        else:
            demo.act(ticket, hq, "refuse_extension", note=rng.choice(words.REFUSALS))
            plan.resolve_at = min(plan.resolve_at, demo.working(rng.uniform(2, 12)))

    def check_overdue() -> None:
        if ticket.extension_asked_at is not None or ticket.deadline_at >= demo.now:
            if ticket.deadline_at < plan.resolve_at:
                later(demo.working(rng.uniform(1, 6), since=max(demo.now, ticket.deadline_at)), check_overdue)
            return
        if demo.chance(0.75) and demo.act(ticket, hq, "urge", note=rng.choice(words.URGES)):
            plan.resolve_at = min(plan.resolve_at, demo.working(rng.uniform(1, 10)))
        later(demo.working(rng.uniform(7, 14)), check_overdue)

    def reassign() -> None:
        other = _alternative(demo, ticket)
        plan.moved = demo.act(ticket, hq, "dispatch", department=demo.department(other),
                              note=words.REASSIGN.format(department=demo.department_name(other)))

    def co_handler() -> None:
        office = demo.catalogue.routing.office_by_town.get(ticket.town_code or "")
        if office:
            demo.act(ticket, hq, "add_co_handler", department=demo.department(office), note=words.CO_HANDLING)

    def move_deadline() -> None:
        demo.act(ticket, hq, "change_deadline", note=words.DEADLINE_CHANGED,
                 deadline=demo.working(limit, since=max(demo.now, ticket.deadline_at)))

    if demo.chance(0.35):
        later(demo.working(rng.uniform(0.1, 1)), assign)
    elif demo.chance(0.12):
        later(demo.working(rng.uniform(0.1, 2)), claim)
    meanwhile: list[tuple[float, Callable[[], object]]] = [
        (0.05, lambda: demo.act(ticket, hq, "set_priority", priority=Priority.URGENT, note=words.URGENT)),
        (0.05, co_handler), (0.02, move_deadline), (0.025, reassign),
        (0.15, lambda: demo.act(ticket, worker, "note", note=rng.choice(words.NOTES))),
        (0.10, lambda: demo.act(ticket, worker, "reply", reply=rng.choice(words.REPLIES)))]
    for chance, side_step in meanwhile:
        if demo.chance(chance):
            later(demo.working(rng.uniform(0.1, 4)), side_step)
    late = plan.resolve_at > ticket.deadline_at
    if ticket.category_code in LONG_TERM and demo.chance(0.06):
        later(demo.working(rng.uniform(1, 6)), ask_long_term)
    elif late and demo.chance(profile.extensions):
        later(demo.working(0.05, since=started + (ticket.deadline_at - started) * rng.uniform(0.4, 0.9)),
              ask_extension)
    if late:
        later(demo.working(rng.uniform(0.5, 6), since=ticket.deadline_at), check_overdue)
    while steps and steps[0][0] < plan.resolve_at:
        when, _, step = heapq.heappop(steps)
        yield max(when, demo.now)
        step()
        if plan.moved:
            return "moved"
        if ticket.status not in CLOCK_STATES:
            return "stopped"
    yield plan.resolve_at
    resolver = team.member(ticket.assignee_staff_id) or worker
    replies = demo.catalogue.categories[ticket.category_code].replies or [words.DEFAULT_REPLY]
    done = demo.act(ticket, resolver, "resolve", after_photo=True, note=rng.choice(words.RESOLVE_NOTES),
                    reply=rng.choice(replies))
    return "resolved" if done else "stopped"


def _feedback(demo: Demo, ticket: Ticket, profile: Profile) -> Generator[datetime, None, bool]:
    """HQ's check or the resident's rating, as handlers/feedback.py takes it; True when the case is reopened.

    Without an answer the job worker's sweep closes it after [feedback] answer_hours."""
    rng, hq = demo.rng, demo.hq
    if demo.chance(0.03):
        yield demo.working(rng.uniform(1, 8))
        return demo.act(ticket, hq, "reopen", note=words.HQ_REOPEN)
    if demo.chance(0.06):
        yield demo.working(rng.uniform(1, 8))
        if demo.act(ticket, hq, "verify", note=words.HQ_VERIFIED):
            yield demo.working(rng.uniform(1, 8))
            demo.act(ticket, hq, "close", note="核查通过，予以结案")
        return False
    if ticket.resident_id is None or not demo.chance(0.65):
        return False
    yield demo.daytime(rng.uniform(0.3, 30))
    if ticket.status != S.RESOLVED or ticket.rating is not None or ticket.feedback_requested_at is None:
        return False
    resident = Actor("resident", "", RESIDENT, "", resident_id=ticket.resident_id)
    unhappy = profile.unhappy * (2 if ticket.reopen_count else 1)   # done again and still not right
    rating = 3 if demo.chance(unhappy) else (1 if demo.chance(0.7) else 2)
    ticket.rating, ticket.rated_at = rating, demo.now
    if rating != 3:
        if demo.act(ticket, resident, "verify",
                    note=f"{VERIFIED_BY_RESIDENT}（{'满意' if rating == 1 else '基本满意'}）"):
            demo.act(ticket, SYSTEM_ACTOR, "close", note="市民评价后结案")
        return False
    yield demo.now + timedelta(minutes=rng.randrange(1, 15))   # the reason follows 不满意
    reason = rng.choice(words.UNHAPPY)
    ticket.rating_reason = reason
    if ticket.reopen_count == 0 and ticket.status == S.RESOLVED:
        return demo.act(ticket, resident, "reopen", note=f"市民不满意：{reason}")
    ticket.needs_triage, ticket.feedback_requested_at = True, None
    do_flag(ticket, f"市民再次不满意：{reason}。请指挥部复核", now=demo.now, session=demo.session, actor="resident")
    yield demo.working(rng.uniform(2, 10))
    if ticket.status not in OPEN_STATES and demo.chance(0.5) and demo.act(ticket, hq, "verify",
                                                                          note=words.HQ_REVIEWED):
        demo.act(ticket, hq, "close", note="复核后结案")
        return False
    return demo.act(ticket, hq, "reopen", note=words.HQ_REOPEN)
