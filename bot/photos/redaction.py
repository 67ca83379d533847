"""Faces and licence plates blurred in the copy of a photo that leaves the handling departments (what residents
are sent or shown); departments and HQ keep the cleaned copy as it is (a plate is the evidence of illegal parking).

Faces are found by OpenCV's Haar cascades (frontal and profile, shipped inside opencv-python, which the `ocr`
extra brings), plates by the text OCR read: a line that reads like a Chinese plate (晋A·12345, 晋A12345D) is
covered with a margin. Both miss things (see README: Photos): the blur is a second line of defence, not a promise.
"""
from __future__ import annotations

import functools
import io
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFilter

from bot.config import OcrSettings
from bot.photos.ocr import TextLine, read_text
from bot.photos.storage import MediaStorage, public_keys

log = logging.getLogger(__name__)

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# 省简称 + the issuing city's letter + 5 characters (6 for new-energy plates), with or without the dot.
# Plates use no I or O (they would read as 1 and 0); OCR reads a 5 or an S as $ now and then.
_PLATE_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "$": "S", "|": "1"})
PLATE = re.compile(rf"[{PROVINCES}][A-HJ-NP-Z][·•.。:：\s-]?[A-HJ-NP-Z0-9]{{5,6}}(?![A-Z0-9])")
MARGIN = 0.25          # of a plate's text box, on each side: the plate's rim and province character
FACE_MARGIN = 0.2      # of a face's box, on each side: the cascades box the eyes to the mouth, not hair and chin
BLOCK = 10             # pixels per mosaic block at the display copy's size
THUMBNAIL_PX = 320
DETECT_PX = 800        # faces are looked for on a copy this long at most (a 1600 px photo takes 4 × as long)

Box = tuple[int, int, int, int]   # left, top, right, bottom


@dataclass(frozen=True)
class Redaction:
    """What was covered in a public copy."""

    faces: tuple[Box, ...]
    plates: tuple[Box, ...]


@functools.cache
def _cascades() -> tuple[Any, ...]:
    """OpenCV's bundled face cascades; empty without OpenCV (the `ocr` extra)."""
    try:
        import cv2
    except ImportError:
        log.warning("faces are not blurred: OpenCV is not installed (pip install -e '.[ocr]')")
        return ()
    return tuple(cv2.CascadeClassifier(cv2.data.haarcascades + name)  # type: ignore[attr-defined]
                 for name in ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml"))


def face_boxes(image: Image.Image) -> list[Box]:
    """Faces looking at the camera or in profile (either way round), at least 20 pixels across at 800 px."""
    cascades = _cascades()
    if not cascades:
        return []
    import cv2
    import numpy as np
    scale = min(1.0, DETECT_PX / max(image.size))
    small = image.convert("L")
    if scale < 1:
        small = small.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BOX)
    gray = cv2.equalizeHist(np.asarray(small))
    found: list[Box] = []
    for index, cascade in enumerate(cascades):
        views = [(gray, False)] + ([(cv2.flip(gray, 1), True)] if index == 1 else [])   # profiles facing right too
        for picture, flipped in views:
            for x, y, w, h in cascade.detectMultiScale(picture, scaleFactor=1.1, minNeighbors=3, minSize=(20, 20)):
                left = small.width - x - w if flipped else x
                found.append((int(left / scale), int(y / scale), int((left + w) / scale), int((y + h) / scale)))
    return found


def plate_boxes(lines: Sequence[TextLine], size: tuple[int, int]) -> list[Box]:
    """The boxes of the lines that read like a licence plate, widened to the plate's rim."""
    boxes = []
    for line in lines:
        if PLATE.search(unicodedata.normalize("NFKC", "".join(line.text.split())).upper().translate(_PLATE_LOOKALIKES)):
            boxes.append(_widened(line.bounds, MARGIN, MARGIN * 2, size))
    return boxes


def _widened(box: Box, across: float, down: float, size: tuple[int, int]) -> Box:
    left, top, right, bottom = box
    dx, dy = int((right - left) * across), int((bottom - top) * down)
    return max(0, left - dx), max(0, top - dy), min(size[0], right + dx), min(size[1], bottom + dy)


def redact(image: Image.Image, lines: Sequence[TextLine]) -> tuple[Image.Image, Redaction]:
    """A copy with every face and plate found made into a coarse, blurred mosaic that cannot be read back."""
    picture = image.convert("RGB")
    faces = [_widened(box, FACE_MARGIN, FACE_MARGIN, picture.size) for box in face_boxes(picture)]
    plates = plate_boxes(lines, picture.size)
    for left, top, right, bottom in [*faces, *plates]:
        region = picture.crop((left, top, right, bottom))
        small = region.resize((max(1, region.width // BLOCK), max(1, region.height // BLOCK)), Image.Resampling.BOX)
        mosaic = small.resize(region.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(BLOCK / 2))
        picture.paste(mosaic, (left, top))
    return picture, Redaction(tuple(faces), tuple(plates))


def public_copy(storage: MediaStorage, display_key: str, settings: OcrSettings, *, thumbnail: bool = False,
                lines: Sequence[TextLine] | None = None) -> bytes:
    """The copy residents get of a stored photo, made once and kept beside it. Plates come from the text read in
    the photo (`lines`, as the photo job stored it); a photo never read (an after-photo) is read now."""
    public, public_thumbnail = public_keys(display_key)
    key = public_thumbnail if thumbnail else public
    if storage.exists(key):
        return storage.get(key)
    image = Image.open(io.BytesIO(storage.get(display_key)))
    if lines is None:
        reading = read_text(image, settings)
        lines = reading.lines if reading else ()
    redacted, covered = redact(image, lines)
    if covered.faces or covered.plates:
        log.info("public copy of %s: %d face(s), %d plate(s) blurred", display_key, len(covered.faces),
                 len(covered.plates))
    out = io.BytesIO()
    redacted.save(out, "JPEG", quality=85)
    small = redacted.copy()
    small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    thumb = io.BytesIO()
    small.save(thumb, "JPEG", quality=80)
    storage.put(public, out.getvalue(), "image/jpeg")
    storage.put(public_thumbnail, thumb.getvalue(), "image/jpeg")
    return thumb.getvalue() if thumbnail else out.getvalue()
