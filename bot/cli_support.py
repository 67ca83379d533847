"""What every `civicbot` command starts from: the settings, a session factory and the catalogue, or a clear error."""
from __future__ import annotations

import click

from bot.config import ConfigError, Settings, load_config
from bot.infra.db import make_engine, make_sessionmaker, transaction


def settings_or_exit() -> Settings:
    """The settings; a broken settings file stops the command with its message."""
    try:
        return load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def sessions_for(settings: Settings):
    return make_sessionmaker(make_engine(settings))


def catalogue_or_exit(settings: Settings, sessions):
    """The catalogue snapshot; a database without one stops the command with what to run."""
    from bot.catalogue.snapshot import CatalogueNotLoaded, load_snapshot

    try:
        with transaction(sessions) as session:
            return load_snapshot(settings, session=session)
    except CatalogueNotLoaded as exc:
        raise click.ClickException(str(exc)) from exc
