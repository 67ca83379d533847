"""Image messages: record the photo (MediaId, PicUrl) against the draft; fetching it is a job."""
from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.draft import summary, understand
from models import Photo

if TYPE_CHECKING:
    from bot.conversation import Turn


def add_photo(turn: Turn) -> str:
    draft = turn.open_draft()
    photo = Photo(resident_id=turn.resident.id, media_id=turn.inbound.media_id, pic_url=turn.inbound.pic_url,
                  inbound_message_id=turn.delivery.record.id, created_at=turn.now)
    draft.photos.append(photo)
    turn.session.add(photo)
    understand(turn)
    return summary(turn)
