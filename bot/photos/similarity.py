"""Find photos of the same scene by perceptual hash, for spotting the same problem reported twice."""
from __future__ import annotations

import imagehash
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Photo, PhotoStatus


def hash_distance(first: str, second: str) -> int:
    return imagehash.hex_to_hash(first) - imagehash.hex_to_hash(second)


def similar_photos(photo_id: int, max_distance: int, *, session: Session, limit: int = 50) -> list[tuple[Photo, int]]:
    """Stored photos within max_distance bits of this one's 64-bit pHash, closest first (itself excluded)."""
    photo = session.get(Photo, photo_id)
    if photo is None or not photo.phash:
        return []
    candidates = session.scalars(select(Photo).where(Photo.status == PhotoStatus.STORED, Photo.phash != "",
                                                     Photo.id != photo_id))
    found = [(other, hash_distance(photo.phash, other.phash)) for other in candidates]
    found = [(other, gap) for other, gap in found if gap <= max_distance]
    return sorted(found, key=lambda item: (item[1], item[0].id))[:limit]
