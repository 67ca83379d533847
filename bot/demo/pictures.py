"""The demo's photos: small street scenes drawn with Pillow, cleaned and stored as the portal and the photo job do."""
from __future__ import annotations

import io
import random
from datetime import datetime

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from bot.config import MediaSettings
from bot.photos.cleaning import clean_image
from bot.photos.storage import MediaStorage, do_store_photo
from models import Photo, PhotoKind, PhotoStatus

SIZE = (320, 240)   # the thumbnail size: cleaning them needs no resizing


def scene(rng: random.Random, *, tidy: bool) -> bytes:
    """A JPEG of sky, a road and things on it: cluttered for a report, tidy (fewer, calmer shapes) after the work."""
    width, height = SIZE
    sky = (rng.randrange(150, 210), rng.randrange(180, 225), rng.randrange(200, 250))
    image = Image.new("RGB", SIZE, sky)
    draw = ImageDraw.Draw(image)
    horizon = rng.randrange(height // 3, height // 2)
    for _ in range(rng.randrange(2, 5)):   # buildings
        left = rng.randrange(-40, width)
        top = rng.randrange(horizon // 4, horizon)
        grey = rng.randrange(120, 200)
        draw.rectangle([left, top, left + rng.randrange(60, 180), horizon], fill=(grey, grey - 10, grey - 20))
    road = rng.randrange(70, 110)
    draw.rectangle([0, horizon, width, height], fill=(road, road, road + 5))
    draw.line([(width // 2, horizon), (width // 2, height)], fill=(230, 230, 230), width=3)
    for _ in range(3 if tidy else rng.randrange(8, 16)):
        x, y = rng.randrange(width), rng.randrange(horizon, height)
        size = rng.randrange(8, 40 if tidy else 70)
        colour = (60, 140, 70) if tidy else tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape([x, y, x + size, y + size * rng.uniform(0.5, 1.2)], fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Pictures:
    """Makes each demo photo a stored Photo row: drawn, cleaned by clean_image, put through do_store_photo."""

    def __init__(self, storage: MediaStorage, media: MediaSettings, rng: random.Random):
        self.storage, self.media, self.rng = storage, media, rng
        self.made = 0

    def _stored(self, photo: Photo, *, tidy: bool, session: Session) -> Photo:
        clean = clean_image(scene(self.rng, tidy=tidy), max_bytes=self.media.max_bytes,
                            max_pixels=self.media.max_pixels)
        photo.status, photo.width, photo.height = PhotoStatus.STORED, clean.width, clean.height
        photo.source_format, photo.phash = clean.source_format, clean.phash
        session.add(photo)
        session.flush()
        photo.display_key, photo.thumbnail_key = do_store_photo(self.storage, photo.id, clean.display,
                                                                   clean.thumbnail, session=session)
        self.made += 1
        return photo

    def resident_photo(self, resident_id: int, draft_id: int, at: datetime, *, session: Session) -> Photo:
        """A photo the resident sent with the report, as the photo job leaves it once fetched."""
        photo = Photo(resident_id=resident_id, draft_id=draft_id, kind=PhotoKind.REPORT,
                      media_id=f"demo-media-{self.rng.getrandbits(48):012x}", created_at=at, processed_at=at)
        return self._stored(photo, tidy=False, session=session)

    def after_photo(self, staff_id: int | None, ticket_id: int, at: datetime, *, session: Session) -> Photo:
        """A department's after-photo, as the portal stores one uploaded with 处置完成."""
        photo = Photo(kind=PhotoKind.AFTER, staff_id=staff_id, ticket_id=ticket_id,
                      media_id=f"portal-demo-{self.rng.getrandbits(48):012x}", created_at=at, processed_at=at)
        return self._stored(photo, tidy=True, session=session)
