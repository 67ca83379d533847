"""`civicbot open311 key`: the API keys of Open311 clients (create — the key shown once —, list, revoke)."""
from __future__ import annotations

from datetime import datetime

import click

from bot.cli_support import sessions_for, settings_or_exit


@click.group("open311")
def open311() -> None:
    """The Open311 GeoReport v2 server at /open311/v2: its clients' API keys."""


@open311.group("key")
def key() -> None:
    """API keys: one per client program (a FixMyStreet, an app) that files reports."""


@key.command("create")
@click.option("--name", required=True, help="The client's name, as staff see it on its tickets (来自 Open311：NAME).")
@click.option("--per-hour", default=60, show_default=True, type=click.IntRange(min=1, max=100_000),
              help="The most reports the client may file in an hour.")
def key_create(name: str, per_hour: int) -> None:
    """Create a client and print its API key (shown only this once: keep it)."""
    from bot.cases.open311_clients import do_create_client
    from bot.infra.db import transaction
    from models import utcnow

    try:
        with transaction(sessions_for(settings_or_exit())) as session:
            client, api_key = do_create_client(name, reports_per_hour=per_hour, now=utcnow(), session=session)
            client_id = client.id
    except ValueError as refused:
        raise click.BadParameter(str(refused), param_hint="--name") from None
    click.echo(f"client {client_id} {name}: api_key (shown once)")
    click.echo(api_key)


@key.command("list")
def key_list() -> None:
    """List the clients: id, name, limit per hour, created, last used, revoked."""
    from bot.cases.open311_clients import list_clients
    from bot.infra.db import transaction

    with transaction(sessions_for(settings_or_exit())) as session:
        rows = [(c.id, c.name, c.reports_per_hour, c.created_at, c.last_used_at, c.revoked_at)
                for c in list_clients(session=session)]
    for client_id, name, per_hour, created, used, revoked in rows:
        click.echo(f"{client_id:>4}  {name:<24} {per_hour:>5}/h  created {_when(created)}  last used {_when(used)}  "
                   + (f"REVOKED {_when(revoked)}" if revoked else "active"))
    click.echo(f"{len(rows)} client(s)")


@key.command("revoke")
@click.argument("client_id", type=click.IntRange(min=1, max=2**63 - 1))
def key_revoke(client_id: int) -> None:
    """Revoke client CLIENT_ID's key (see `key list`): its next POST is refused with 403; its tickets stay."""
    from bot.cases.open311_clients import do_revoke_client
    from bot.infra.db import transaction
    from models import utcnow

    with transaction(sessions_for(settings_or_exit())) as session:
        found = do_revoke_client(client_id, utcnow(), session=session) is not None
    if not found:
        raise click.BadParameter(f"no Open311 client with id {client_id}", param_hint="CLIENT_ID")
    click.echo(f"client {client_id} revoked")


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") + "Z" if moment else "-"
