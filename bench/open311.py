"""Open311 `GET requests` server time over 100,000 tickets in the SQLite default, median of 20 per query.

Run as `make bench-open311`. The tickets are spread over 90 days, every category, town and status (bench/fresh.py);
each query is answered in full (up to the spec's 1,000 requests) as JSON and as XML.
"""
from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TICKETS = 100_000
REQUESTS = 20
V2 = "/open311/v2"


def main() -> None:
    from bench.fresh import fresh_database, insert_tickets
    from bot.app import create_app
    from models import utcnow

    folder = Path(tempfile.mkdtemp(prefix="civicbot-open311-bench-"))
    bench = fresh_database(folder)
    started = time.perf_counter()
    insert_tickets(bench, TICKETS, random.Random(11), utcnow())
    print(f"inserted {TICKETS:,} tickets in {time.perf_counter() - started:.1f} s")
    client = create_app(bench.settings).test_client()
    queries = [("default (last 90 days, first 1,000)", "requests.json"),
               ("the same as XML", "requests.xml"),
               ("page 20 of the window", "requests.json?page=20"),
               ("one service, open", "requests.json?service_code=street_vending&status=open"),
               ("a week, closed", "requests.json?start_date={week_ago}&status=closed"),
               ("three requests by id", "requests.json?service_request_id={ids}"),
               ("one request", "requests/{one}.json"),
               ("services", "services.json")]
    first = client.get(f"{V2}/requests.json").get_json()
    week_ago = quote(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7 * 86400)))
    values = {"week_ago": week_ago, "ids": ",".join(r["service_request_id"] for r in first[:3]),
              "one": first[0]["service_request_id"]}
    print(f"server time per request, median (max) of {REQUESTS}, {TICKETS:,} tickets, SQLite:")
    for title, path in queries:
        url = f"{V2}/{path.format(**values)}"
        times, size, listed = [], 0, 0
        for _ in range(REQUESTS):
            begin = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, (url, response.status_code, body[:300])
            size = len(body)
            listed = body.count(b"<request>") if url.endswith(".xml") or ".xml?" in url else \
                len(response.get_json()) if "requests" in url else 0
        print(f"  {title:<40} {statistics.median(times) * 1000:7.1f} ms ({max(times) * 1000:.1f})  "
              f"{listed:>5} requests, {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
