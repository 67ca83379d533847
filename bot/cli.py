"""The `civicbot` command: migrate, load the catalogue, serve, run jobs, list tickets, chat, classify, report.

Each command imports what it needs when it runs: `civicbot --help` starts without the web app or scikit-learn."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess  # nosec B404  # `civicbot serve` starts gunicorn and the worker: lists, no shell
import sys
import time

import click
from sqlalchemy import func, select

from bot.cli_audit import audit
from bot.cli_backup import backup_command, restore_command
from bot.cli_demo import demo_data
from bot.cli_export import export
from bot.cli_media import media
from bot.cli_numbers import numbers
from bot.cli_open311 import open311
from bot.cli_public import public
from bot.cli_report import report
from bot.cli_staff import department, staff
from bot.cli_support import catalogue_or_exit as _catalogue
from bot.cli_support import sessions_for as _sessions
from bot.cli_support import settings_or_exit as _settings
from bot.config import config_path
from bot.infra.db import migrate, transaction
from models import (
    CategoryCorrection,
    CorrectionReview,
    Department,
    DepartmentKind,
    Notification,
    NotificationStatus,
    Photo,
    PhotoStatus,
    StaffNotice,
    StaffNoticeStatus,
    TicketStatus,
)


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Settings file (default: $CIVICBOT_CONFIG or ./config.toml).")
def main(config_file: str | None) -> None:
    """civicbot: WeChat reports of city-management problems, routed to departments as tickets."""
    if config_file:
        os.environ["CIVICBOT_CONFIG"] = os.path.abspath(config_file)


main.add_command(report)   # bot/cli_report.py: HQ's 创城工作通报 as Word and PDF
main.add_command(demo_data)   # bot/cli_demo.py: weeks of demo tickets for the demo portal
main.add_command(staff)   # bot/cli_staff.py: portal accounts, their WeChat and WeCom
main.add_command(department)   # bot/cli_staff.py: the departments' API tokens
main.add_command(numbers)   # bot/cli_numbers.py: the registry of numbers read on flyers
main.add_command(open311)   # bot/cli_open311.py: the Open311 clients' API keys
main.add_command(public)   # bot/cli_public.py: the 办理公示 page's blurred photo copies
main.add_command(media)   # bot/cli_media.py: the sweep of orphaned media files
main.add_command(audit)   # bot/cli_audit.py: the ticket events' hash chains and their daily anchors
main.add_command(backup_command)   # bot/cli_backup.py: the database and the photos, online
main.add_command(restore_command)
main.add_command(export)   # bot/cli_export.py: the exchange file for the city platform


@main.command("migrate")
def migrate_command() -> None:
    """Apply database migrations (creates the SQLite file under var/ on first use)."""
    settings = _settings()
    migrate(settings)
    click.echo(f"database is up to date: {settings.database.url.split('@')[-1]}")


@main.command("load-defaults")
def load_defaults() -> None:
    """Load departments, towns, categories, gazetteer and calendar from the data files."""
    from bot.catalogue.loading import CatalogueError, do_load_catalogue, read_catalogue

    settings = _settings()
    try:
        catalogue = read_catalogue(settings)
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from exc
    with transaction(_sessions(settings)) as session:
        counts = do_load_catalogue(catalogue, session=session)
    click.echo("loaded " + ", ".join(f"{count} {name}" for name, count in counts.items()))


@main.command()
@click.option("--no-worker", is_flag=True, help="Serve only; run `civicbot worker` elsewhere.")
def serve(no_worker: bool) -> None:
    """Serve the webhook with gunicorn and run the embedded job worker beside it."""
    settings = _settings()
    server = settings.server
    metrics_dir = os.path.join(settings.var_dir, "prometheus")
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counters start afresh with the server
    os.makedirs(metrics_dir, exist_ok=True)
    env = {**os.environ, "CIVICBOT_CONFIG": str(config_path()), "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
    gunicorn = [sys.executable, "-m", "gunicorn", "--workers", str(server.workers),
                "--bind", f"{server.host}:{server.port}", "--access-logfile", "-",
                # Forwarded headers are the app's to believe (server.trusted_proxies), not gunicorn's.
                "--graceful-timeout", "10", "--no-control-socket", "--forwarded-allow-ips", "", "bot:create_app()"]
    # Accepted by bandit: this Python runs gunicorn and the worker, with the operator's settings as arguments; no shell.
    processes = [subprocess.Popen(gunicorn, env=env)]  # nosec B603
    if not no_worker:
        worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env)  # nosec B603
        processes.append(worker)
    wechat = settings.wechat
    click.echo(f"civicbot: webhook http://{server.host}:{server.port}{wechat.webhook_path} "
               f"({wechat.mode} mode, token from config); try it with `.venv/bin/civicbot chat`")
    if "127.0.0.1" in wechat.api_base_url or "localhost" in wechat.api_base_url:
        click.echo(f"WeChat API: {wechat.api_base_url} is on this machine: `civicbot chat` stands in for it "
                   "(demo). Set wechat.api_base_url to https://api.weixin.qq.com/cgi-bin/ in production.")

    def stop(*_args):
        for process in processes:
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        stop()
        for process in processes:
            process.wait(timeout=30)
    codes = [process.returncode for process in processes]
    sys.exit(0 if all(code in (0, -signal.SIGTERM, -signal.SIGINT) for code in codes) else 1)


@main.command()
def worker() -> None:
    """Run queued jobs (fetching, notifications) until stopped."""
    from bot.infra.observability import configure_logging
    from bot.photos.ocr import announce
    from bot.tasks import JobQueue

    settings = _settings()
    configure_logging(settings.logging.level)
    announce(settings.ocr)
    JobQueue(settings).run_worker(settings.queue.workers)


@main.command()
def jobs() -> None:
    """List queued, scheduled (waiting to retry) and failed jobs, photos not fetched, and notices not yet sent."""
    from bot.tasks import JobQueue

    settings = _settings()
    queue = JobQueue(settings)
    pending, scheduled = queue.huey.pending(), queue.huey.scheduled()
    click.echo(f"queued: {len(pending)}")
    for task in pending:
        click.echo(f"  {task.name}{tuple(task.args)}  id {task.id}")
    click.echo(f"waiting to retry or scheduled: {len(scheduled)}")
    for task in scheduled:
        click.echo(f"  {task.name}{tuple(task.args)}  at {task.eta:%Y-%m-%d %H:%M:%S} UTC  "
                   f"retries so far {task.retries}")
    with transaction(_sessions(settings)) as session:
        waiting = session.scalars(select(Photo).where(Photo.status == PhotoStatus.RECORDED).order_by(Photo.id)).all()
        failed = session.scalars(select(Photo).where(Photo.status == PhotoStatus.FAILED).order_by(Photo.id.desc())
                                 .limit(50)).all()
        click.echo(f"photos not fetched yet: {len(waiting)}")
        for photo in waiting:
            click.echo(f"  photo {photo.id}  attempts {photo.attempts}  {photo.note}")
        click.echo(f"photos failed (latest 50): {len(failed)}")
        for photo in failed:
            click.echo(f"  photo {photo.id}  draft {photo.draft_id}  ticket {photo.ticket_id}  {photo.note}")
        # Notices retry by the outbox sweep, not as queued jobs, so a WeChat outage shows only here.
        retrying = session.scalars(select(Notification).where(Notification.status == NotificationStatus.PENDING,
                                                              Notification.attempts > 0)
                                   .order_by(Notification.id).limit(50)).all()
        waiting_for_resident = session.scalar(select(func.count()).select_from(Notification)
                                              .where(Notification.status == NotificationStatus.WAITING))
        click.echo(f"notices failed, waiting to retry (first 50): {len(retrying)}")
        for notice in retrying:
            click.echo(f"  notice {notice.id}  ticket {notice.ticket_id}  attempts {notice.attempts}  "
                       f"next {notice.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC  {notice.last_error}")
        click.echo(f"notices waiting for the resident's next message (48-hour rule): {waiting_for_resident}")
        staff_retrying = session.scalar(select(func.count()).select_from(StaffNotice).where(
            StaffNotice.status == StaffNoticeStatus.PENDING, StaffNotice.attempts > 0))
        click.echo(f"staff notices failed, waiting to retry: {staff_retrying}")


@main.group()
def photos() -> None:
    """Stored photos."""


@photos.command("similar")
@click.argument("photo_id", type=int)
@click.option("--distance", default=8, show_default=True, help="Largest Hamming distance of the 64-bit hashes.")
def photos_similar(photo_id: int, distance: int) -> None:
    """List stored photos of the same scene as PHOTO_ID (perceptual hash), closest first."""
    from bot.photos.similarity import similar_photos

    settings = _settings()
    with transaction(_sessions(settings)) as session:
        matches = similar_photos(photo_id, distance, session=session)
        for photo, gap in matches:
            click.echo(f"photo {photo.id}  distance {gap}  ticket {photo.ticket_id}  draft {photo.draft_id}  "
                       f"resident {photo.resident_id}")
    click.echo(f"{len(matches)} similar photo(s)")


@main.command()
@click.option("--department", help="Only tickets this department (code) may see.")
@click.option("--status", help="Only tickets in this status, e.g. dispatched.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per ticket.")
@click.option("--limit", default=50, show_default=True)
def tickets(department: str | None, status: str | None, as_json: bool, limit: int) -> None:
    """List tickets, newest first."""
    from bot.cases.lookups import department_tickets, ticket_as_dict

    if status and status not in {s.value for s in TicketStatus}:
        raise click.BadParameter(f"one of {', '.join(s.value for s in TicketStatus)}", param_hint="--status")
    settings = _settings()
    sessions = _sessions(settings)
    catalogue = _catalogue(settings, sessions)
    with transaction(sessions) as session:
        hq = session.scalar(select(Department).where(Department.kind == DepartmentKind.HQ))
        viewer = session.scalar(select(Department).where(Department.code == department)) if department else hq
        if viewer is None:
            raise click.BadParameter(f"no department with code {department!r}", param_hint="--department")
        rows = [ticket_as_dict(t, catalogue) for t in
                department_tickets(viewer, session=session, status=status, limit=limit)]
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(f"{row['number']}  {row['status']:<11} {row['category_name']:<8} "
                       f"{row['lead_department']:<22} {row['town_name'] or '属地待定':<6} "
                       f"due {row['deadline'][:16]}  {row['description'][:30]!s}")
    if not as_json:
        click.echo(f"{len(rows)} ticket(s)")


@main.command()
@click.option("--url", default=None, help="Webhook URL (default: from the config's server and webhook_path).")
@click.option("--user", default="sim-resident", show_default=True, help="The simulated resident's OpenID.")
@click.option("--aes", is_flag=True, help="Send in safe mode (encrypted), as WeChat does when AES is on.")
@click.option("--linger", default=0.0, help="After the last line, keep showing pushed messages this many seconds.")
def chat(url: str | None, user: str, aes: bool, linger: float) -> None:
    """Talk to a running bot through its real webhook, the way WeChat would.

    When wechat.api_base_url points at this machine (the demo config), the simulator also stands in for
    WeChat's API: it hosts the photos you send and shows the messages the bot pushes to you later.
    """
    from bot.simulator.chat import ChatSimulator, run_repl
    from bot.simulator.fake_wechat_api import serve_for_chat

    settings = _settings()
    server = settings.server
    url = url or f"http://{server.host}:{server.port}{settings.wechat.webhook_path}"
    api_root = serve_for_chat(settings.wechat.api_base_url)
    try:
        simulator = ChatSimulator(url, settings.wechat, openid=user, aes=aes, api_root=api_root)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    run_repl(simulator, sys.stdin, sys.stdout, linger=linger)


@main.command()
@click.option("--fold-corrections", is_flag=True,
              help="First append accepted resident corrections to the corpus file, then train.")
def train(fold_corrections: bool) -> None:
    """Build the classifier model from the corpus's training split (the held-out split is never used)."""
    from bot.understanding.training import corpus_digest, read_examples, split, train_model

    settings = _settings()
    corpus = settings.classifier.corpus
    if fold_corrections:
        from bot.understanding.corrections import do_fold_corrections
        with transaction(_sessions(settings)) as session:
            added = do_fold_corrections(corpus, session=session)
        click.echo(f"folded {added} accepted correction(s) into {corpus}")
    try:
        examples = read_examples(corpus)
    except (OSError, KeyError) as exc:
        raise click.ClickException(f"cannot read the corpus {corpus}: {exc}") from exc
    training, held_out = split(examples)
    click.echo(f"corpus: {len(examples)} messages, training on {len(training)}, {len(held_out)} held out")
    model, report = train_model(training, sources={"corpus_sha256": corpus_digest([corpus])})
    model.save(settings.classifier.model)
    click.echo(f"chose {report['chosen']} (cross-validated macro-F1 {report['cv_macro_f1']}, "
               f"temperature {report['temperature']}, {report['features']} features) "
               f"in {report['seconds']} s → {settings.classifier.model}")


