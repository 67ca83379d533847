"""Where cleaned photos are kept: a small interface, with files under var/media/ as the default."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.db import undo_on_rollback

# The key layout: each photo's files in a folder of its own. The public copies (faces and plates blurred,
# bot/photos/redaction.py) are made later, beside the display copy.
DISPLAY, THUMBNAIL = "display.jpg", "thumbnail.jpg"
PUBLIC, PUBLIC_THUMBNAIL = "public.jpg", "public-thumbnail.jpg"


@dataclass(frozen=True)
class StoredFile:
    """One object in the storage, as a listing gives it."""

    key: str
    size: int
    modified: datetime   # naive UTC, as the database keeps times


class MediaStorage(Protocol):
    """An object store keyed by path-like names; an S3/OSS bucket can implement the same five calls."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def files(self) -> Iterator[StoredFile]: ...


class LocalMediaStorage:
    """Files under one folder, written atomically so a reader never sees half a photo."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"storage key escapes the media folder: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
            handle.write(data)
            temporary = handle.name
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        # The emptied folder stays: removing it could race a writer about to put a file in it.
        self._path(key).unlink(missing_ok=True)

    def files(self) -> Iterator[StoredFile]:
        if not self.root.is_dir():
            return
        for folder, _, names in os.walk(self.root):
            for name in names:
                path = Path(folder) / name
                try:
                    found = path.stat()
                except FileNotFoundError:   # removed while we looked
                    continue
                yield StoredFile(path.relative_to(self.root).as_posix(), found.st_size,
                                 datetime.fromtimestamp(found.st_mtime, UTC).replace(tzinfo=None))


def photo_keys(photo_id: int) -> tuple[str, str]:
    """The keys of a photo's display copy and thumbnail."""
    return f"photos/{photo_id}/{DISPLAY}", f"photos/{photo_id}/{THUMBNAIL}"


def public_keys(display_key: str) -> tuple[str, str]:
    """The keys of the public copies (display, thumbnail) made beside a stored display copy."""
    folder = display_key.rpartition("/")[0]
    return f"{folder}/{PUBLIC}", f"{folder}/{PUBLIC_THUMBNAIL}"


def do_store_photo(storage: MediaStorage, photo_id: int, display: bytes, thumbnail: bytes, *,
                   session: Session) -> tuple[str, str]:
    """Put a cleaned photo's two copies under the key layout, as part of the session's transaction: if it rolls
    back (a step refused, a lost race, a failed commit) the files go too. Return (display key, thumbnail key).

    Call it once the photo's row is flushed and whatever may refuse the work has run, so that a refusal writes
    nothing at all."""
    keys = photo_keys(photo_id)
    stale = public_keys(keys[0])

    def remove() -> None:
        for key in (*keys, *stale):
            storage.delete(key)

    undo_on_rollback(session, remove)   # first: a failure between the two writes removes the first
    for key in stale:   # public copies of an earlier photo under this id (SQLite reuses a rolled-back row's id)
        storage.delete(key)
    storage.put(keys[0], display, "image/jpeg")
    storage.put(keys[1], thumbnail, "image/jpeg")
    return keys


def discard_photo(storage: MediaStorage, photo_id: int) -> None:
    """Remove a stored photo's copies (and any public copies made of them) whose work was refused after all."""
    keys = photo_keys(photo_id)
    for key in (*keys, *public_keys(keys[0])):
        storage.delete(key)


def make_storage(settings: Settings) -> MediaStorage:
    return LocalMediaStorage(settings.media.root)
