"""Image messages: record the photo (MediaId, PicUrl) against the draft; fetching it is a job."""
from __future__ import annotations

from sqlalchemy import select

from bot.conversation.turn import Reply, Turn
from bot.photos.fetch import FETCH_PHOTO
from handlers.draft import take_in
from models import Photo


def add_photo(turn: Turn) -> Reply:
    """Record the photo now and fetch it in a job: the reply must not wait for WeChat's media server."""
    draft = turn.open_draft()
    known = turn.session.scalar(select(Photo).where(Photo.resident_id == turn.resident.id,
                                                    Photo.media_id == turn.inbound.media_id))
    if known is None:
        photo = Photo(resident_id=turn.resident.id, media_id=turn.inbound.media_id, pic_url=turn.inbound.pic_url,
                      inbound_message_id=turn.delivery.record_id, created_at=turn.now)
        draft.photos.append(photo)
        turn.session.add(photo)
        turn.session.flush()
        turn.later(FETCH_PHOTO, photo.id)
    return take_in(turn)
