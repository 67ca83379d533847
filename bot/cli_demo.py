"""`civicbot demo-data`: fill a demo database with weeks of realistic tickets, made by the case services and marked
as demo data; it refuses a database with real tickets, and does nothing where demo data is already there."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import click

from bot.cli_support import catalogue_or_exit, sessions_for, settings_or_exit


@click.command("demo-data")
@click.option("--days", default=60, show_default=True, type=click.IntRange(1, 366), help="How many days of reports.")
@click.option("--seed", default=None, type=int, help="The random seed: the same seed and end give the same data "
                                                      "(default: a fixed seed).")
@click.option("--end", "end_day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The last day, YYYY-MM-DD in district time (default: today, up to now).")
@click.option("--force", is_flag=True, help="Add demo data even where real tickets or demo data are already there "
                                            "(demo reports may then join real tickets as duplicates).")
def demo_data(days: int, seed: int | None, end_day: datetime | None, force: bool) -> None:
    """Make DAYS days of demo tickets through the real workflow (demo config only: portal.demo_accounts)."""
    from bot.demo.generate import DEFAULT_SEED, check_may_generate, do_generate_demo_data
    from bot.demo.people import MissingDemoAccounts
    from bot.infra.db import transaction
    from bot.photos.storage import make_storage
    from models import utcnow

    settings = settings_or_exit()
    if not settings.portal.demo_accounts:
        click.echo("portal.demo_accounts is off (not the demo config): no demo data")
        return
    sessions = sessions_for(settings)
    with transaction(sessions) as session:   # answered before the catalogue loads: `make run` asks every time
        refusal = check_may_generate(session=session, force=force)
    if refusal:
        click.echo(refusal)
        return
    catalogue = catalogue_or_exit(settings, sessions)
    now = utcnow()
    end = now
    if end_day is not None:
        last = datetime.combine(end_day.date() + timedelta(days=1), time.min, catalogue.calendar.zone)
        end = min(now, last.astimezone(UTC).replace(tzinfo=None) - timedelta(seconds=1))
    try:
        with transaction(sessions) as session:
            refusal = check_may_generate(session=session, force=force)   # again: another run may have begun
            if refusal:
                click.echo(refusal)
                return
            run = do_generate_demo_data(session=session, catalogue=catalogue, settings=settings,
                                        storage=make_storage(settings), days=days,
                                        seed=DEFAULT_SEED if seed is None else seed, end=end)
    except MissingDemoAccounts as exc:
        raise click.ClickException(f"the demo accounts are missing ({exc}): run `civicbot staff demo` first") from exc
    click.echo(f"演示数据 (demo data) {run.first_day} … {run.last_day}: {run.tickets} tickets, {run.events} events, "
               f"{run.photos} photos, {run.residents} demo residents, in {run.seconds:.0f} s")
    steps = ", ".join(f"{name} {count}" for name, count in run.counts.items())
    click.echo(f"steps: {steps}")
    click.echo("marked as demo data: descriptions start with 【演示数据】, residents' OpenIDs with demo-, "
               "the setting demo_data records the run; the portal shows 演示数据")
