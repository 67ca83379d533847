"""Check and clean a photo with Pillow: verify it, read EXIF GPS and time, orient it, strip metadata, resize, hash."""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import imagehash
import prcoords
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC from iPhones, when the maintained plugin is installed
    from pillow_heif import register_heif_opener
    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - the plugin is a declared dependency
    HEIF = False

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"} | ({"HEIF"} if HEIF else set())
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
DATETIME_ORIGINAL, DATETIME = 36867, 306
OFFSET_TIME_ORIGINAL, OFFSET_TIME = 36881, 36880   # EXIF 2.31: the camera's UTC offset, "+08:00"
# China keeps one time zone and phones sold here write local time; EXIF before 2.31 has no offset to say so.
BEIJING = ZoneInfo("Asia/Shanghai")


class ImageRefused(Exception):
    """The file is not an image we accept; reason is one of: too_large, not_image, format, too_many_pixels, broken."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class CleanImage:
    display: bytes            # JPEG, longest side ≤ display_side, no metadata
    thumbnail: bytes          # JPEG, longest side ≤ thumbnail_side, no metadata
    width: int
    height: int
    source_format: str
    phash: str                # 64-bit perceptual hash, hex
    gps_wgs84: tuple[float, float] | None
    taken_at: datetime | None  # the camera's local time, as EXIF records it
    taken_offset: timedelta | None = None  # the UTC offset EXIF gives with it, if any

    @property
    def taken_at_utc(self) -> datetime | None:
        """When the photo was taken, as naive UTC like every stored time: by the EXIF offset, else Beijing time."""
        if self.taken_at is None:
            return None
        if self.taken_offset is not None:
            return self.taken_at - self.taken_offset
        return self.taken_at.replace(tzinfo=BEIJING).astimezone(UTC).replace(tzinfo=None)


def clean_image(data: bytes, *, max_bytes: int, max_pixels: int, display_side: int = 1600,
                thumbnail_side: int = 320) -> CleanImage:
    """Return the cleaned copies and what the photo says about place and time, or raise ImageRefused."""
    if len(data) > max_bytes:
        raise ImageRefused("too_large", f"{len(data)} bytes")
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise ImageRefused("not_image") from exc
    except Image.DecompressionBombError as exc:
        raise ImageRefused("too_many_pixels") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # a header cut short or corrupt
        raise ImageRefused("broken", str(exc)) from exc
    if image.format not in ALLOWED_FORMATS:
        raise ImageRefused("format", str(image.format))
    # The header gives the size before any pixel is decoded: refuse bombs before they cost memory.
    if image.width * image.height > max_pixels:
        raise ImageRefused("too_many_pixels", f"{image.width}x{image.height}")
    try:
        if image.format in ("JPEG", "MPO"):
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when that still covers the display size:
            # a 12 MP photo then costs a fraction of the time and memory.
            scale = display_side / max(image.size)
            if scale < 1:
                image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
        image.load()
        exif = image.getexif()
        gps = _gps(exif)
        taken_at, taken_offset = _taken_at(exif), _taken_offset(exif)
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data
        raise ImageRefused("broken", str(exc)) from exc
    rgb = _rgb(upright)
    return CleanImage(display=_jpeg(rgb, display_side, 85), thumbnail=_jpeg(rgb, thumbnail_side, 80),
                      width=rgb.width, height=rgb.height, source_format=image.format,
                      phash=str(imagehash.phash(rgb)), gps_wgs84=gps, taken_at=taken_at,
                      taken_offset=taken_offset)


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, side: int, quality: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)  # no exif= argument: nothing of the original's metadata
    return out.getvalue()


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    """Latitude and longitude in degrees from EXIF degrees/minutes/seconds and N/S, E/W."""
    info = exif.get_ifd(GPS_IFD)
    if not info or 2 not in info or 4 not in info:
        return None
    latitude = _degrees(info[2], info.get(1, "N"), "S")
    longitude = _degrees(info[4], info.get(3, "E"), "W")
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:  # phones write 0/0 when they had no fix
        return None
    return latitude, longitude


def _degrees(parts, reference, negative: str) -> float | None:
    try:
        degrees, minutes, seconds = (float(p) for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    if math.isnan(value):
        return None
    if isinstance(reference, bytes):
        reference = reference.decode("ascii", "ignore")
    return -value if str(reference).strip().upper().startswith(negative) else value


def _taken_at(exif: Image.Exif) -> datetime | None:
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if raw else None
    except ValueError:
        return None


def _taken_offset(exif: Image.Exif) -> timedelta | None:
    """The offset EXIF records beside the time taken ("+08:00", "-05:30"); None when absent or malformed."""
    ifd = exif.get_ifd(EXIF_IFD)
    raw = ifd.get(OFFSET_TIME_ORIGINAL) or ifd.get(OFFSET_TIME)
    text = str(raw).strip("\x00 ") if raw else ""
    if len(text) != 6 or text[0] not in "+-" or text[3] != ":" or not (text[1:3] + text[4:]).isdigit():
        return None
    offset = timedelta(hours=int(text[1:3]), minutes=int(text[4:]))
    return -offset if text[0] == "-" else offset


def wgs84_to_gcj02(latitude: float, longitude: float) -> tuple[float, float]:
    """Phones write WGS-84 into EXIF; WeChat locations and our town polygons are GCJ-02 (China's offset datum)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # outside China it returns the point unchanged, which is right
        shifted = prcoords.wgs_gcj((latitude, longitude), True)
    return shifted.lat, shifted.lon
