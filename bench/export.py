"""The exchange file's time and peak memory for 100,000 tickets (SQLite default): `civicbot export` run as a nightly
job runs it, in its own process, full (every ticket) and incremental (the last day's changes), JSON lines and CSV.

Run as `make bench-export` (or `python bench/export.py [TICKETS]`; on PostgreSQL:
`tests/scale/services.sh .venv/bin/python bench/export.py`). Every ticket has a point, 4 events of history
and a description of realistic length, spread over 365 days of update times; they are inserted in bulk. The peak
memory is the export process's maximum resident set (its VmHWM), beside a run that selects no ticket: the
difference is what the tickets cost, and streaming keeps it flat however many there are.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess  # nosec B404  # runs `python -m bot export`: a list, no shell
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TICKETS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
EVENTS = ("create", "auto_register", "auto_dispatch", "accept")
WORDS = ("晋祠路与新晋祠路交叉口东南角人行道上有三轮车摆摊卖水果，占了大半条人行道，"
         "行人只能走到机动车道上，很危险，希望尽快处理。")


def main() -> int:
    from sqlalchemy import insert, select

    from bot.catalogue.loading import do_load_catalogue, read_catalogue
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from models import Category, Ticket, TicketEvent, TicketStatus, utcnow
    from tests.conftest import make_settings
    from tests.support import config_file

    folder = Path(tempfile.mkdtemp(prefix="civicbot-export-bench-"))
    # Under tests/scale/services.sh the bench runs on its PostgreSQL (a server-side cursor reads the rows).
    database = os.environ.get("CIVICBOT_BENCH_DATABASE_URL") or folder / "civicbot.db"
    settings = make_settings(folder, database)
    migrate(settings)
    engine = make_engine(settings)
    with transaction(make_sessionmaker(engine)) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
        categories = {c.code: c.lead_department_code for c in session.scalars(select(Category))}
    rng = random.Random(18)
    now = utcnow()
    started = time.perf_counter()
    S = TicketStatus
    flow = (S.RECEIVED, S.REGISTERED, S.DISPATCHED, S.IN_PROGRESS)
    for first in range(0, TICKETS, 10_000):
        tickets, events = [], []
        for n in range(first, min(first + 10_000, TICKETS)):
            updated = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            category = rng.choice(list(categories))
            tickets.append(dict(id=n + 1, number=f"JY-{updated:%Y%m%d}-{n:06d}", description=f"{WORDS}（{n}）",
                                category_code=category, lead_department_code=categories[category],
                                town_code="jinci", latitude=37.70 + rng.random() / 50,
                                longitude=112.43 + rng.random() / 50, status=S.IN_PROGRESS, needs_triage=False,
                                route_reason="", deadline_at=updated + timedelta(days=1),
                                created_at=updated - timedelta(hours=4), updated_at=updated,
                                category_confidence=0.9, location_label="晋祠路", place_text="晋祠路与新晋祠路交叉口",
                                reopen_count=0))
            for step, action in enumerate(EVENTS):
                events.append(dict(ticket_id=n + 1, at=updated - timedelta(hours=3 - step), actor="system:bench",
                                   from_status=flow[step - 1] if step else None, to_status=flow[step],
                                   action=action, department_code="urban_mgmt" if step > 1 else None,
                                   reason="", reply="", channel="", prev_hash=f"{n}-{step}"))
        with engine.begin() as connection:
            connection.execute(insert(Ticket), tickets)
            connection.execute(insert(TicketEvent), events)
    engine.dispose()
    seconds = time.perf_counter() - started
    print(f"inserted {TICKETS:,} tickets with {TICKETS * len(EVENTS):,} events in {seconds:.1f} s")
    config = config_file(folder / "config.toml", settings)
    yesterday = (now + timedelta(hours=8) - timedelta(days=1)).isoformat(timespec="seconds")
    kind = "PostgreSQL" if str(database).startswith("postgresql") else "SQLite"
    print(f"`civicbot export`, its own process, {TICKETS:,} tickets, {kind}:")
    for title, since, fmt in [("nothing selected (baseline)", "2099-01-01", "jsonl"),
                              ("every ticket, jsonl", "2000-01-01", "jsonl"),
                              ("every ticket, csv", "2000-01-01", "csv"),
                              ("the last day's changes, jsonl", yesterday, "jsonl")]:
        out = folder / f"out.{fmt}"
        seconds, cpu, peak_kib = run(config, since, fmt, out)
        lines = sum(1 for _ in out.open(encoding="utf-8")) - (1 if fmt == "csv" else 0)
        print(f"  {title:<32} {seconds:6.1f} s wall {cpu:6.1f} s CPU  peak RSS {peak_kib / 1024:6.1f} MiB  "
              f"{lines:>7,} records  {out.stat().st_size / 2**20:6.1f} MiB file")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


def run(config: Path, since: str, fmt: str, out: Path) -> tuple[float, float, int]:
    """Wall time, CPU time and peak resident set (KiB) of one export.

    The peak is the process's own VmHWM, read as it exits: wait4's ru_maxrss would count this bench's memory too,
    since Linux carries the high-water mark of the forked parent across exec."""
    report = out.with_suffix(".status")
    child = ("import atexit, runpy, shutil, sys\n"
             f"atexit.register(lambda: shutil.copyfile('/proc/self/status', {str(report)!r}))\n"
             f"sys.argv = ['civicbot', '--config', {str(config)!r}, 'export', '--since', {since!r}, "
             f"'--format', {fmt!r}, '--output', {str(out)!r}]\n"
             "runpy.run_module('bot', run_name='__main__')\n")
    begin = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", child], cwd=ROOT,  # nosec B603  # our interpreter, our code
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, f"export failed ({process.returncode})"
    peak = next(int(line.split()[1]) for line in report.read_text().splitlines() if line.startswith("VmHWM:"))
    return time.perf_counter() - begin, usage.ru_utime + usage.ru_stime, peak


if __name__ == "__main__":
    sys.exit(main())
