"""Faces and plates blurred in residents' copies (bot/photos/redaction.py), measured on images made for it:
synthetic blue and green plates (bench/flyers.py's fonts) on street scenes at several sizes and angles (±10°),
and the faces scikit-image ships for tests (its LFW subset: 100 faces and 100 non-faces, 25 px, enlarged; and
the astronaut) pasted on walls. A plate or face counts as blurred when the blurred boxes cover at
least 80 % of it. Before/after pairs are saved to look at.

    python bench/redaction.py --plates 60 --faces 100
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from PIL import Image, ImageDraw

from bench.flyers import FONT_DIR, SC_FACE, background
from bot.config import OcrSettings
from bot.photos.ocr import read_text
from bot.photos.redaction import redact

PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def plate_text(rng: random.Random, green: bool) -> str:
    tail = "".join(rng.choice(PLATE_LETTERS + "0123456789" * 3) for _ in range(5))
    if green:
        tail = rng.choice("DF") + tail
    return rng.choice("晋晋晋京冀陕蒙豫") + rng.choice(PLATE_LETTERS[:12]) + ("·" if rng.random() < 0.6 else "") + tail


def plate(text: str, height: int, green: bool) -> Image.Image:
    from PIL import ImageFont
    width = int(height * (3.4 if green else 3.14))
    image = Image.new("RGB", (width, height), (120, 220, 140) if green else (20, 60, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle([2, 2, width - 3, height - 3], outline=(30, 30, 30) if green else (240, 240, 240), width=2)
    font = ImageFont.truetype(str(FONT_DIR / "NotoSansCJK-Bold.ttc"), int(height * (0.42 if green else 0.5)),
                              index=SC_FACE)
    draw.text(((width - draw.textlength(text, font=font)) / 2, height * 0.18), text, font=font,
              fill=(10, 10, 10) if green else (250, 250, 250))
    return image


def covered(truth: tuple[int, int, int, int], boxes) -> bool:
    left, top, right, bottom = truth
    mask = np.zeros((bottom - top, right - left), dtype=bool)
    for l2, t2, r2, b2 in boxes:
        mask[max(0, t2 - top):max(0, b2 - top), max(0, l2 - left):max(0, r2 - left)] = True
    return mask.mean() >= 0.8


def plates(rng: random.Random, count: int, out: Path, settings: OcrSettings) -> None:
    found = 0
    by_size: dict[str, list[int]] = {}
    seconds = []
    for index in range(count):
        green = rng.random() < 0.3
        height = rng.choice([28, 36, 44, 56, 70])
        sign = plate(plate_text(rng, green), height, green).convert("RGBA")
        sign = sign.rotate(rng.uniform(-10, 10), expand=True, resample=Image.Resampling.BICUBIC)
        street = background(rng, (800, 600))
        draw = ImageDraw.Draw(street)
        car = (rng.randint(0, 300), rng.randint(200, 350))
        draw.rectangle([car[0], car[1], car[0] + 420, car[1] + 220], fill=tuple(rng.randrange(256) for _ in range(3)))
        x, y = car[0] + rng.randint(20, 200), car[1] + rng.randint(100, 150)
        street.paste(sign, (x, y), sign)
        truth = (x, y, x + sign.width, y + sign.height)
        started = time.perf_counter()
        reading = read_text(street, settings)
        blurred, what = redact(street, reading.lines if reading else ())
        seconds.append(time.perf_counter() - started)
        hit = covered(truth, what.plates)
        found += hit
        by_size.setdefault(f"{height:>2} px high", []).append(hit)
        if index < 6:
            street.save(out / f"plate-{index}-before.jpg")
            blurred.save(out / f"plate-{index}-after.jpg")
    print(f"plates blurred: {found}/{count} = {found / count:.0%} (OCR and blur {np.median(seconds):.2f} s median)")
    for size, hits in sorted(by_size.items()):
        print(f"  {size}: {sum(hits)}/{len(hits)}")


def faces(rng: random.Random, count: int, out: Path) -> None:
    from skimage import data
    lfw = data.lfw_subset()   # 200 × 25×25: the first 100 faces, the other 100 not
    found = false_blurs = 0
    by_size: dict[int, list[int]] = {}
    for index in range(count):
        face = Image.fromarray((lfw[index % 100] * 255).astype("uint8")).convert("RGB")
        size = rng.choice([50, 80, 120, 160])
        wall = background(rng, (640, 480))
        x, y = rng.randint(0, 640 - size), rng.randint(0, 480 - size)
        wall.paste(face.resize((size, size), Image.Resampling.BICUBIC), (x, y))
        blurred, what = redact(wall, ())
        hit = covered((x, y, x + size, y + size), what.faces)
        found += hit
        by_size.setdefault(size, []).append(hit)
        not_face = Image.fromarray((lfw[100 + index % 100] * 255).astype("uint8")).convert("RGB")
        wall = background(rng, (640, 480))
        wall.paste(not_face.resize((size, size), Image.Resampling.BICUBIC), (x, y))
        false_blurs += bool(redact(wall, ())[1].faces)
        if index < 4:
            wall_with_face = blurred
            wall_with_face.save(out / f"face-{index}-after.jpg")
    astronaut = Image.fromarray(data.astronaut())
    blurred, what = redact(astronaut, ())
    astronaut.save(out / "astronaut-before.png")
    blurred.save(out / "astronaut-after.png")
    print(f"faces blurred (LFW faces enlarged on walls): {found}/{count} = {found / count:.0%}; "
          f"the astronaut: {'yes' if covered((177, 67, 270, 160), what.faces) else 'no'}; "
          f"non-face crops blurred by mistake: {false_blurs}/{count}")
    for size, hits in sorted(by_size.items()):
        print(f"  {size:>3} px: {sum(hits)}/{len(hits)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plates", type=int, default=60)
    parser.add_argument("--faces", type=int, default=100)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("var/bench/redaction"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    plates(rng, args.plates, args.out, OcrSettings())
    faces(rng, args.faces, args.out)
    print(f"before/after pairs in {args.out.resolve()}")


if __name__ == "__main__":
    main()
