"""Writing a period's 通报 to disk: the DOCX, then the PDF beside it (same name, .pdf), for the CLI and the portal."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from bot.bulletin.document import bulletin_docx
from bot.bulletin.pdf import PdfUnavailable, convert_to_pdf
from bot.bulletin.periods import Period
from bot.cases.scoreboard_figures import Scoreboard


@dataclass(frozen=True)
class Written:
    """What write_bulletin wrote, how long each file took, and why the PDF is missing when it is."""

    docx: Path
    pdf: Path | None
    pdf_problem: PdfUnavailable | None
    docx_seconds: float
    pdf_seconds: float


def render(board: Scoreboard, period: Period, now: datetime, zone: tzinfo) -> bytes:
    """The DOCX of board, dated today in the district's zone, its figures as at now (naive UTC)."""
    local = now.replace(tzinfo=UTC).astimezone(zone)
    return bulletin_docx(board, period, as_of=local, issued_on=local.date())


def write_bulletin(board: Scoreboard, period: Period, now: datetime, zone: tzinfo, docx: Path,
                   *, pdf: bool = True) -> Written:
    """Write docx (whole or not at all) and, when asked, the PDF beside it; a PDF that cannot be made is reported
    in the result, not raised: the DOCX stands on its own. Raises fonts.NoCjkFont before writing anything."""
    started = time.monotonic()
    content = render(board, period, now, zone)
    docx.parent.mkdir(parents=True, exist_ok=True)
    partial = docx.with_name(f".{docx.name}.{os.getpid()}.part")
    partial.write_bytes(content)
    partial.replace(docx)
    docx_seconds = time.monotonic() - started
    if not pdf:
        return Written(docx, None, None, docx_seconds, 0.0)
    started = time.monotonic()
    try:
        made: Path | None = convert_to_pdf(docx, docx.with_suffix(".pdf"))
        problem = None
    except PdfUnavailable as exc:
        made, problem = None, exc
    return Written(docx, made, problem, docx_seconds, time.monotonic() - started)
