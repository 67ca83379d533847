"""Time the media sweep (bot/photos/sweep.py) on a storage of many photos: each with its display copy, thumbnail and
public copy and its row, plus 100 photos' files with no row, all older than the grace period.

Run as `make bench-media` (`--photos N`, default 20,000): a fresh SQLite database and media folder in a temporary
folder, removed afterwards. Prints the files, the orphans removed and the time the whole sweep took.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ORPHANED = 100
NAMES = ("display.jpg", "thumbnail.jpg", "public.jpg")


def main() -> None:
    from sqlalchemy import insert

    from bot.config import load_config
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from bot.photos.storage import LocalMediaStorage
    from bot.photos.sweep import sweep_media
    from models import Photo, utcnow

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20_000)
    count = parser.parse_args().photos
    logging.basicConfig(level=logging.ERROR)   # the sweep's own line names the orphans; the figures say enough
    with tempfile.TemporaryDirectory(prefix="civicbot-bench-media-") as scratch:
        folder = Path(scratch)
        config = folder / "config.toml"
        config.write_text(f'[database]\nurl = "sqlite:///{folder}/bench.db"\n[media]\nroot = "{folder}/media"\n',
                          encoding="utf-8")
        settings = load_config(config, environ={})
        migrate(settings)
        sessions = make_sessionmaker(make_engine(settings))
        with transaction(sessions) as session:
            session.execute(insert(Photo), [{"media_id": f"bench-{n}", "display_key": f"photos/{n}/display.jpg",
                                             "thumbnail_key": f"photos/{n}/thumbnail.jpg"}
                                            for n in range(1, count + 1)])
        old = time.time() - 3 * 24 * 3600
        for n in range(1, count + ORPHANED + 1):
            photo = settings.media.root / "photos" / str(n)
            photo.mkdir(parents=True)
            for name in NAMES:
                (photo / name).write_bytes(b"x" * 100)
                os.utime(photo / name, (old, old))
        started = time.perf_counter()
        report = sweep_media(LocalMediaStorage(settings.media.root), sessions, now=utcnow(),
                             grace=timedelta(hours=24))
        seconds = time.perf_counter() - started
    files = len(NAMES) * (count + ORPHANED)
    print(f"{count:,} photos, {files:,} files: {len(report.orphans):,} orphaned removed, "
          f"{report.referenced:,} kept, in {seconds:.2f} s")
    if len(report.orphans) != len(NAMES) * ORPHANED or report.referenced != len(NAMES) * count:
        sys.exit("the sweep did not find exactly the planted orphans")


if __name__ == "__main__":
    main()
