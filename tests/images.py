"""Real image files made for the tests: EXIF GPS in both hemispheres, rotation, PNG, broken and hostile files."""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational

GPS_IFD, EXIF_IFD, ORIENTATION = 0x8825, 0x8769, 0x0112


def _dms(value: float) -> tuple:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def scene(seed: int = 1, size=(800, 600)) -> Image.Image:
    """A picture with shapes, so perceptual hashes of different seeds differ."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 200)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    return image


def jpeg(image: Image.Image | None = None, *, latitude: float | None = None, longitude: float | None = None,
         orientation: int | None = None, taken: str | None = None, offset: str | None = None,
         quality: int = 90) -> bytes:
    image = image or scene()
    exif = Image.Exif()
    if orientation:
        exif[ORIENTATION] = orientation
    if latitude is not None:
        exif[GPS_IFD] = {1: "N" if latitude >= 0 else "S", 2: _dms(latitude),
                         3: "E" if longitude >= 0 else "W", 4: _dms(longitude)}
    if taken:
        exif[EXIF_IFD] = {36867: taken, **({36881: offset} if offset else {})}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def phone_photo(*, latitude: float | None = None, longitude: float | None = None, taken: str | None = None,
                orientation: int | None = None, size: tuple[int, int] = (4032, 3024)) -> bytes:
    """A camera photo, by default of 12 megapixels and about 4 MB: a scene with grain like a phone sensor's, and
    its EXIF."""
    grainy = Image.blend(scene(5, size), Image.effect_noise(size, 40).convert("RGB"), 0.25)
    return jpeg(grainy, latitude=latitude, longitude=longitude, taken=taken, orientation=orientation, quality=88)


def png_with_alpha() -> bytes:
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse([50, 50, 250, 250], fill=(0, 128, 0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(scene(7, (1200, 900)))
    return data[: len(data) // 2]


def text_named_jpg() -> bytes:
    return "这不是图片，只是一段文字。\n".encode() * 20


def decompression_bomb() -> bytes:
    """A small PNG that would decode to 400 million pixels."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    return out.getvalue()


def thirty_megabytes() -> bytes:
    """A genuine 30 MB image (uncompressed PNG of noise)."""
    rng = random.Random(3)
    image = Image.frombytes("RGB", (3200, 3200), rng.randbytes(3200 * 3200 * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()
