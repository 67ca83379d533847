"""The media sweep: files in the media storage that no photo row references (orphans), removed once they are older
than a grace period, and reported by count and bytes.

Photos' files are written in the transaction that records them and removed when it rolls back
(`do_store_photo`), so orphans come only from a process killed between the write and the commit, or from files a
writer left half-made. The grace period keeps the sweep off a photo whose transaction is still open.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.infra.db import transaction
from bot.photos.storage import MediaStorage, StoredFile, public_keys
from models import Photo

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    """What a sweep found: the orphans (removed unless it was a dry run), and the files it kept."""

    orphans: list[StoredFile] = field(default_factory=list)
    young: int = 0          # unreferenced, but within the grace period: perhaps a transaction still open
    referenced: int = 0
    dry_run: bool = False

    @property
    def orphan_bytes(self) -> int:
        return sum(orphan.size for orphan in self.orphans)


def referenced_keys(*, session: Session) -> set[str]:
    """Every key a photo row points at, with the public copies made beside its display copy."""
    keys: set[str] = set()
    for display, thumbnail in session.execute(select(Photo.display_key, Photo.thumbnail_key)):
        for key in (display, thumbnail):
            if key:
                keys.add(key)
        if display:
            keys.update(public_keys(display))
    return keys


def find_orphans(files: Iterable[StoredFile], referenced: set[str], *, now: datetime,
                 grace: timedelta) -> SweepReport:
    """Sort the storage's files into referenced, young and orphaned."""
    report = SweepReport()
    for stored in files:
        if stored.key in referenced:
            report.referenced += 1
        elif now - stored.modified < grace:
            report.young += 1
        else:
            report.orphans.append(stored)
    return report


def sweep_media(storage: MediaStorage, sessions: sessionmaker[Session], *, now: datetime, grace: timedelta,
                dry_run: bool = False) -> SweepReport:
    """Remove the orphaned files older than grace (or only list them, dry_run); log what was found.

    The storage is listed before the rows are read, so a photo committed in between is referenced, never taken
    for an orphan; and listed outside any transaction, so a long listing holds no lock the webhook waits for."""
    files = list(storage.files())
    with transaction(sessions) as session:
        referenced = referenced_keys(session=session)
    report = find_orphans(files, referenced, now=now, grace=grace)
    report.dry_run = dry_run
    if not dry_run:
        for orphan in report.orphans:
            storage.delete(orphan.key)
    if report.orphans:
        log.warning("media sweep: %d orphaned file(s), %d bytes%s: %s", len(report.orphans), report.orphan_bytes,
                    " (dry run, kept)" if dry_run else " removed",
                    ", ".join(orphan.key for orphan in report.orphans[:20]))
    else:
        log.info("media sweep: no orphaned files (%d referenced, %d young)", report.referenced, report.young)
    return report
