"""Generate the demo data: check the database may have it, run every report's flow and the job worker's sweeps on one
simulated clock up to the present, settle the demo residents' notices, and record the demo_data setting."""
from __future__ import annotations

import heapq
import itertools
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, not_, select, update
from sqlalchemy.orm import Session

from bot.cases.deadlines import do_check_deadlines, do_close_unanswered
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.demo import DEMO_PREFIX, DEMO_SETTING, MARKER
from bot.demo.context import Demo
from bot.demo.lifecycle import Flow, report_flow
from bot.demo.people import demo_teams, resident_openids
from bot.demo.pictures import Pictures
from bot.demo.reports import Atlas, plan_reports
from bot.photos.storage import MediaStorage
from models import Notification, NotificationStatus, Photo, Resident, Setting, Ticket, TicketEvent

DEFAULT_SEED = 20261201
SWEEP_EVERY = timedelta(hours=1)   # how often the simulated job worker checks deadlines and unanswered ratings
NOT_SENT = "演示数据：演示市民不接收消息，未发送"


@dataclass(frozen=True)
class DemoRun:
    """What one run made."""

    first_day: date
    last_day: date
    tickets: int
    events: int
    photos: int
    residents: int
    seconds: float
    counts: dict[str, int]


def check_may_generate(*, session: Session, force: bool) -> str:
    """Why demo data must not be added to this database ("" when it may): it is there already, or real tickets are."""
    if force:
        return ""
    marker = session.get(Setting, DEMO_SETTING)
    if marker is not None:
        made = marker.value.get("generated_at", "?")
        return (f"demo data is already there (generated {made}, {marker.value.get('tickets', '?')} tickets): "
                "nothing done; use --force to add another batch")
    real = session.scalar(select(func.count()).select_from(Ticket).where(not_(Ticket.description.startswith(MARKER))))
    if real:
        return (f"this database holds {real} real (non-demo) ticket(s): no demo data added, so that nobody mistakes "
                "invented reports for real ones; use --force to add it anyway")
    return ""


def do_generate_demo_data(*, session: Session, catalogue: CatalogueSnapshot, settings: Settings,
                          storage: MediaStorage, days: int, seed: int, end: datetime) -> DemoRun:
    """Make `days` days of demo tickets ending at `end` (naive UTC), all through the case services."""
    started = time.monotonic()
    claim = session.get(Setting, DEMO_SETTING) or Setting(key=DEMO_SETTING, value={})
    claim.value = {**claim.value, "generating": True}
    session.add(claim)
    session.flush()   # the row is the claim: a second run at the same time waits for it or fails on it
    before = _totals(session)
    # The sweeps act on every ticket: at simulated moments they must not touch tickets of another run or real ones
    # (with --force); the job worker flags and closes those, and this run's, at the real time.
    sweeping = not session.scalar(select(func.count()).select_from(Ticket))
    rng = random.Random(seed)  # nosec B311  # demo data, reproducible by --seed; no secret comes from it
    hq, teams = demo_teams(session=session)
    start = end - timedelta(days=days)
    demo = Demo(session, catalogue, settings, rng, Pictures(storage, settings.media, random.Random(seed + 1)),  # nosec B311
                hq, teams, end=end, now=start)
    atlas = Atlas(demo)
    openids = resident_openids(rng, max(40, days * 9))
    specs = plan_reports(demo, atlas, openids, start)
    flows = [(spec.at, report_flow(demo, spec)) for spec in specs]
    _run(demo, flows + [(start, _sweeps(demo))] if sweeping else flows)
    if sweeping:
        demo.now = end
        _sweep(demo)
    _settle_notices(session)
    after = _totals(session)
    local = catalogue.calendar.local
    run = DemoRun(local(start).date(), local(end).date(), after[0] - before[0], after[1] - before[1],
                  demo.pictures.made, len(set(spec.openid for spec in specs)), time.monotonic() - started,
                  dict(sorted(demo.counts.items())))
    runs = claim.value.get("runs", [])
    claim.value = {
        "note": "演示数据：由 civicbot demo-data 生成，并非真实市民反映；工单描述以【演示数据】开头，"
                "演示市民的 OpenID 以 demo- 开头",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed, "days": days,
        "first_day": run.first_day.isoformat(), "last_day": run.last_day.isoformat(),
        "tickets": after[0], "events": after[1], "photos": after[2],
        "runs": [*runs, {"at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed, "days": days,
                         "tickets": run.tickets, "seconds": round(run.seconds, 1)}],
    }
    return run


def _run(demo: Demo, flows: list[tuple[datetime, Flow]]) -> None:
    """Resume each flow at the moment it asked for, in time order, until the present."""
    order = itertools.count()
    heap = [(when, next(order), flow) for when, flow in flows]
    heapq.heapify(heap)
    while heap:
        when, _, flow = heapq.heappop(heap)
        if when > demo.end:
            break   # the heap is in time order: everything left lies in the future
        demo.now = when
        moment = next(flow, None)
        if moment is not None:
            heapq.heappush(heap, (max(moment, when), next(order), flow))


def _sweeps(demo: Demo) -> Flow:
    """The job worker's periodic checks, as `civicbot worker` runs them."""
    while True:
        _sweep(demo)
        yield demo.now + SWEEP_EVERY


def _sweep(demo: Demo) -> None:
    warned, escalated = do_check_deadlines(demo.now, timedelta(hours=demo.settings.deadlines.warn_hours),
                                           session=demo.session)
    closed = do_close_unanswered(demo.now, timedelta(hours=demo.settings.feedback.answer_hours),
                                 session=demo.session)
    demo.counts["sweep:warned"] += warned
    demo.counts["sweep:escalated"] += escalated
    demo.counts["sweep:closed_unanswered"] += closed


def _settle_notices(session: Session) -> None:
    """The demo's residents are nobody on WeChat: their notices wait, marked, instead of being sent for ever."""
    demo_residents = select(Resident.id).where(Resident.openid.startswith(DEMO_PREFIX))
    session.execute(update(Notification).where(
        Notification.status == NotificationStatus.PENDING, Notification.resident_id.in_(demo_residents))
        .values(status=NotificationStatus.WAITING, last_error=NOT_SENT))


def _totals(session: Session) -> tuple[int, int, int]:
    demo_tickets = select(Ticket.id).where(Ticket.description.startswith(MARKER))
    return (session.scalar(select(func.count()).select_from(Ticket).where(Ticket.id.in_(demo_tickets))) or 0,
            session.scalar(select(func.count()).select_from(TicketEvent)
                           .where(TicketEvent.ticket_id.in_(demo_tickets))) or 0,
            session.scalar(select(func.count()).select_from(Photo).where(Photo.ticket_id.in_(demo_tickets))) or 0)

