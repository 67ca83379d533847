"""What the public may see of a ticket, for every door that faces outward (the 办理公示 page, Open311): which
tickets, their status as open or closed, their words with private persons' details masked, their photos."""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bot.cases.statuses import STATUSES, Stage, states_in
from bot.photos.redaction import PLATE
from bot.understanding.phone_numbers import phone_text
from models import Photo, PhotoKind, PhotoStatus, Ticket, TicketStatus

MASK = "＊＊"
OPEN, CLOSED = "open", "closed"
PUBLIC_PHOTO_PATH = "/public/photos/{id}.jpg"
PUBLIC_THUMBNAIL_PATH = "/public/photos/{id}-thumbnail.jpg"
# Handled cases, as the 办理公示 page lists them: the department has finished (resolved), or it was verified or closed.
HANDLED = states_in(Stage.RESOLVED, Stage.FINISHED)
PUBLIC_COPIES = "public_copies"   # the job that makes a handled ticket's blurred photo copies (bot/tasks.py)

# Digits that could reach a person: phone numbers in any spacing, ID cards, long account numbers. A run of 7 or more
# (with the separators people type) is masked whole; shorter runs are house numbers, times and counts.
_LONG_DIGITS = re.compile(r"(?<![0-9])\+?[0-9](?:[ \-.]?[0-9]){6,}[0-9Xx]?(?![0-9])")
_NUMERAL = "[0-9一二三四五六七八九十]"
_ROOM = re.compile(rf"{_NUMERAL}+\s*(?:号楼|栋|幢|座)\s*{_NUMERAL}*\s*(?:单元)?\s*[0-9]*\s*(?:室|号|户)?"
                   r"|[0-9]+\s*单元\s*[0-9]*\s*(?:室|号|户)?|[0-9]+\s*室"
                   r"|(?<![0-9])[0-9]{1,3}-[0-9]{1,3}-[0-9]{2,4}(?![0-9])")
_NAMED = re.compile(r"((?:我叫|我是|本人|联系人|姓名|名字|户主|业主)\s*[:：是叫]?\s*)"
                    r"([\u4e00-\u9fff]{2,3}|[A-Za-z]{2,20})")
_ID_WORDS = re.compile(r"((?:微\s*信|[Vv]\s*信|[Vv][Xx]|[Qq]{2}|邮箱|e-?mail)\s*(?:号)?\s*[:：]?\s*)"
                       r"([A-Za-z0-9_.@\-]{5,40})")
_FULL_WIDTH_ALNUM = {code: code - 0xFEE0
                     for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]}
_EMAIL = re.compile(r"[A-Za-z0-9_.+\-]+@[A-Za-z0-9\-]+\.[A-Za-z0-9.\-]+")


def publicly_listed() -> ColumnElement[bool]:
    """Tickets the public sees: not refused as no case at all, and not held for review (spam, abuse) while HQ has
    yet to decide — once HQ registers or dispatches a held report it is a case like any other (as the scores
    count it)."""
    awaiting_review = Ticket.held.is_(True) & Ticket.status.in_([TicketStatus.RECEIVED, TicketStatus.REGISTERED])
    return ~awaiting_review & (Ticket.status != TicketStatus.REJECTED)


def public_status(status: TicketStatus) -> str:
    """Open311's two states: open while the case is to be worked, closed once handled, merged or refused."""
    return OPEN if STATUSES[status].stage == Stage.OPEN else CLOSED


def masked(text: str) -> str:
    """The words with what could identify or reach a private person replaced by ＊＊: phone numbers, 微信/QQ ids,
    e-mail, ID card numbers, licence plates, names given as names, and rooms (3号楼2单元501). A shop's or a
    street's name stays: it is where the problem is."""
    text = text.translate(_FULL_WIDTH_ALNUM)
    text = _ID_WORDS.sub(lambda m: m.group(1) + MASK, text)
    text = _EMAIL.sub(MASK, text)
    plain = phone_text(text)   # same length: OCR-like look-alikes (l38…) read as digits, positions kept
    spans = [m.span() for m in _LONG_DIGITS.finditer(plain)]
    for start, end in reversed(spans):
        text = text[:start] + MASK + text[end:]
    text = PLATE.sub(MASK, text)
    text = _NAMED.sub(lambda m: m.group(1) + MASK, text)
    return _ROOM.sub(MASK, text)


def public_reply(ticket: Ticket) -> str:
    """The last words the department or HQ gave the reporters (what they were told publicly), masked."""
    replies = [event.reply for event in ticket.events if event.reply.strip()]
    return masked(replies[-1]) if replies else ""


def public_photos(ticket: Ticket) -> tuple[list[Photo], list[Photo]]:
    """The stored photos as (before, after): the reporters' and the department's evidence of the work. HQ's own
    on-site photos stay inside."""
    stored = [photo for photo in ticket.photos if photo.status == PhotoStatus.STORED and photo.display_key]
    return ([p for p in stored if p.kind == PhotoKind.REPORT], [p for p in stored if p.kind == PhotoKind.AFTER])


def public_photo_path(photo: Photo, *, thumbnail: bool = False) -> str:
    """Where the blurred public copy of a photo is served (bot/web/public)."""
    return (PUBLIC_THUMBNAIL_PATH if thumbnail else PUBLIC_PHOTO_PATH).format(id=photo.id)


def public_photo(photo_id: int, *, session: Session) -> Photo | None:
    """The photo if the public may see its blurred copy: a before or after photo of a publicly listed ticket."""
    photo = session.get(Photo, photo_id)
    if photo is None or photo.ticket_id is None:
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.id == photo.ticket_id, publicly_listed()))
    if ticket is None:
        return None
    before, after = public_photos(ticket)
    return photo if photo in before or photo in after else None
