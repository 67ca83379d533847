"""The services a process needs, in one typed object.

Engine, sessions, catalogue snapshot, job queue, storage, link signer, the store web workers share.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue.snapshot import CatalogueSnapshot, load_snapshot
from bot.config import Settings
from bot.infra.db import make_engine, make_sessionmaker, transaction
from bot.infra.shared_state import SharedStore, make_shared_store
from bot.infra.signing import LinkSigner, secret_key
from bot.photos.storage import MediaStorage, make_storage
from bot.tasks import JobQueue

log = logging.getLogger(__name__)
# A gunicorn worker that fails while starting stops the whole server ("Worker failed to boot"): a database restart
# or failover at the moment a worker is (re)started must cost a few seconds' wait, not the service.
CATALOGUE_ATTEMPTS = 5


@dataclass
class Services:
    """Built once per process by build_services; the web app keeps it in app.extensions["civicbot"]."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]   # their after-commit jobs go to `jobs`
    catalogue: CatalogueSnapshot
    jobs: JobQueue
    storage: MediaStorage
    signer: LinkSigner
    shared: SharedStore               # portal sessions and login delays, shared by every web worker


def build_services(settings: Settings) -> Services:
    """Connect to the database, read the catalogue snapshot and open the job queue."""
    engine = make_engine(settings)
    jobs = JobQueue(settings)
    sessions = make_sessionmaker(engine, jobs)
    catalogue = _first_catalogue(settings, sessions)
    return Services(settings, engine, sessions, catalogue, jobs, make_storage(settings),
                    LinkSigner(secret_key(settings), settings.media.link_hours * 3600),
                    make_shared_store(settings, engine))


def _first_catalogue(settings: Settings, sessions: sessionmaker[Session]) -> CatalogueSnapshot:
    for attempt in range(1, CATALOGUE_ATTEMPTS + 1):
        try:
            with transaction(sessions) as session:
                return load_snapshot(settings, session=session)
        except OperationalError as exc:   # the database went away or is not back yet
            if attempt == CATALOGUE_ATTEMPTS:
                raise
            log.warning("the catalogue could not be read (%s); trying again in %d s", type(exc.orig).__name__,
                        attempt)
            time.sleep(attempt)
    raise AssertionError("unreachable")
