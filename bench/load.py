"""Load benchmark: civicbot as `make run` serves it, beside the two reference webhooks in ../shared/bench/.

Run as `make bench-load` (needs wrk, which it installs with apt when missing and run as root). Three servers
take the same load in turns, round after round (--rounds), so a shared machine's changing speed falls on all
alike, and each ratio is the median of the rounds:
- the echo webhook (Flask + wechatpy: signature, parse, reply), the floor of the stack;
- the durable floor: the same plus one SQLite write per message recording it once, replaying re-deliveries;
- civicbot: gunicorn workers and the job worker, on SQLite (or PostgreSQL and Redis when given).
By default every request is a message's first delivery (--deliveries 1). With --deliveries 3 each message is
delivered three times as WeChat re-delivers one whose answer is late: the re-deliveries go out 100 and 200
messages after the first (--redelivery-lag; 0 sends all three at once). Each round goes on with the messages
where the last stopped. Afterwards civicbot's database must hold each message once, and no ticket twice.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MODEL = ROOT / "var" / "classifier.npz"  # what `make model` trains and `make run` serves
REFERENCES = ROOT.parent / "shared" / "bench"  # echo.py and dedupe_floor.py, beside the checkout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=20, help="load time per server, split into the rounds")
    parser.add_argument("--rounds", type=int, default=4,
                        help="the servers take turns this many times, so that a shared machine's "
                             "changing speed falls on all alike")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, the same for every server")
    parser.add_argument("--deliveries", type=int, default=1, choices=[1, 3],
                        help="1: first deliveries only; 3: every message delivered three times, as WeChat does")
    parser.add_argument("--redelivery-lag", type=int, default=100,
                        help="messages between a message's deliveries; 0 sends the three at once")
    parser.add_argument("--database-url", default="", help="e.g. postgresql+psycopg://… (default: SQLite)")
    parser.add_argument("--queue", default="sqlite", choices=["sqlite", "redis"])
    parser.add_argument("--redis-url", default="")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    if not (REFERENCES / "dedupe_floor.py").exists():
        raise SystemExit(f"the reference webhooks are missing: {REFERENCES}/echo.py and dedupe_floor.py")
    if not MODEL.exists():  # without it civicbot falls back to keywords: not what `make run` serves
        raise SystemExit(f"the classifier model {MODEL} is missing: run `make model` (make bench-load does)")
    import requests

    from bot.web.webhook import signature_of
    from tests.conftest import data_section, free_port

    folder = Path(tempfile.mkdtemp(prefix="civicbot-load-"))
    database_url = options.database_url or f"sqlite:///{folder / 'civicbot.db'}"
    port, echo_port, floor_port = free_port(), free_port(), free_port()
    config = folder / "config.toml"
    config.write_text(
        f'[server]\nport = {port}\nworkers = {options.workers}\n[database]\nurl = "{database_url}"\n'
        f'[queue]\nbackend = "{options.queue}"\npath = "{folder / "jobs.db"}"\nredis_url = "{options.redis_url}"\n'
        f'[wechat]\napi_base_url = "http://127.0.0.1:9/cgi-bin/"\n[media]\nroot = "{folder / "media"}"\n'
        f'[classifier]\nmodel = "{MODEL}"\n[logging]\nlevel = "WARNING"\n'
        + data_section(),
        encoding="utf-8")
    civicbot = [sys.executable, "-m", "bot", "--config", str(config)]
    subprocess.run(civicbot + ["migrate"], check=True, capture_output=True)
    subprocess.run(civicbot + ["load-defaults"], check=True, capture_output=True)
    timestamp, nonce = str(int(time.time())), "20261128"
    query = f"timestamp={timestamp}&nonce={nonce}&signature={signature_of('civicbot-dev-token', timestamp, nonce)}"
    def reference(module: str, server_port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(options.workers), "--bind", f"127.0.0.1:{server_port}",
             "--no-control-socket", "--chdir", str(REFERENCES), f"{module}:app"],
            env={**os.environ, "FLOOR_DB": str(folder / "floor.db")}, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    servers = [
        ("echo webhook (../shared/bench/echo.py: signature, parse, reply)", echo_port, reference("echo", echo_port)),
        ("durable floor (../shared/bench/dedupe_floor.py: echo + one SQLite write per message)", floor_port,
         reference("dedupe_floor", floor_port)),
        (f"civicbot (make run: gunicorn {options.workers} workers + job worker)", port, subprocess.Popen(
            civicbot + ["serve"], stdout=(folder / "serve.log").open("wb"), stderr=subprocess.STDOUT)),
    ]
    rounds: dict[str, list[dict]] = {title: [] for title, _, _ in servers}
    seconds = max(1, round(options.seconds / options.rounds))
    try:
        for _, server_port, _ in servers:
            _wait(server_port, requests, query)
        for _ in range(options.rounds):
            for title, server_port, _ in servers:
                went_on_from = rounds[title][-1]["counters"] if rounds[title] else ""
                rounds[title].append(_wrk(server_port, query, options, seconds, went_on_from))
        outcomes = _replies_by_outcome(port, requests)
    finally:
        for _, _, process in servers:
            process.terminate()
            process.wait(timeout=30)
    schedule = ("first deliveries only" if options.deliveries == 1 else
                "every message delivered 3 times " + ("at once" if not options.redelivery_lag
                                                      else f"{options.redelivery_lag} messages apart"))
    database = "SQLite (WAL)" if not options.database_url else database_url.split("@")[-1]
    print(f"{options.connections} connections, {options.rounds} rounds of {seconds} s per server, taking turns; "
          f"{schedule}; civicbot's database {database}, "
          f"jobs on {'Redis' if options.queue == 'redis' else 'SQLite'}:")
    echo_rounds, floor_rounds, bot_rounds = rounds.values()
    to_floor = [bot["rps"] / floor["rps"] for floor, bot in zip(floor_rounds, bot_rounds, strict=True)]
    to_echo = [bot["rps"] / echo["rps"] for echo, bot in zip(echo_rounds, bot_rounds, strict=True)]
    for number, (echo, floor, bot) in enumerate(zip(echo_rounds, floor_rounds, bot_rounds, strict=True), 1):
        print(f"  round {number}: echo {echo['rps']:.0f}, floor {floor['rps']:.0f}, civicbot {bot['rps']:.0f} "
              f"requests/s; civicbot / floor {to_floor[number - 1]:.2f}, civicbot / echo {to_echo[number - 1]:.2f}")
    for title, results in rounds.items():
        print(f"  {title}\n    {statistics.mean(r['rps'] for r in results):.0f} requests/s, "
              f"p50 {statistics.median(r['p50'] for r in results):.1f} ms, "
              f"p99 {max(r['p99'] for r in results):.1f} ms (worst round), "
              f"errors {sum(r['errors'] for r in results)}, timeouts {sum(r['timeouts'] for r in results)}")
    print(f"  civicbot / durable floor: {statistics.median(to_floor):.2f} of the throughput "
          f"(median of the rounds; {min(to_floor):.2f}–{max(to_floor):.2f})")
    print(f"  civicbot / echo: {statistics.median(to_echo):.2f} of the throughput "
          f"(median of the rounds; {min(to_echo):.2f}–{max(to_echo):.2f})")
    print("  civicbot's answers by outcome (from /metrics): "
          + ", ".join(f"{outcome} {count:.0f}" for outcome, count in sorted(outcomes.items())))
    _check_effects(database_url, sum(r["requests"] for r in bot_rounds))


def _wait(port: int, requests, query: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/wechat?{query}&echostr=up", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not start")


def _replies_by_outcome(port: int, requests) -> dict[str, float]:
    metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {outcome: float(count) for outcome, count in
            re.findall(r'^civicbot_replies_total\{outcome="(\w+)"\} ([\d.e+]+)$', metrics, re.M)}


def _wrk(port: int, query: str, options, seconds: int, went_on_from: str) -> dict:
    env = {**os.environ, "CIVICBOT_QUERY": query, "CIVICBOT_REDELIVERY_LAG": str(options.redelivery_lag),
           "CIVICBOT_DELIVERIES": str(options.deliveries), "CIVICBOT_START": went_on_from}
    run = subprocess.run(["wrk", "-t2", f"-c{options.connections}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", str(ROOT / "bench" / "load.lua"), f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, env=env)
    match = re.search(r"RESULT requests=(\d+) rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) errors=(\d+) "
                      r"timeouts=(\d+)", run.stdout)
    if not match:
        raise SystemExit(run.stdout + run.stderr)
    requests_, rps, p50, p99, errors, timeouts = match.groups()
    counters = re.search(r"COUNTERS ([\d,]+)", run.stdout)
    return {"requests": int(requests_), "rps": float(rps), "p50": float(p50), "p99": float(p99),
            "errors": int(errors), "timeouts": int(timeouts), "counters": counters.group(1) if counters else ""}


def _check_effects(database_url: str, sent: int) -> None:
    """Count what the deliveries left in the database, on SQLite or PostgreSQL alike."""
    from sqlalchemy import create_engine, func, select

    from models import InboundMessage, Photo, Ticket
    engine = create_engine(database_url)
    with engine.connect() as connection:
        messages, deliveries = connection.execute(
            select(func.count(), func.coalesce(func.sum(InboundMessage.deliveries), 0))).one()
        keys = select(InboundMessage.openid, InboundMessage.dedupe_key).group_by(
            InboundMessage.openid, InboundMessage.dedupe_key).having(func.count() > 1).subquery()
        doubled = connection.scalar(select(func.count()).select_from(keys))
        tickets = connection.scalar(select(func.count()).select_from(Ticket))
        photos = connection.scalar(select(func.count()).select_from(Photo))
        media = select(Photo.resident_id, Photo.media_id).distinct().subquery()
        photo_media = connection.scalar(select(func.count()).select_from(media))
        failed = connection.scalar(select(func.count()).where(InboundMessage.error != ""))
    engine.dispose()
    print(f"  effects: {sent} deliveries answered → {messages} distinct messages stored, {doubled} stored twice, "
          f"{deliveries - messages} re-deliveries came before the answer and waited for it, {tickets} tickets, "
          f"{photos} photos for {photo_media} media ids, {failed} answered with an apology after an error")


if __name__ == "__main__":
    main()
