"""`civicbot public copies`: the blurred copies the 办理公示 page shows, made for cases handled before the job that
makes them existed (or while the worker was down); the worker makes them itself when a case is handled."""
from __future__ import annotations

from datetime import timedelta

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
    from sqlalchemy import select

    from bot.cases.publication import HANDLED, publicly_listed
    from bot.infra.db import transaction
    from bot.photos.public_copies import make_public_copies
    from bot.photos.storage import make_storage
    from models import Ticket, utcnow

    settings = settings_or_exit()
    sessions = sessions_for(settings)
    with transaction(sessions) as session:
        ticket_ids = list(session.scalars(select(Ticket.id).where(
            publicly_listed(), Ticket.status.in_(HANDLED), Ticket.updated_at >= utcnow() - timedelta(days=days))
            .order_by(Ticket.id)))
    storage = make_storage(settings)
    made = sum(make_public_copies(ticket_id, storage, settings.ocr, sessions=sessions) for ticket_id in ticket_ids)
    click.echo(f"{len(ticket_ids)} 件办结工单，新生成 {made} 张公示照片（人脸、车牌已模糊）")
