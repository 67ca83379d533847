"""Back up the SQLite database (online, through SQLite's backup API) and the media folder, with a manifest; restore.

The database is copied first, in one step of the backup API: in WAL mode that is a read transaction, so the copy is
the database as it was at one commit while the bot goes on writing. The media folder is copied after it, so every
photo the copy says is stored already has its files (a photo's files are written before its row says so); files
of photos stored meanwhile come along unreferenced, which is harmless. PostgreSQL is backed up with pg_dump
(README, Backups).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bot.config import Settings
from bot.infra.db import migrate
from models import utcnow

MANIFEST = "manifest.json"
DATABASE = "civicbot.db"
MEDIA = "media"
COUNTED = ("tickets", "ticket_events", "photos")
# A database holding any of these is someone's data: restoring over it needs --force.
NOT_EMPTY_IF_ANY = ("tickets", "residents", "staff_accounts")
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup or restore cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    revision_before: str
    revision_after: str
    counts: dict[str, int]


def sqlite_path(settings: Settings) -> Path:
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("`civicbot backup` copies a SQLite database; on PostgreSQL use pg_dump and pg_restore "
                          "(README, Backups, gives the commands)")
    return Path(url.database)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _facts(database: Path) -> tuple[str, dict[str, int]]:
    """The Alembic revision and the row counts of a database file."""
    with sqlite3.connect(database) as connection:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        # Table names from COUNTED, this module's own constant, never from input.
        counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # nosec B608
                  for table in COUNTED}
    connection.close()
    return (revision[0] if revision else ""), counts


def _last_anchor(database: Path) -> dict[str, str] | None:
    """The audit trail's latest anchor in the copy: a manifest kept elsewhere then vouches for the trail too."""
    with sqlite3.connect(database) as connection:
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit_anchors'").fetchone() is None:
            return None   # a database from before the audit trail
        row = connection.execute("SELECT day, hash FROM audit_anchors ORDER BY id DESC LIMIT 1").fetchone()
    connection.close()
    return {"day": row[0], "hash": row[1]} if row else None


def backup(settings: Settings, out: Path) -> dict[str, Any]:
    """Copy the database and the media folder into out (new or empty); return the manifest written there."""
    source = sqlite_path(settings)
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: give a new folder for each backup")
    out.mkdir(parents=True, exist_ok=True)
    taken_at = utcnow()
    reader = sqlite3.connect(source, timeout=settings.database.busy_timeout_ms / 1000)
    copy = sqlite3.connect(out / DATABASE)
    try:
        reader.backup(copy)   # all pages in one step: one read transaction, one consistent snapshot
    finally:
        copy.close()
        reader.close()
    media_root = Path(settings.media.root)
    if media_root.is_dir():
        shutil.copytree(media_root, out / MEDIA, ignore=shutil.ignore_patterns("*.tmp", "tmp*"))
    revision, counts = _facts(out / DATABASE)
    files = {str(path.relative_to(out)): sha256_of(path) for path in sorted(out.rglob("*"))
             if path.is_file() and path.name != MANIFEST}
    manifest = {"taken_at": taken_at.isoformat(timespec="seconds") + "Z", "alembic_revision": revision,
                "counts": counts, "last_audit_anchor": _last_anchor(out / DATABASE),
                "photo_files": sum(1 for name in files if name.startswith(f"{MEDIA}/")),
                "files": files}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def read_checked_manifest(folder: Path) -> dict[str, Any]:
    """The backup's manifest, once every file it lists is there with the hash it lists."""
    try:
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} has no readable {MANIFEST}: is it a civicbot backup?") from exc
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise BackupError(f"{name} is listed in the manifest but missing from the backup")
        if sha256_of(path) != digest:
            raise BackupError(f"{name} does not match the manifest's sha256: the backup is damaged or was changed")
    return manifest


def _holds_data(database: Path) -> bool:
    if not database.is_file() or database.stat().st_size == 0:
        return False
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # Table names from NOT_EMPTY_IF_ANY, this module's own constant, never from input.
        held = any(connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()  # nosec B608
                   for table in NOT_EMPTY_IF_ANY if table in tables)
    connection.close()
    return held


def restore(settings: Settings, folder: Path, *, force: bool = False) -> Restored:
    """Bring a backup back into the configured database and media folder, then migrate it up to this code's schema.

    The bot must be stopped. The manifest's hashes are checked before anything is touched."""
    target = sqlite_path(settings)
    manifest = read_checked_manifest(folder)
    if _holds_data(target) and not force:
        raise BackupError(f"{target} already holds tickets, residents or staff: restoring would replace them "
                          "(stop the bot, and give --force if that is what you want)")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API rather than a file copy: SQLite rewrites the target and its WAL as one, where a
    # copied file next to an old -wal file would be read with the old file's pages.
    # immutable: a backup on read-only media is read without the lock files SQLite would otherwise create there.
    source = sqlite3.connect(f"{(folder / DATABASE).resolve().as_uri()}?immutable=1", uri=True)
    writer = sqlite3.connect(target, timeout=settings.database.busy_timeout_ms / 1000)
    try:
        source.backup(writer)
    finally:
        writer.close()
        source.close()
    media = folder / MEDIA
    if media.is_dir():
        root = Path(settings.media.root)
        for path in sorted(media.rglob("*")):
            if path.is_file():
                _put_file(path, root / path.relative_to(media))
    migrate(settings)
    revision, counts = _facts(target)
    return Restored(manifest["alembic_revision"], revision, counts)


def _put_file(source: Path, destination: Path) -> None:
    """Copy atomically: a photo being read never shows half a file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as handle:
        with source.open("rb") as reading:
            shutil.copyfileobj(reading, handle)
        temporary = handle.name
    os.replace(temporary, destination)
