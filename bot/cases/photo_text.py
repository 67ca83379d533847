"""What the text read in a resident's photo does: its numbers go into the registry; a photo sent alone whose text
clearly shows a flyer proposes 违法小广告, for the resident to confirm with one reply (the category menu, 1 / 2);
otherwise the resident is told the numbers read when the report is about flyers."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import texts
from bot.cases.numbers import do_record_reading
from bot.config import OcrSettings
from bot.photos.ocr import Reading
from bot.understanding.photo_category import Proposal, propose
from models import Category, CategorySource, Draft, DraftStatus, Photo, Step, Ticket

MAX_DESCRIPTION_CHARS = 300


def do_take_reading(photo: Photo, reading: Reading, settings: OcrSettings, *, session: Session) -> str:
    """Keep the reading and file its numbers; propose a category for a photo alone; return what to tell the
    resident ("" for nothing)."""
    found = do_record_reading(photo, reading.lines, reading.seconds, session=session)
    if not found:
        return ""
    if photo.ticket_id is not None:
        category = session.get_one(Ticket, photo.ticket_id).category_code
        about_flyers = category in settings.number_categories
    else:
        draft = session.get(Draft, photo.draft_id) if photo.draft_id else None
        if draft is None or draft.status != DraftStatus.OPEN:
            return ""
        proposal = propose(reading.text, found)
        if proposal is not None and _alone(draft):
            return _do_propose(draft, proposal, reading, session=session)
        about_flyers = not draft.description.strip() or draft.category_code in settings.number_categories
    return texts.NUMBERS_READ.format(numbers="、".join(number.shown for number in found)) if about_flyers else ""


def _alone(draft: Draft) -> bool:
    """A draft of photos only, its category not yet the resident's, no other question waiting."""
    return (not draft.description.strip() and draft.step == Step.COLLECTING
            and draft.category_source != CategorySource.RESIDENT)


def _do_propose(draft: Draft, proposal: Proposal, reading: Reading, *, session: Session) -> str:
    """Offer the category as a menu of two (1 it, 2 其他): the resident's 1 settles it and the photo's text
    becomes the description (handlers/category.py), so a photo and a location make a whole report."""
    name = session.scalar(select(Category.name).where(Category.code == proposal.category)) or proposal.category
    draft.category_code, draft.category_confidence = proposal.category, 0.0
    draft.menu, draft.step = [proposal.category, "other"], Step.CHOOSING
    words = " ".join(line.text for line in reading.lines)
    draft.photo_proposal = texts.PHOTO_DESCRIPTION.format(category=name, text=words)[:MAX_DESCRIPTION_CHARS]
    return texts.PHOTO_PROPOSAL.format(category=name, numbers="、".join(proposal.numbers),
                                       trades="”“".join(proposal.trades))
