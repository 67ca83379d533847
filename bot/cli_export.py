"""`civicbot export`: the exchange file for the city platform — the tickets changed since a time, as JSON lines or
CSV, for a nightly job that feeds the city's 数字城管 or 12345 platform."""
from __future__ import annotations

import io
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from bot.cli_support import settings_or_exit

# A transaction that began before this run and commits after it started may carry an update time just before the
# run's start: the next run's --since reaches back this far. Records sent twice are harmless (idempotent key).
OVERLAP = timedelta(minutes=10)
BAD_TIME = ("看不懂{option}的时间“{text}”：请写日期（如 2026-11-01，按北京时间零点），"
            "或 ISO 8601 时间（如 2026-11-01T08:00:00+08:00）。")
BAD_FORMAT = "不支持的格式“{text}”：--format 只能是 jsonl 或 csv。"
BAD_WINDOW = "--until 必须晚于 --since。"
NO_CATALOGUE = "数据库里还没有问题分类：请先运行 civicbot load-defaults。"


@click.command("export")
@click.option("--since", "since_text", required=True, metavar="TIME",
              help="Tickets updated at or after this time: a date (district midnight) or an ISO 8601 time.")
@click.option("--until", "until_text", default=None, metavar="TIME", help="…and before this time (optional).")
@click.option("--format", "fmt", default="jsonl", show_default=True, metavar="jsonl|csv",
              help="jsonl: one JSON object per line; csv: UTF-8 with BOM, the history as a JSON column.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (replaced only when complete); standard output when not given.")
def export(since_text: str, until_text: str | None, fmt: str, output: Path | None) -> None:
    """Write the exchange file: every ticket updated in the window, with its national event class, coordinates
    in GCJ-02 and WGS-84 and its status history, ordered by (update time, number)."""
    from bot.cases.exchange import FORMATS, exchange_catalogue, exchange_records, local_text
    from bot.infra.db import make_engine, snapshot

    if fmt not in FORMATS:
        raise click.UsageError(BAD_FORMAT.format(text=fmt))
    settings = settings_or_exit()
    engine = make_engine(settings)
    started = datetime.now(UTC).replace(tzinfo=None)
    try:
        # One snapshot of the database for the whole file, holding no write lock: the bot goes on working.
        with snapshot(engine) as session:
            catalogue = exchange_catalogue(session=session)
            if catalogue is None:
                raise click.ClickException(NO_CATALOGUE)
            since = _moment(since_text, "--since", catalogue.zone)
            until = _moment(until_text, "--until", catalogue.zone) if until_text else None
            if until is not None and until <= since:
                raise click.UsageError(BAD_WINDOW)
            records = exchange_records(catalogue, since=since, until=until, session=session)
            count = _write(records, fmt, output)
    finally:
        engine.dispose()
    where = str(output) if output else "标准输出"
    click.echo(f"已导出 {count} 件工单（{fmt}）→ {where}。下次增量导出可用："
               f"--since {local_text(started - OVERLAP, catalogue.zone)}", err=True)


def _moment(text: str, option: str, zone) -> datetime:
    from bot.cases.exchange import parse_moment
    try:
        return parse_moment(text, zone)
    except ValueError as exc:
        raise click.UsageError(BAD_TIME.format(option=option, text=text)) from exc


def _write(records, fmt: str, output: Path | None) -> int:
    from bot.cases.exchange import write_csv, write_jsonl
    write = write_csv if fmt == "csv" else write_jsonl
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    if output is None:
        sys.stdout.flush()
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="")
        try:
            return write(records, stream)
        finally:
            stream.flush()
            stream.detach()   # sys.stdout stays open for whoever writes after us
    # Written beside the target, then renamed over it: a run that fails leaves the last complete file in place.
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("w", encoding=encoding, newline="") as stream:
            count = write(records, stream)
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count
