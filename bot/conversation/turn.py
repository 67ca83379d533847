"""One resident message being answered: what a handler reads and changes, and the reply it gives with the next step."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from bot.catalogue.snapshot import CatalogueSnapshot
from bot.infra.db import enqueue_after_commit
from bot.wechat.inbound import Inbound
from bot.wechat.redelivery import Delivery
from models import Draft, DraftStatus, Resident, Step
from bot.config import Settings


@dataclass(frozen=True)
class Reply:
    """What a handler answers, and where the dialogue goes next (None: it stays where it is)."""

    text: str
    step: Step | None = None


@dataclass
class Turn:
    """One resident message being answered: everything a handler may read or change."""

    inbound: Inbound
    delivery: Delivery
    session: Session
    catalogue: CatalogueSnapshot
    settings: Settings
    resident: Resident
    draft: Draft | None
    now: datetime
    photo_url: Callable[[int], str] | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def step(self) -> Step:
        return self.draft.step if self.draft else Step.IDLE

    def open_draft(self) -> Draft:
        """Return the resident's open draft, starting one when there is none."""
        if self.draft is None:
            # An empty photo list up front spares a query when the summary counts photos.
            self.draft = Draft(resident_id=self.resident.id, created_at=self.now, updated_at=self.now, photos=[],
                               step=Step.COLLECTING)
            self.session.add(self.draft)
            self.session.flush()
        return self.draft

    def close_draft(self, status: DraftStatus) -> None:
        if self.draft is not None:
            self.draft.status = status
            self.draft.updated_at = self.now
            self.draft = None

    def later(self, job: str, *args) -> None:
        """Run a job once this message's answer is committed."""
        enqueue_after_commit(self.session, job, *args)
