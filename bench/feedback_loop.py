"""Feedback-loop figures: notices through a WeChat outage, duplicates among 50 nearby reports, a 100-message burst.

Run as `make bench-feedback` (about 16 minutes with the default 10-minute outage; --outage-minutes to change).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage-minutes", type=float, default=10)
    options = parser.parse_args()
    import logging

    from sqlalchemy import func, select

    from bot.app import create_app
    from bot.cases.staff import do_add_staff
    from bot.catalogue.loading import do_load_catalogue, read_catalogue
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from bot.simulator.fake_wechat_api import FakeWeChat
    from models import Notification, Ticket, TicketReporter
    from tests.conftest import Resident, make_settings
    from tests.test_portal import Clerk

    logging.disable(logging.INFO)
    fake = FakeWeChat()
    folder = Path(tempfile.mkdtemp(prefix="civicbot-feedback-"))
    settings = make_settings(folder, folder / "civicbot.db", limits={"reports_per_hour": 10}, wechat={
        "app_id": fake.app_id, "app_secret": fake.secret, "api_base_url": fake.base_url})
    migrate(settings)
    sessions = make_sessionmaker(make_engine(settings))
    with transaction(sessions) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
        do_add_staff("chen", "urban_mgmt", "staff", "bench-password-1", session=session)
    app = create_app(settings)
    queue = app.extensions["civicbot"].jobs

    # 1. Duplicates: 50 street-vending reports around 5 spots (each within about 60 m of its spot).
    rng = random.Random(5)
    spots = [(37.7050, 112.4310), (37.7100, 112.4400), (37.7300, 112.4800), (37.7700, 112.4700), (37.6400, 112.4000)]
    replies = []
    for n in range(50):
        lat, lng = spots[n % 5]
        person = Resident(app, f"o-dup-{n}")
        person.location(lat + rng.uniform(-0.0004, 0.0004), lng + rng.uniform(-0.0004, 0.0004), label="路口")
        person.says(rng.choice(["路口有人摆摊占道", "小贩把人行道占了", "早市摆到马路上了", "三轮车卖菜堵路"]))
        person.says("改为 占道经营")
        replies.append(person.says("提交"))
    with sessions() as session:
        opened = session.scalar(select(func.count()).select_from(Ticket))
        joined = session.scalar(select(func.count()).select_from(TicketReporter))
    print(f"duplicates: 50 reports around 5 spots → {opened} tickets opened, {joined} reports joined an open ticket")

    # 2. A burst of 100 messages from one resident (50 reports, each followed by 提交).
    burst = Resident(app, "o-burst")
    started = time.perf_counter()
    answers = []
    for n in range(50):
        answers.append(burst.says(f"义井街道第{n}个路口有人乱停车"))
        answers.append(burst.says("提交"))
    seconds = time.perf_counter() - started
    print(f"burst: 100 messages from one resident in {seconds:.1f} s → all answered: {all(answers)}, "
          f"{sum('JY-' in a or '已有' in a for a in answers)} reports accepted, "
          f"{sum('这一小时已提交了' in a for a in answers)} refused politely by the limit of 10 per hour")

    # 3. Notices through an outage: the clerk accepts every ticket while the WeChat API fails.
    clerk = Clerk(app, "chen")
    clerk.login("bench-password-1")
    with sessions() as session:
        numbers = session.scalars(select(Ticket.number).where(Ticket.lead_department_code == "urban_mgmt")).all()
    fake.failing = True
    for number in numbers:
        clerk.act(number, "accept")
    with sessions() as session:
        expected = session.scalar(select(func.count()).select_from(Notification))
    stop = threading.Event()

    def worker():  # what the periodic job does every minute; every 10 s here
        while not stop.is_set():
            queue.deliver_notifications()
            stop.wait(10)

    threading.Thread(target=worker, daemon=True).start()
    print(f"outage: {expected} notices written while the WeChat API fails for {options.outage_minutes} minutes …")
    time.sleep(options.outage_minutes * 60)
    fake.failing = False
    recovered = time.monotonic()
    while time.monotonic() - recovered < 900:
        with sessions() as session:
            pending = session.scalar(select(func.count()).select_from(Notification)
                                     .where(Notification.status != "sent"))
        if not pending:
            break
        time.sleep(5)
    stop.set()
    with sessions() as session:
        sent = session.scalar(select(func.count()).select_from(Notification).where(Notification.status == "sent"))
        attempts = session.scalar(select(func.sum(Notification.attempts)))
    delivered = {m["touser"] for m in fake.sent}
    print(f"outage: after recovery all delivered in {time.monotonic() - recovered:.0f} s: sent {sent}/{expected}, "
          f"lost {expected - sent}, {attempts} attempts in all, {len(delivered)} residents received their news")
    fake.close()


if __name__ == "__main__":
    main()