@main.group()
def corrections() -> None:
    """Categories residents chose or corrected, to review before they train the classifier."""


@corrections.command("list")
@click.option("--review", type=click.Choice([r.value for r in CorrectionReview]), default="pending", show_default=True)
def corrections_list(review: str) -> None:
    """Show corrections awaiting (or past) review."""

    settings = _settings()
    with transaction(_sessions(settings)) as session:
        rows = session.scalars(select(CategoryCorrection).where(CategoryCorrection.review == review)
                               .order_by(CategoryCorrection.id)).all()
        for row in rows:
            click.echo(f"{row.id}\t{row.predicted_code or '-'}({row.predicted_confidence:.2f}) → "
                       f"{row.chosen_code}\t{row.text[:60]}")
    click.echo(f"{len(rows)} correction(s) {review}")


@corrections.command("accept")
@click.argument("ids", nargs=-1, type=int, required=True)
def corrections_accept(ids: tuple[int, ...]) -> None:
    """Mark corrections as right: `civicbot train --fold-corrections` will learn from them."""
    _review(ids, CorrectionReview.ACCEPTED)


@corrections.command("reject")
@click.argument("ids", nargs=-1, type=int, required=True)
def corrections_reject(ids: tuple[int, ...]) -> None:
    """Mark corrections as wrong: they are never used for training."""
    _review(ids, CorrectionReview.REJECTED)


def _review(ids: tuple[int, ...], verdict: CorrectionReview) -> None:
    from bot.understanding.corrections import do_review

    with transaction(_sessions(_settings())) as session:
        click.echo(f"{do_review(list(ids), verdict, session=session)} correction(s) {verdict}")


@main.command()
def classify() -> None:
    """Read one message per line on stdin; write {"category", "confidence", "town"} per line."""
    settings = _settings()
    catalogue = _catalogue(settings, _sessions(settings))
    for line in sys.stdin:
        text = line.rstrip("\n")
        result = catalogue.classifier.classify(text)
        place = catalogue.places.from_text(text)
        town = catalogue.places.town_name(place.town_code) if place else None
        click.echo(json.dumps({"category": result.category or "none", "confidence": result.confidence,
                               "town": town}, ensure_ascii=False))
