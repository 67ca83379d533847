"""`civicbot backup` and `civicbot restore`: the SQLite database and the media folder, with a checked manifest."""
from __future__ import annotations

from pathlib import Path

import click

from bot.cli_support import settings_or_exit as _settings


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) folder for this backup.")
def backup_command(out: Path) -> None:
    """Copy the database (online: the bot may keep serving) and the photos, with a manifest of hashes."""
    from bot.infra.backups import BackupError, backup

    try:
        manifest = backup(_settings(), out)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = manifest["counts"]
    click.echo(f"backed up to {out}: revision {manifest['alembic_revision']}, {counts['tickets']} tickets, "
               f"{counts['ticket_events']} events, {counts['photos']} photos, {manifest['photo_files']} media files")


@click.command("restore")
@click.option("--from", "folder", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder `civicbot backup` wrote.")
@click.option("--force", is_flag=True, help="Replace a database that already holds tickets, residents or staff.")
def restore_command(folder: Path, force: bool) -> None:
    """Check the backup's manifest, put the database and the photos back, then migrate up (stop the bot first)."""
    from bot.infra.backups import BackupError, restore

    try:
        restored = restore(_settings(), folder, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    migrated = (f", migrated from {restored.revision_before} to {restored.revision_after}"
                if restored.revision_before != restored.revision_after else "")
    click.echo(f"restored {restored.counts['tickets']} tickets, {restored.counts['ticket_events']} events and "
               f"{restored.counts['photos']} photos from {folder}{migrated}")
