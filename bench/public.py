"""The 办理公示 page's server time with 10,000 tickets in the SQLite default: the district page (first with this
month's figures reckoned, then with them kept), filtered by a town, the open reports' points, one case; median of 20.

Run as `make bench-public`. Tickets have points inside the towns, are spread over 90 days, all categories and
states; every dispatched one has its department's turn (a hold), so the month's figures do the scoreboard's real work.
"""
from __future__ import annotations

import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TICKETS = 10_000
REQUESTS = 20
TARGET_MS = 300


def _timed(client, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    return (time.perf_counter() - started) * 1000, len(answer.data)


def main() -> int:
    from shapely.geometry import Point, shape
    from shapely.prepared import prep
    from sqlalchemy import insert, select

    from bench.fresh import fresh_database
    from bot.app import create_app
    from bot.cases.publication import HANDLED
    from bot.infra.db import transaction
    from models import Hold, HoldEnd, Ticket, TicketStatus, Town, utcnow

    folder = Path(tempfile.mkdtemp(prefix="civicbot-public-bench-"))
    try:
        bench = fresh_database(folder)
        with transaction(bench.sessions) as session:
            towns = [(t.code, prep(shape(t.boundary)), shape(t.boundary).bounds)
                     for t in session.scalars(select(Town)) if t.boundary]
        rng = random.Random(11)
        now = utcnow()
        tickets, holds = [], []
        for n in range(TICKETS):
            code, area, (west, south, east, north) = rng.choice(towns)
            while True:
                longitude, latitude = rng.uniform(west, east), rng.uniform(south, north)
                if area.contains(Point(longitude, latitude)):
                    break
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            category = rng.choice(list(bench.categories))
            status = rng.choice(list(TicketStatus))
            deadline = created + timedelta(days=rng.choice([1, 2, 3]))
            resolved = created + timedelta(hours=rng.uniform(1, 96)) if status in HANDLED else None
            tickets.append(dict(id=n + 1, number=f"JY-{created:%Y%m%d}-{n:05d}", category_code=category,
                                description=f"测试工单 {n} 路口有人摆摊占道，电话13812345678",
                                lead_department_code=bench.categories[category], town_code=code,
                                latitude=latitude, longitude=longitude, status=status, deadline_at=deadline,
                                created_at=created, updated_at=resolved or created, resolved_at=resolved,
                                rating=rng.choice([None, 1, 2, 3]) if resolved else None))
            if status not in (TicketStatus.RECEIVED, TicketStatus.REGISTERED, TicketStatus.REJECTED):
                holds.append(dict(ticket_id=n + 1, department_code=bench.categories[category], started_at=created,
                                  deadline_at=deadline, ended_at=resolved,
                                  end=HoldEnd.RESOLVED if resolved else None))
        with bench.engine.begin() as connection:
            connection.execute(insert(Ticket), tickets)
            connection.execute(insert(Hold), holds)
        app = create_app(bench.settings)
        visitor = app.test_client()
        first, size = _timed(visitor, "/public/")
        print(f"{TICKETS:,} tickets, SQLite, Flask test client; median (max) of {REQUESTS}:")
        print(f"  /public/ with the month's figures reckoned: {first:.0f} ms ({size // 1024} KiB)")
        case = next(row["number"] for row in tickets if row["status"] in HANDLED)
        worst = 0.0
        for path in ("/public/", "/public/?town=luocheng&category=street_vending", "/public/?page=40",
                     "/public/map/points.json", "/public/map/towns.json", f"/public/cases/{case}"):
            times, size = [], 0
            for _ in range(REQUESTS):
                took, size = _timed(visitor, path)
                times.append(took)
            median = statistics.median(times)
            worst = max(worst, median)
            print(f"  {path}: {median:.1f} ms ({max(times):.1f}) {size // 1024} KiB")
        verdict = "met" if worst < TARGET_MS else "MISSED"
        print(f"target: every page under {TARGET_MS} ms once the figures are kept: {verdict}")
        return 0 if worst < TARGET_MS else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
