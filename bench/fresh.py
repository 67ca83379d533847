"""A fresh migrated SQLite database with the catalogue (and staff, if asked) for a benchmark to fill, and tickets
inserted in bulk into it."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

TOWNS = ["luocheng", "yijing", "jinyuan", "jinsheng", "yaocun", "jinci", None]


@dataclass
class BenchDatabase:
    settings: Any                     # bot.config.Settings, from tests.conftest.make_settings
    engine: Any
    sessions: Any
    categories: dict[str, str]        # category code → its lead department


def fresh_database(folder: Path, staff: tuple[tuple[str, str], ...] = (), password: str = "") -> BenchDatabase:
    """Migrated, the catalogue loaded, each (username, department) added as an admin with `password`; an HQ
    admin is enrolled in TOTP, as the portal requires (tests.support.Clerk.login types the code)."""
    from sqlalchemy import select

    from bot.cases.staff import do_add_staff
    from bot.catalogue.loading import do_load_catalogue, read_catalogue
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from models import Category
    from tests.conftest import make_settings
    from tests.support import enrol_totp

    settings = make_settings(folder, folder / "civicbot.db")
    migrate(settings)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
        categories = {c.code: c.lead_department_code for c in session.scalars(select(Category))}
        for username, department in staff:
            do_add_staff(username, department, "admin", password, session=session)
    for username, department in staff:
        if department == "hq":
            enrol_totp(sessions, username)
    return BenchDatabase(settings, engine, sessions, categories)


def insert_tickets(bench: BenchDatabase, count: int, rng: random.Random, now: datetime) -> None:
    """`count` tickets over the last 90 days, in every category, town and status, over a 20 km square of the
    district, each with its first event (unsealed: bulk inserts bypass the ORM's seal, which no page reads)."""
    from sqlalchemy import insert, select

    from models import Ticket, TicketEvent, TicketStatus

    statuses = list(TicketStatus)
    with bench.engine.begin() as connection:
        rows = []
        for n in range(count):
            created = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
            category = rng.choice(list(bench.categories))
            rows.append(dict(number=f"JY-{created:%Y%m%d}-{n:06d}", description=f"测试工单 {n} 路口有人摆摊占道",
                             category_code=category, lead_department_code=bench.categories[category],
                             town_code=rng.choice(TOWNS), status=rng.choice(statuses), needs_triage=rng.random() < .1,
                             route_reason="", deadline_at=created + timedelta(days=rng.choice([1, 2, 3])),
                             created_at=created, updated_at=created, category_confidence=0.9, location_label="",
                             place_text="", reopen_count=0,
                             latitude=37.63 + rng.random() * 0.18, longitude=112.37 + rng.random() * 0.23))
            if len(rows) == 5000:
                connection.execute(insert(Ticket), rows)
                rows = []
        if rows:
            connection.execute(insert(Ticket), rows)
        ids = [row.id for row in connection.execute(select(Ticket.id))]
        connection.execute(insert(TicketEvent), [dict(ticket_id=i, at=now, actor="resident", to_status="received",
                                                      reason="市民通过公众号提交", action="") for i in ids])
