"""`civicbot media sweep`: files in the media storage that no photo row references, removed once past the grace
period (`media.orphan_grace_hours`) and reported; the job worker runs the same sweep every night."""
from __future__ import annotations

from datetime import timedelta

import click

from bot.cli_support import sessions_for, settings_or_exit


@click.group()
def media() -> None:
    """The media storage (cleaned photos and their copies)."""


@media.command("sweep")
@click.option("--dry-run", is_flag=True, help="Only list the orphaned files; remove nothing.")
@click.option("--grace-hours", type=click.FloatRange(min=0), default=None,
              help="Leave files younger than this alone (default: media.orphan_grace_hours).")
def sweep(dry_run: bool, grace_hours: float | None) -> None:
    """Remove files that no photo references (older than the grace period) and say how many and how large."""
    from bot.photos.storage import make_storage
    from bot.photos.sweep import sweep_media
    from models import utcnow

    settings = settings_or_exit()
    hours = settings.media.orphan_grace_hours if grace_hours is None else grace_hours
    report = sweep_media(make_storage(settings), sessions_for(settings), now=utcnow(), grace=timedelta(hours=hours),
                         dry_run=dry_run)
    for orphan in report.orphans:
        click.echo(f"{'orphan' if dry_run else 'removed'}  {orphan.key}  {orphan.size} bytes  "
                   f"{orphan.modified:%Y-%m-%d %H:%M} UTC")
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {len(report.orphans)} orphaned file(s), {report.orphan_bytes} bytes; "
               f"kept {report.referenced} referenced and {report.young} younger than {hours:g} h")
