"""Portal server time with 100,000 tickets in the SQLite default: queue pages and a ticket page, median of 20.

Run as `make bench-portal`. The tickets are spread over 90 days, all categories, towns and states, and over a
20 km square of the district, so that a ticket page lists its nearby tickets (about 70 within 300 m).
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TICKETS = 100_000
REQUESTS = 20


def main() -> None:
    from sqlalchemy import select

    from bench.fresh import fresh_database, insert_tickets
    from bot.app import create_app
    from models import Ticket, utcnow
    from tests.test_portal import Clerk

    folder = Path(tempfile.mkdtemp(prefix="civicbot-portal-bench-"))
    bench = fresh_database(folder, (("hq", "hq"), ("chen", "urban_mgmt")), "bench-password-1")
    settings, sessions = bench.settings, bench.sessions
    started = time.perf_counter()
    insert_tickets(bench, TICKETS, random.Random(7), utcnow())
    print(f"inserted {TICKETS:,} tickets in {time.perf_counter() - started:.1f} s")
    app = create_app(settings)
    pages = []
    for username in ("hq", "chen"):
        clerk = Clerk(app, username)
        clerk.login("bench-password-1")
        with sessions() as session:
            number = session.scalar(select(Ticket.number).where(
                Ticket.lead_department_code == ("urban_mgmt" if username == "chen" else "sanitation_centre"))
                .order_by(Ticket.id.desc()).limit(1))
        default_tab = "triage" if username == "hq" else "new"
        pages += [(username, f"queue ({default_tab} tab)", f"/portal/tickets?tab={default_tab}", clerk),
                  (username, "queue (all, filtered by category and town)",
                   "/portal/tickets?tab=all&category=street_vending&town=jinci", clerk),
                  (username, "queue (search by number)", f"/portal/tickets?tab=all&q={number[-6:]}", clerk),
                  (username, "queue (page 50)", "/portal/tickets?tab=all&page=50", clerk),
                  (username, "queue (all, by deadline)", "/portal/tickets?tab=all&sort=deadline", clerk),
                  (username, "queue (all, by category)", "/portal/tickets?tab=all&sort=category", clerk),
                  (username, "queue (all, by town)", "/portal/tickets?tab=all&sort=town", clerk),
                  (username, "ticket page", f"/portal/tickets/{number}", clerk)]
    print(f"server time per request, median (max) of {REQUESTS}, {TICKETS:,} tickets, SQLite:")
    for username, title, path, clerk in pages:
        times = []
        for _ in range(REQUESTS):
            begin = time.perf_counter()
            response = clerk.page(path)
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, (path, response.status_code)
        print(f"  {username:>4}  {title:<45} {statistics.median(times) * 1000:7.1f} ms ({max(times) * 1000:.1f})")
        if title == "ticket page":
            listed = response.get_data(as_text=True).count('data-label="距离"')
            print(f"        ({listed} nearby tickets listed, of any department for HQ, its own for 城管)")


if __name__ == "__main__":
    main()
