"""A fresh migrated SQLite database with the catalogue (and staff, if asked) for a benchmark to fill."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
