"""Where cleaned photos are kept: a small interface, with files under var/media/ as the default."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Protocol

from bot.config import Settings


class MediaStorage(Protocol):
    """An object store keyed by path-like names; an S3/OSS bucket can implement the same four calls."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


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
        self._path(key).unlink(missing_ok=True)


def store_photo(storage: MediaStorage, photo_id: int, display: bytes, thumbnail: bytes) -> tuple[str, str]:
    """Put a cleaned photo's two copies under the one key layout; return (display key, thumbnail key)."""
    keys = f"photos/{photo_id}/display.jpg", f"photos/{photo_id}/thumbnail.jpg"
    storage.put(keys[0], display, "image/jpeg")
    storage.put(keys[1], thumbnail, "image/jpeg")
    return keys


def make_storage(settings: Settings) -> MediaStorage:
    return LocalMediaStorage(settings.media.root)
