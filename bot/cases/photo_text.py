"""What the text read in a resident's photo does: its numbers go into the registry, and the resident is told
what was read when the report is about flyers (or says nothing yet)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot import texts
from bot.cases.numbers import do_record_reading
from bot.config import OcrSettings
from bot.photos.ocr import Reading
from models import Draft, DraftStatus, Photo, Ticket


def do_take_reading(photo: Photo, reading: Reading, settings: OcrSettings, *, session: Session) -> str:
    """Keep the reading and file its numbers; return what to tell the resident ("" for nothing)."""
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
        about_flyers = not draft.description.strip() or draft.category_code in settings.number_categories
    return texts.NUMBERS_READ.format(numbers="、".join(number.shown for number in found)) if about_flyers else ""
