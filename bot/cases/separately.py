"""File a draft that describes several problems as one report per problem, each through submit_report.

Each problem becomes a draft of its own (already submitted: it never waits in the chat) with the problem's words
and category — the resident confirmed both —, the draft's place, and the draft's photos: the first problem takes
the photos themselves, the others copies that share the stored files (bot/photos/copies.py), because the
resident's photos show the place every department has to find. submit_report then treats each part as any
report: the per-hour limit, moderation, duplicates (a part may join an open ticket of its own category) and
routing to its category's department. Each ticket's history names the others.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.cases.reports import Outcome, Submission, reports_in_last_hour, submit_report
from bot.cases.workflow import do_flag
from bot.catalogue.snapshot import CatalogueSnapshot
from bot.config import Settings
from bot.photos.copies import copy_photo
from bot.understanding.several import Problem
from models import CategorySource, Draft, DraftStatus, PhotoStatus, Step

PART_DESCRIPTION = "{words}\n（市民同一条反映中的问题之一，原话：{whole}）"
SIBLINGS_NOTE = "市民在同一条反映中还反映了：{others}，已分别立案"


def submit_separately(draft: Draft, problems: Sequence[Problem], *, catalogue: CatalogueSnapshot, settings: Settings,
                      now: datetime, session: Session) -> list[Submission]:
    """One submission per problem, in order; or [Submission(LIMITED)] with nothing filed when the per-hour limit
    would not let every part through (the draft is kept)."""
    left = settings.limits.reports_per_hour - reports_in_last_hour(draft.resident_id, now, session=session)
    if left < len(problems):
        return [Submission(Outcome.LIMITED)]
    parts = [_part(draft, problem, now) for problem in problems]
    session.add_all(parts)
    session.flush()
    _share_photos(draft, parts, session=session)
    submissions = [submit_report(part, catalogue=catalogue, settings=settings, now=now, session=session)
                   for part in parts]
    draft.status = DraftStatus.SUBMITTED
    draft.updated_at = now
    _name_the_others(submissions, catalogue, now, session=session)
    return submissions


def _part(draft: Draft, problem: Problem, now: datetime) -> Draft:
    return Draft(resident_id=draft.resident_id, status=DraftStatus.SUBMITTED, step=Step.IDLE,
                 description=PART_DESCRIPTION.format(words=problem.words, whole=draft.description),
                 category_code=problem.category, category_confidence=problem.confidence,
                 category_source=CategorySource.RESIDENT, menu=[], latitude=draft.latitude,
                 longitude=draft.longitude, location_label=draft.location_label,
                 location_source=draft.location_source, place_text=draft.place_text, town_code=draft.town_code,
                 created_at=now, updated_at=now)


def _share_photos(draft: Draft, parts: list[Draft], *, session: Session) -> None:
    """The first part takes the draft's photos; every other part gets copies of them."""
    photos = [photo for photo in draft.photos if photo.status != PhotoStatus.FAILED]
    for photo in draft.photos:
        photo.draft_id = parts[0].id
    for number, part in enumerate(parts[1:], start=2):
        for photo in photos:
            session.add(copy_photo(photo, draft_id=part.id, number=number))
    session.flush()
    for part in parts:
        session.expire(part, ["photos"])


def _name_the_others(submissions: list[Submission], catalogue: CatalogueSnapshot, now: datetime, *,
                     session: Session) -> None:
    tickets = [s.ticket for s in submissions if s.ticket is not None]
    for ticket in tickets:
        others = "、".join(f"{other.number}【{catalogue.category_name(other.category_code)}】"
                          for other in tickets if other.id != ticket.id)
        if others:
            do_flag(ticket, SIBLINGS_NOTE.format(others=others), now=now, session=session, actor="resident")
