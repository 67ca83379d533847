"""`civicbot audit`: anchor every ticket's chain head now, and verify the tickets' hash chains and the anchors."""
from __future__ import annotations

import json

import click

from bot.cli_support import sessions_for as _sessions
from bot.cli_support import settings_or_exit as _settings
from bot.infra.db import make_engine, snapshot, transaction


@click.group()
def audit() -> None:
    """The tamper-evident trail of ticket events and staff account events."""


@audit.command("anchor")
def audit_anchor() -> None:
    """Record a hash over every ticket's chain head now (the job worker does it once a day by itself)."""
    from bot.cases.audit import do_anchor
    from models import utcnow

    with transaction(_sessions(_settings())) as session:
        anchor = do_anchor(now=utcnow(), session=session)
    click.echo(f"anchor {anchor.id} of {anchor.day}: {anchor.tickets} tickets, {anchor.events} events, "
               f"{len(json.loads(anchor.changed))} heads moved since the last one; hash {anchor.hash}")


@audit.command("verify")
@click.option("--ticket", "number", default=None, help="Check one ticket, e.g. JY-20261129-0001.")
def audit_verify(number: str | None) -> None:
    """Check every event's hash and link, and the anchors; exit 1 naming the first broken link."""
    from bot.cases.audit import verify

    with snapshot(make_engine(_settings())) as session:
        try:
            result = verify(session=session, ticket_number=number)
        except LookupError as exc:
            raise click.ClickException(f"no ticket {number}") from exc
    click.echo(f"checked {result.tickets} tickets, {result.events} events, {result.account_events} account events "
               f"and {result.anchors} anchors in {result.seconds:.2f} s")
    if result.ok:
        click.echo("every chain holds")
        return
    click.echo(f"BROKEN: {result.broken[0]}", err=True)
    for broken in result.broken[1:]:
        click.echo(f"  also: {broken}", err=True)
    raise SystemExit(1)
