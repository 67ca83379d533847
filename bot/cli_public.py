"""`civicbot public copies`: the blurred copies the 办理公示 page shows, made for cases handled before the job that
makes them existed; the worker makes them itself when a case is handled, and sweeps for lost jobs each night."""
from __future__ import annotations

import click

from bot.cli_support import sessions_for, settings_or_exit


@click.group()
def public() -> None:
    """The public 办理公示 page (/public/)."""


@public.command("copies")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Cases handled (changed) within this many days.")
def copies(days: int) -> None:
    """Blur faces and plates in the before and after photos of handled cases that have no public copy yet."""
    from bot.photos.public_copies import make_missing_public_copies
    from bot.photos.storage import make_storage
    from models import utcnow

    settings = settings_or_exit()
    cases, made = make_missing_public_copies(days, make_storage(settings), settings.ocr,
                                             sessions=sessions_for(settings), now=utcnow())
    click.echo(f"{cases} 件办结工单，新生成 {made} 张公示照片（人脸、车牌已模糊）")
