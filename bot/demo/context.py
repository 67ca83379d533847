"""What every step of the demo shares: the session, the catalogue, the simulated clock, the people, and the one way a
demo step is taken: `do_transition` at the simulated moment, as the portal would take it."""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cases.workflow import Actor, Change, Inputs, TransitionRefused, check_transition, do_transition
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.demo.pictures import Pictures
from models import Department, StaffAccount, Ticket

DAY_STARTS, DAY_ENDS = 7, 22   # residents answer between these local hours


@dataclass
class Team:
    """A department's demo people: its admin (who returns and assigns) and those who accept and resolve."""

    admin: Actor
    workers: list[Actor]
    accounts: dict[int, StaffAccount]   # staff id → account, for assigning

    def member(self, staff_id: int | None) -> Actor | None:
        return next((actor for actor in [self.admin, *self.workers] if actor.staff_id == staff_id), None)


@dataclass
class Profile:
    """How a department works: how fast (share of the category's time limit its work takes, as a median), how
    quickly it takes a ticket up (working hours), how often it returns, asks for more time, and how well it does."""

    speed: float = 0.55
    pickup_hours: float = 1.5
    returns: float = 0.05
    extensions: float = 0.35      # of the tickets it would finish late, how many it asks more time for
    unhappy: float = 0.12         # residents who answer 不满意


# The demo's departments differ, so the rankings do: 住建 is slow, 交警 and 城管 quick.
PROFILES = {
    "urban_mgmt": Profile(speed=0.45, pickup_hours=1.0),
    "sanitation_centre": Profile(speed=0.5, pickup_hours=0.8, unhappy=0.15),
    "housing_construction": Profile(speed=1.35, pickup_hours=5.0, returns=0.1, extensions=0.5, unhappy=0.25),
    "ecology_env": Profile(speed=0.6, pickup_hours=2.0),
    "traffic_police": Profile(speed=0.35, pickup_hours=0.5, unhappy=0.08),
    "water_affairs": Profile(speed=0.85, pickup_hours=3.0, returns=0.08),
    "public_security": Profile(speed=0.5, pickup_hours=1.0),
    "civilisation_office": Profile(speed=0.7, pickup_hours=2.5, returns=0.04),
}


@dataclass
class Demo:
    session: Session
    catalogue: CatalogueSnapshot
    settings: Settings
    rng: random.Random
    pictures: Pictures
    hq: Actor
    teams: dict[str, Team]
    end: datetime                  # the simulated present: nothing happens after it
    now: datetime
    counts: Counter[str] = field(default_factory=Counter)
    _departments: dict[str, Department] = field(default_factory=dict)

    def act(self, ticket: Ticket, actor: Actor, action: str, *, after_photo: bool = False, **given: Any) -> bool:
        """Take the step now if the ticket still allows it (a sweep or HQ may have moved it on meanwhile)."""
        inputs = Inputs(**given)
        try:
            check_transition(Change(ticket, actor, self.now, inputs, self.catalogue, self.session), action,
                             photo_count=int(after_photo))
        except TransitionRefused:
            self.counts["refused"] += 1
            return False
        photos = [self.pictures.after_photo(actor.staff_id, ticket.id, self.now, session=self.session)] \
            if after_photo else []
        do_transition(ticket, actor, action, now=self.now, session=self.session, inputs=inputs, photos=photos,
                      catalogue=self.catalogue)
        self.counts[action] += 1
        return True

    def department(self, code: str) -> Department:
        if code not in self._departments:
            self._departments[code] = self.session.scalars(select(Department).where(Department.code == code)).one()
        return self._departments[code]

    def department_name(self, code: str) -> str:
        return self.catalogue.routing.department_names.get(code, code)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def working(self, hours: float, since: datetime | None = None) -> datetime:
        """The moment this many working hours after now (or since), on the district's calendar."""
        return self.catalogue.calendar.due_at(since or self.now, f"{max(hours, 0.02):.3f}h")

    def daytime(self, hours: float) -> datetime:
        """This many hours after now, moved into the residents' waking hours."""
        moment = self.now + timedelta(hours=hours)
        local = self.catalogue.calendar.local(moment)
        if local.hour < DAY_STARTS:
            moment += timedelta(hours=DAY_STARTS - local.hour, minutes=self.rng.randrange(60))
        elif local.hour >= DAY_ENDS:
            moment += timedelta(hours=24 - local.hour + DAY_STARTS + 1, minutes=self.rng.randrange(60))
        return moment

    def limit_hours(self, category_code: str) -> float:
        """The category's time limit in working hours."""
        spec = self.catalogue.categories[category_code].deadline
        amount = float(spec[:-1])
        return amount if spec.endswith("h") else amount * self.catalogue.calendar.day_minutes / 60
