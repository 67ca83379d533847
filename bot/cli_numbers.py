"""`civicbot numbers`: the number registry — phone numbers and ids read on flyers, with their reports, photos,
towns and first and last days — as a table, or as the CSV a 停机 request to the carriers needs."""
from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bot.cli_support import catalogue_or_exit, sessions_for, settings_or_exit


@click.command("numbers")
@click.option("--since", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count only reports received from this day on (district time), YYYY-MM-DD.")
@click.option("--min-reports", default=1, show_default=True, type=click.IntRange(min=1),
              help="Only numbers reported at least this many times.")
@click.option("--status", type=click.Choice(["new", "warned", "stop_requested", "stopped"]), default=None,
              help="Only numbers in this status.")
@click.option("--csv", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the 停机 request table (UTF-8 with BOM, for Excel and WPS) to this file; '-' for stdout.")
def numbers(day: datetime | None, min_reports: int, status: str | None, out: Path | None) -> None:
    """List the numbers printed on flyers that residents photographed, most reported first."""
    from bot.cases.numbers import STOP_REQUEST_HEADER, number_rows, stop_request_rows
    from bot.infra.db import transaction
    from bot.photos.ocr import ocr_available
    from models import NumberStatus

    settings = settings_or_exit()
    sessions = sessions_for(settings)
    catalogue = catalogue_or_exit(settings, sessions)
    zone = catalogue.calendar.zone
    if not ocr_available(settings.ocr):
        click.echo("照片识字（OCR）未开启：新照片不会识别号码（安装 pip install -e '.[ocr]'，"
                   "并设置 [ocr] enabled = true）。以下是已记录的号码。", err=True)
    since = day.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) if day else None
    with transaction(sessions) as session:
        rows = number_rows(settings.ocr.number_categories, session=session, since=since, min_reports=min_reports,
                           status=NumberStatus(status) if status else None)

    def local_day(moment: datetime) -> str:
        return moment.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d")

    town_names = {code: catalogue.places.town_name(code) or code for row in rows for code in row.towns}
    table = stop_request_rows(rows, town_names, local_day)
    if out is not None:
        stream = sys.stdout if str(out) == "-" else out.open("w", encoding="utf-8-sig", newline="")
        writer = csv.writer(stream)
        writer.writerow(STOP_REQUEST_HEADER)
        writer.writerows(table)
        if stream is not sys.stdout:
            stream.close()
            click.echo(f"{len(table)} 个号码 → {out}")
        return
    if not rows:
        click.echo("没有符合条件的号码。")
        return
    for row, cells in zip(rows, table, strict=True):
        click.echo(f"{row.shown:<18} {cells[1]:<6} 反映 {row.reports} 次  照片 {row.photos} 张  "
                   f"{cells[4]} — {cells[5]}  {cells[6] or '属地未定'}  {row.status_label}  {cells[8]}")
