"""Time `civicbot audit verify` and `audit anchor` over 100,000 tickets' hash chains in a fresh SQLite database.

Run as `make bench-audit`. Each ticket gets 4 to 11 events as the workflow writes them (received, registered,
dispatched, accepted, flags, resolved, verified, closed …), sealed with the application's own function and
inserted in bulk, a round at a time, so that one ticket's events are spread over the table as in real life.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIONS = [("", "received", "市民通过公众号提交", "resident"),
           ("auto_register", "registered", "自动立案：类别【占道经营】（置信度 0.93）", "system:router"),
           ("auto_dispatch", "dispatched", "派往区城市管理局，抄送属地晋祠镇人民政府。", "system:router"),
           ("accept", "in_progress", "已接单", "staff:12"),
           ("flag", "in_progress", "即将到期，请抓紧处置", "system:deadline"),
           ("note", "in_progress", "已联系摊主，约定明日清理", "staff:12"),
           ("resolve", "resolved", "摊位已清理，现场恢复通行", "staff:12"),
           ("verify", "verified", "核查属实", "staff:3"),
           ("close", "closed", "市民满意，结案", "system:feedback"),
           ("reopen", "reopened", "市民反映问题仍在", "resident"),
           ("resolve", "resolved", "再次清理完毕", "staff:12")]


class Event:
    """The fields a seal covers, as the application holds them."""

    def __init__(self, row: dict):
        self.__dict__.update(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="verifications timed (the median is printed)")
    arguments = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="civicbot-audit-bench-"))
    try:
        run(arguments, folder)
    finally:
        shutil.rmtree(folder)   # about 400 MB


def run(arguments: argparse.Namespace, folder: Path) -> None:
    from sqlalchemy import insert, select

    from bench.fresh import fresh_database
    from bot.cases.audit import do_anchor, verify
    from bot.infra.db import snapshot, transaction
    from models import Ticket, TicketEvent, utcnow
    from models.sealing import chain_hash, event_fields, field_digests

    bench = fresh_database(folder)
    engine, sessions, categories = bench.engine, bench.sessions, bench.categories
    rng = random.Random(19)
    now = utcnow()
    started = time.perf_counter()
    with engine.begin() as connection:
        tickets = []
        for n in range(arguments.tickets):
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            category = rng.choice(list(categories))
            tickets.append(dict(number=f"JY-{created:%Y%m%d}-{n:06d}", description=f"测试工单 {n}",
                                category_code=category, lead_department_code=categories[category], status="closed",
                                needs_triage=False, route_reason="", deadline_at=created + timedelta(days=2),
                                created_at=created, updated_at=created, category_confidence=0.9, location_label="",
                                place_text="", reopen_count=0))
        for start in range(0, len(tickets), 5000):
            connection.execute(insert(Ticket), tickets[start:start + 5000])
        numbers = dict(connection.execute(select(Ticket.id, Ticket.number)).all())
        lengths = {ticket_id: rng.randint(4, len(ACTIONS)) for ticket_id in numbers}
        heads = dict.fromkeys(numbers, "")
        created_at = {ticket_id: now - timedelta(days=rng.randrange(90)) for ticket_id in numbers}
        events = 0
        for step in range(len(ACTIONS)):   # one round per step: events of all tickets interleave by id
            action, status, reason, actor = ACTIONS[step]
            rows = []
            for ticket_id, length in lengths.items():
                if step >= length:
                    continue
                row = dict(ticket_id=ticket_id, at=created_at[ticket_id] + timedelta(hours=step, microseconds=step),
                           actor=actor, from_status=ACTIONS[step - 1][1] if step else None, to_status=status,
                           reason=reason, reply="", action=action, department_code="urban_mgmt" if step else None,
                           channel="", prev_hash=heads[ticket_id])
                fields = event_fields(Event(row), numbers[ticket_id], [])
                row["hash"] = heads[ticket_id] = chain_hash(heads[ticket_id], fields)
                row["field_digests"] = field_digests(fields)
                rows.append(row)
            for start in range(0, len(rows), 20_000):
                connection.execute(insert(TicketEvent), rows[start:start + 20_000])
            events += len(rows)
    print(f"built {arguments.tickets:,} tickets and {events:,} events (sealed, bulk inserts) "
          f"in {time.perf_counter() - started:.1f} s")

    begin = time.perf_counter()
    with transaction(sessions) as session:
        anchor = do_anchor(now=utcnow(), session=session)
    print(f"audit anchor (first: every head recorded): {time.perf_counter() - begin:.2f} s, "
          f"{len(anchor.changed) / 1e6:.1f} MB of heads")
    begin = time.perf_counter()
    with transaction(sessions) as session:
        do_anchor(now=utcnow(), session=session)
    print(f"audit anchor (next day, nothing moved):     {time.perf_counter() - begin:.2f} s")

    times, cpu = [], []
    for _ in range(arguments.repeat):
        began = time.process_time()
        with snapshot(engine) as session:
            result = verify(session=session)
        cpu.append(time.process_time() - began)
        assert result.ok, result.broken[:3]
        times.append(result.seconds)
    times.sort()
    cpu.sort()
    # CPU time as well: on a shared machine the wall time says as much about the neighbours as about verify.
    print(f"audit verify, all chains and {result.anchors} anchors: {result.tickets:,} tickets, {result.events:,} "
          f"events: median {times[len(times) // 2]:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f}), "
          f"CPU {cpu[len(cpu) // 2]:.2f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    with snapshot(engine) as session:
        one = verify(session=session, ticket_number=numbers[next(iter(numbers))])
    print(f"audit verify --ticket: {one.events} events in {one.seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
