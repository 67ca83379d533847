"""`civicbot report`: HQ's 创城工作通报 for a district week or month, written as Word and, through LibreOffice, PDF.

Like the other commands it imports its heavy parts (matplotlib, python-docx, the scores) only when it runs."""
from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import click

from bot.cli_support import catalogue_or_exit, sessions_for, settings_or_exit

PDF_NEEDS_LIBREOFFICE = ("PDF not written: it needs LibreOffice (soffice), which is not installed. Install it with "
                         "`make documents` as root, or `sudo apt-get install --no-install-recommends "
                         "libreoffice-writer-nogui`, then run this command again.")


@click.command("report")
@click.option("--period", "kind", type=click.Choice(["week", "month"]), default="week", show_default=True,
              help="A district-calendar week (Monday–Sunday) or month.")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="A day in the period, YYYY-MM-DD (default: the last complete week or month, in district time).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The .docx to write; the PDF goes beside it with the same name "
                   "(default: var/reports/bulletin-FIRST-LAST.docx).")
def report(kind: Literal["week", "month"], day: datetime | None, out: Path | None) -> None:
    """Write the 创城工作通报 for a week or month: Word, and PDF beside it (exit status 1 when the PDF failed)."""
    from bot.bulletin.fonts import NoCjkFont
    from bot.bulletin.periods import period_for
    from bot.bulletin.publish import write_bulletin
    from bot.cases.scores import compute_scoreboard
    from bot.infra.db import transaction
    from models import utcnow

    if out is not None and out.suffix.lower() != ".docx":
        raise click.BadParameter("the file name must end in .docx", param_hint="--out")
    settings = settings_or_exit()
    sessions = sessions_for(settings)
    catalogue = catalogue_or_exit(settings, sessions)
    now = utcnow()
    period = period_for(kind, day.date() if day else None, catalogue.calendar.local(now).date())
    out = out or Path(settings.var_dir) / "reports" / f"{period.stem}.docx"
    with transaction(sessions) as session:
        board = compute_scoreboard(period.first_day, period.last_day, now, session=session, catalogue=catalogue,
                                   return_window=timedelta(hours=settings.workflow.return_window_hours))
    try:
        written = write_bulletin(board, period, now, catalogue.calendar.zone, out)
    except NoCjkFont as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"创城工作通报（{period.name}，{period.span}）: {board.totals.reports} ticket(s)")
    click.echo(f"Word: {written.docx}  ({written.docx_seconds:.1f} s)")
    if written.pdf is not None:
        click.echo(f"PDF:  {written.pdf}  ({written.pdf_seconds:.1f} s)")
        return
    problem = written.pdf_problem
    click.echo(PDF_NEEDS_LIBREOFFICE if problem is not None and problem.missing else f"PDF not written: {problem}",
               err=True)
    sys.exit(1)
