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


def cjk_font(size: int, bold: bool = False):
    """A Chinese font at this size (Debian's fonts-noto-cjk, which `make test` installs)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    from bot.bulletin.fonts import cjk_font as chart_font
    path = font_manager.findfont(chart_font(), fallback_to_default=False)
    if bold:
        path = path.replace("Regular", "Bold")
    return ImageFont.truetype(path, size)


def flyer(lines: list[str], size=(480, 360), background=(196, 188, 170)) -> Image.Image:
    """A small flyer stuck on a wall: dark lines of text on a pale sheet."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle([30, 30, size[0] - 30, size[1] - 30], fill=(250, 248, 238))
    y = 50
    for index, line in enumerate(lines):
        font = cjk_font(36 if index == 0 else 26, bold=index == 0)
        draw.text((50, y), line, font=font, fill=(190, 20, 20) if index == 0 else (20, 20, 20))
        y += 60 if index == 0 else 46
    return image


def plate(text: str = "晋A·12345", height: int = 56, green: bool = False) -> Image.Image:
    """A Chinese licence plate: white on blue, or black on green (new-energy vehicles)."""
    width = int(height * (3.4 if green else 3.14))
    image = Image.new("RGB", (width, height), (120, 220, 140) if green else (20, 60, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle([2, 2, width - 3, height - 3], outline=(30, 30, 30) if green else (240, 240, 240), width=2)
    font = cjk_font(int(height * 0.5), bold=True)
    draw.text(((width - draw.textlength(text, font=font)) / 2, height * 0.18), text, font=font,
              fill=(10, 10, 10) if green else (250, 250, 250))
    return image


def street_with_a_face_and_a_plate(face: Image.Image) -> Image.Image:
    """A street: a person (the face given) beside a red car with a blue plate; grey road, a wall."""
    image = scene(5, (800, 600))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 380, 800, 600], fill=(110, 110, 115))
    draw.rectangle([380, 300, 760, 500], fill=(190, 30, 30))
    image.paste(plate(), (480, 430))
    image.paste(face.resize((220, 220)), (60, 60))
    return image
