"""One resident message being answered: what a handler reads and changes, and the reply it gives with the next step."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.conversation import store
from bot.conversation.store import DraftState, ResidentState
from bot.infra.db import Jobs, take_after_commit
from bot.wechat.inbound import Inbound
from bot.wechat.redelivery import Delivery
from models import Draft, DraftStatus, Step


@dataclass(frozen=True)
class Reply:
    """What a handler answers, and where the dialogue goes next (None: it stays where it is)."""

    text: str
    step: Step | None = None


@dataclass
class Turn:
    """One resident message being answered: everything a handler may read or change.

    The resident and the draft are plain rows (bot/conversation/store.py), written back once at the end;
    steps that need the ORM (submitting, rating, erasing, look-ups) use `session`, opened on first use
    on the same connection, so everything commits together with the message's claim.
    """

    inbound: Inbound
    delivery: Delivery
    connection: Connection
    sessions: sessionmaker[Session]
    jobs: Jobs
    catalogue: CatalogueSnapshot
    settings: Settings
    resident: ResidentState
    draft: DraftState | None
    now: datetime
    photo_url: Callable[[int], str] | None = None
    notices: list[str] = field(default_factory=list)
    effects: list[Callable[[], None]] = field(default_factory=list)
    _session: Session | None = None

    @property
    def step(self) -> Step:
        return self.draft.step if self.draft else Step.IDLE

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.sessions(bind=self.connection)
        return self._session

    def open_draft(self) -> DraftState:
        """Return the resident's open draft, starting one when there is none."""
        if self.draft is None:
            self.draft = store.start_draft(self.connection, self.resident.id, self.now)
        return self.draft

    def close_draft(self, status: DraftStatus) -> None:
        if self.draft is not None:
            self.draft.status = status
            self.draft.updated_at = self.now
            store.save(self.connection, self.draft)
            self.draft = None

    def orm_draft(self) -> Draft:
        """The open draft as an ORM object, for the case services; what the turn changed is written first."""
        assert self.draft is not None
        store.save(self.connection, self.draft)
        draft = self.session.get(Draft, self.draft.id)
        assert draft is not None
        return draft

    def later(self, job: str, *args: object) -> None:
        """Run a job once this message's answer is committed."""
        self.effects.append(lambda: self.jobs.enqueue(job, *args))

    def finish(self) -> list[Callable[[], None]]:
        """Write what the turn changed; return what is to run after commit."""
        if self._session is not None:
            self._session.flush()
            self.effects += take_after_commit(self._session)
            self._session.close()
            self._session = None
        if self.draft is not None:
            store.save(self.connection, self.draft)
        store.save(self.connection, self.resident)
        return self.effects
