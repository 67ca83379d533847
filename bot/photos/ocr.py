"""Text in a photo, read offline by RapidOCR (PP-OCRv4 models inside its wheel): the optional `ocr` extra.

Without the extra, or with `ocr.enabled = false`, `read_text` returns None and the bot works as before.
"""
from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

from bot.config import OcrSettings

log = logging.getLogger(__name__)

Point = tuple[int, int]


@dataclass(frozen=True)
class TextLine:
    """One line of text as the detector boxed it: four corners in the photo's pixels, clockwise from top-left."""

    text: str
    box: tuple[Point, Point, Point, Point]
    score: float

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        """The upright rectangle around the box: left, top, right, bottom."""
        xs, ys = [p[0] for p in self.box], [p[1] for p in self.box]
        return min(xs), min(ys), max(xs), max(ys)


@dataclass(frozen=True)
class Reading:
    """What OCR read in one image, in reading order (top to bottom, then left to right)."""

    lines: tuple[TextLine, ...]
    seconds: float

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class _Engine:
    """One RapidOCR per process, built on first use. Its detector keeps per-call state in attributes, so calls
    are serialised: the job worker's other threads go on fetching and cleaning meanwhile."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ocr: Any = None
        self._threads = 0
        self.missing = False

    def get(self, threads: int) -> Any:
        if self._ocr is not None and self._threads == threads:
            return self._ocr
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError:
            if not self.missing:
                log.warning("OCR is off: rapidocr-onnxruntime is not installed (pip install -e '.[ocr]')")
            self.missing = True
            return None
        self._ocr = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        self._threads = threads
        return self._ocr

    def read(self, image: Image.Image, threads: int) -> Reading | None:
        with self._lock:
            ocr = self.get(threads)
            if ocr is None:
                return None
            started = time.perf_counter()
            found, _ = ocr(image.convert("RGB"))
            seconds = time.perf_counter() - started
        lines = tuple(TextLine(str(text), tuple((round(x), round(y)) for x, y in box), float(score))  # type: ignore[arg-type]
                      for box, text, score in found or [])
        return Reading(lines, seconds)


_ENGINE = _Engine()


def ocr_available(settings: OcrSettings) -> bool:
    """Whether photos are read: the setting is on and the extra is installed."""
    if not settings.enabled:
        return False
    with _ENGINE._lock:
        return _ENGINE.get(settings.threads) is not None


def announce(settings: OcrSettings) -> bool:
    """Say in the log, as the job worker starts, whether photos will be read (and load the models once)."""
    if not settings.enabled:
        log.info("OCR is off (ocr.enabled = false): photos are stored without reading their text")
        return False
    if ocr_available(settings):
        log.info("OCR is on: RapidOCR with %d thread(s) per photo", settings.threads)
        return True
    return False   # _Engine.get said why


def read_text(image: bytes | Image.Image, settings: OcrSettings) -> Reading | None:
    """Read the text in an image (a cleaned copy: upright, no metadata); None when OCR is off or not installed.

    An image the engine cannot read gives an empty reading, never an error: the photo is kept all the same."""
    if not settings.enabled:
        return None
    picture = Image.open(io.BytesIO(image)) if isinstance(image, bytes) else image
    try:
        return _ENGINE.read(picture, settings.threads)
    except Exception:  # onnxruntime and OpenCV raise their own types; a photo must never fail over its text
        log.exception("OCR failed on an image of %sx%s", *picture.size)
        return Reading((), 0.0)
