"""Image messages: record the photo (MediaId, PicUrl; a photo without a MediaId is keyed by its PicUrl) against the
draft; fetching it is a job."""
from __future__ import annotations

from bot.conversation import store
from bot.conversation.turn import Reply, Turn
from bot.photos.fetch import FETCH_PHOTO
from bot.photos.pic_url import media_key
from handlers.draft import take_in


def record_photo(turn: Turn) -> None:
    """Record the photo with the (possibly new) draft now and fetch it in a job: the reply must not wait for
    WeChat's media server."""
    draft = turn.open_draft()
    photo_id = store.add_photo(turn.connection, {
        "resident_id": turn.resident.id, "draft_id": draft.id,
        "media_id": media_key(turn.inbound.media_id, turn.inbound.pic_url),
        "pic_url": turn.inbound.pic_url, "inbound_message_id": turn.delivery.record_id, "created_at": turn.now})
    if photo_id is not None:  # None: the same MediaId again, which is the same photo
        draft.photo_count += 1
        turn.later(FETCH_PHOTO, photo_id)


def add_photo(turn: Turn) -> Reply:
    record_photo(turn)
    return take_in(turn)
