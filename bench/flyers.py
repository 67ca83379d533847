"""Images made for measuring what the bot reads in photos: illegal flyers on walls and poles with known numbers.

Each flyer is drawn with a CJK font (Debian's fonts-noto-cjk: Sans and Serif, regular and bold) in one of several
layouts — a mobile with the usual separators, split over two lines, a 0351 landline, a bare local number after 电话,
400/800 numbers, 微信 and QQ ids — with decoy digits (prices, dates, house numbers, hours), on a textured background,
then rotated (±20°), seen in perspective, blurred, partly covered and saved as a noisy JPEG. The numbers it prints
are the truth the benchmark checks against, in the form the registry files them.

    python bench/flyers.py --count 20 --out var/bench/flyers     # writes the images and truth.tsv to look at
"""
from __future__ import annotations

import argparse
import io
import random
import string
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc")
SC_FACE = 2   # in Noto's .ttc files: JP, KR, SC, TC…; index 2 is Simplified Chinese

TRADES = {   # headline → the words that go with it; all are 违法小广告
    "办证": ["专业办证", "办理各类证件", "刻章 办证"], "开锁": ["开锁 换锁芯", "专业开锁 24小时"],
    "贷款": ["无抵押贷款 当天放款", "小额贷款 快速到账"], "招聘": ["高薪招聘 日结", "招聘服务员 包吃住"],
    "疏通": ["疏通下水道 马桶", "管道疏通 抽粪"], "搬家": ["搬家 拉货 长短途"], "回收": ["高价回收 烟酒 购物卡"],
    "发票": ["代开发票", "代开各类发票"], "维修": ["家电维修 上门服务"],
}
CUES = ["电话：", "电话", "手机：", "TEL:", "联系电话：", "☎", "热线：", ""]
DECOYS = ["价格：200元起", "2024年3月15日", "康乐街12号", "营业时间 8:00-22:00", "第3期 满100减20", "仅需998元",
          "地址：晋祠路88号", "工作时间9:00-18:00"]
PAPERS = [(250, 250, 245), (255, 246, 160), (255, 214, 222), (210, 232, 255), (235, 255, 230), (255, 255, 255)]
INKS = [(200, 20, 20), (20, 20, 20), (20, 40, 160), (0, 110, 40), (120, 0, 120)]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "185", "186",
                   "187", "188", "189", "198", "199"]


@dataclass
class Flyer:
    """An image, the numbers printed on it as the registry files them, and how it was made."""

    image: Image.Image
    numbers: list[str]
    layout: str
    hard: list[str] = field(default_factory=list)   # what made it hard: small, rotated, blurred, covered…


def font(rng: random.Random, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / rng.choice(FONT_FILES)), size, index=SC_FACE)


def mobile(rng: random.Random) -> str:
    while True:
        number = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice(string.digits) for _ in range(8))
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")):
            return number


def landline(rng: random.Random) -> str:
    while True:
        number = rng.choice("2345678") + "".join(rng.choice(string.digits) for _ in range(6))
        if phonenumbers.is_valid_number(phonenumbers.parse("0351" + number, "CN")):
            return number


def number_lines(rng: random.Random) -> tuple[list[str], list[str], str]:
    """The lines that carry numbers, the numbers as filed, and the layout's name."""
    layout = rng.choice(["mobile", "mobile", "mobile", "mobile_split", "landline", "local", "hotline", "wechat",
                         "qq", "two_numbers", "none"])
    if layout == "none":   # a notice with only prices, dates and house numbers: nothing may be found
        return [rng.choice(DECOYS)], [], layout
    cue = rng.choice(CUES)
    if layout in ("mobile", "two_numbers"):
        n = mobile(rng)
        shape = rng.choice(["{a}{b}{c}", "{a}-{b}-{c}", "{a} {b} {c}", "{a}{b} {c}", "{a}.{b}.{c}", "{a}—{b}—{c}"])
        lines = [cue + shape.format(a=n[:3], b=n[3:7], c=n[7:])]
        numbers = [n]
        if layout == "two_numbers":
            other = landline(rng)
            lines.append(rng.choice(["座机：", "电话 ", "固话："]) + f"0351-{other}")
            numbers.append(f"0351-{other}")
        return lines, numbers, layout
    if layout == "mobile_split":
        n = mobile(rng)
        cut = rng.choice([3, 7])
        return [cue + n[:cut], n[cut:]], [n], layout
    if layout == "landline":
        n = landline(rng)
        return [rng.choice(["电话：0351-{n}", "(0351){n}", "0351 {n}", "座机 0351-{n}"]).format(n=n)], \
            [f"0351-{n}"], layout
    if layout == "local":
        n = landline(rng)
        return [rng.choice(["电话：", "电话 ", "热线："]) + n], [f"0351-{n}"], layout
    if layout == "hotline":
        head = rng.choice(["400", "800"])
        a, b = ("".join(rng.choice(string.digits) for _ in range(size)) for size in (3, 4))
        return [rng.choice(["全国热线：", "客服 ", ""]) + f"{head}-{a}-{b}"], [f"{head}-{a}-{b}"], layout
    if layout == "wechat":
        ident = rng.choice(string.ascii_lowercase) + "".join(rng.choice(string.ascii_lowercase + string.digits)
                                                             for _ in range(rng.randint(5, 9)))
        return [rng.choice(["微信：", "加微信 ", "V信：", "微信号："]) + ident], ["wechat:" + ident], layout
    qq = str(rng.randint(10_000_000, 3_999_999_999))
    return [rng.choice(["QQ：", "QQ ", "扣扣："]) + qq], ["qq:" + qq], "qq"


def background(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A wall (plaster or brick), a utility pole, or a metal box, with noise and grime."""
    kind = rng.choice(["plaster", "brick", "pole", "box"])
    base = {"plaster": (190, 185, 170), "brick": (150, 80, 60), "pole": (160, 160, 155), "box": (90, 120, 100)}[kind]
    image = Image.new("RGB", size, tuple(max(0, min(255, c + rng.randint(-20, 20))) for c in base))
    draw = ImageDraw.Draw(image)
    if kind == "brick":
        for y in range(0, size[1], 28):
            draw.line([(0, y), (size[0], y)], fill=(200, 190, 180), width=3)
            offset = 0 if (y // 28) % 2 else 40
            for x in range(offset, size[0], 80):
                draw.line([(x, y), (x, y + 28)], fill=(200, 190, 180), width=3)
    elif kind == "pole":
        left = rng.randint(size[0] // 5, size[0] // 3)
        for x in range(left, size[0] - left):
            shade = int(60 * abs((x - size[0] / 2) / (size[0] / 2 - left)))
            draw.line([(x, 0), (x, size[1])], fill=(200 - shade, 200 - shade, 195 - shade))
    noise = Image.effect_noise(size, rng.uniform(10, 40)).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    for _ in range(rng.randint(0, 6)):   # grime, old glue, stains
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randint(10, 60)
        draw = ImageDraw.Draw(image)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(c - 30 for c in base))
    return image


def flyer(rng: random.Random, size: tuple[int, int] = (800, 600)) -> Flyer:
    """One photo of a flyer on a wall, with the numbers printed on it."""
    trade = rng.choice(list(TRADES))
    lines, numbers, layout = number_lines(rng)
    words = [rng.choice(TRADES[trade])] + ([rng.choice(DECOYS)] if rng.random() < 0.6 else [])
    text = [words[0], *lines, *words[1:]]
    if rng.random() < 0.3:
        text.insert(1, rng.choice(["诚信经营 价格优惠", "随叫随到", "正规公司", "微信同号"]))
    sizes = [rng.randint(30, 48)] + [rng.randint(20, 38) for _ in text[1:]]
    hard = ["small"] if min(sizes[1:]) < 24 else []
    fonts = [font(rng, s) for s in sizes]
    width = max(int(fonts[i].getlength(line)) for i, line in enumerate(text)) + 50
    height = sum(int(s * 1.45) for s in sizes) + 50
    sheet = Image.new("RGB", (width, height), rng.choice(PAPERS))
    draw = ImageDraw.Draw(sheet)
    y = 25
    ink = rng.choice(INKS)
    for index, line in enumerate(text):
        draw.text((25, y), line, font=fonts[index], fill=rng.choice(INKS) if index == 0 else ink)
        y += int(sizes[index] * 1.45)
    angle = rng.uniform(-20, 20)
    if abs(angle) > 10:
        hard.append("rotated")
    sheet = sheet.convert("RGBA").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    scale = min(1.0, (size[0] * 0.85) / sheet.width, (size[1] * 0.85) / sheet.height)
    if scale < 1:
        sheet = sheet.resize((int(sheet.width * scale), int(sheet.height * scale)), Image.Resampling.LANCZOS)
        if scale < 0.7:
            hard.append("shrunk")
    photo = background(rng, size)
    photo.paste(sheet, (rng.randint(0, size[0] - sheet.width), rng.randint(0, size[1] - sheet.height)), sheet)
    if rng.random() < 0.5:
        photo = perspective(photo, rng)
        hard.append("perspective")
    if rng.random() < 0.25:   # a strip of tape or another flyer's corner over part of it
        draw = ImageDraw.Draw(photo)
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        draw.rectangle([x, y, x + rng.randint(40, 160), y + rng.randint(20, 60)], fill=rng.choice(PAPERS))
        hard.append("covered")
    blur = rng.choice([0, 0, 0.6, 1.0, 1.6])
    if blur:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
        if blur > 1:
            hard.append("blurred")
    out = io.BytesIO()
    quality = rng.randint(25, 90)
    photo.save(out, "JPEG", quality=quality)
    if quality < 40:
        hard.append("jpeg")
    return Flyer(Image.open(io.BytesIO(out.getvalue())).convert("RGB"), numbers, layout, hard)


SIGNS = [   # text residents' photos show that is no flyer: shop signs (some with a phone), notices, slogans
    (["幸福超市", "营业时间 8:00-22:00"], False), (["晋源区人民政府", "晋祠路188号"], False),
    (["订餐电话 {mobile}", "老王面馆"], True), (["禁止乱扔垃圾", "违者罚款200元"], False),
    (["创建全国文明城市", "人人参与 人人共享"], False), (["家电维修部", "电话：{mobile}"], True),
    (["停车场 入口", "收费标准 每小时5元"], False), (["小心地滑"], False),
    (["新店开业 全场八折", "地址：康乐街12号"], False),
    (["联通营业厅", "客服热线 10010"], False), (["花塔村村民委员会"], False),
]


def sign(rng: random.Random, size: tuple[int, int] = (800, 600)) -> Flyer:
    """A photo with text that is not an illegal flyer: a shop sign or a notice board (the label: no proposal)."""
    lines, has_number = rng.choice(SIGNS)
    numbers = [mobile(rng)] if has_number else []
    text = [line.format(mobile=numbers[0]) if has_number else line for line in lines]
    photo = background(rng, size)
    board = Image.new("RGB", (size[0] - 80, 90 + 70 * len(text)), rng.choice([(180, 20, 20), (20, 60, 150),
                                                                             (240, 240, 235), (0, 100, 60)]))
    draw = ImageDraw.Draw(board)
    ink = (255, 255, 255) if board.getpixel((0, 0))[0] < 200 else (20, 20, 20)
    for index, line in enumerate(text):
        draw.text((30, 30 + 70 * index), line, font=font(rng, 56 if index == 0 else 36), fill=ink)
    photo.paste(board, (40, rng.randint(20, size[1] - board.height - 20)))
    if rng.random() < 0.5:
        photo = perspective(photo, rng)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=rng.randint(40, 90))
    return Flyer(Image.open(io.BytesIO(out.getvalue())).convert("RGB"), numbers, "sign")


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """The same picture seen a little from the side."""
    w, h = image.size
    d = [rng.uniform(0, 0.12) for _ in range(8)]
    corners = [(w * d[0], h * d[1]), (w * (1 - d[2]), h * d[3]), (w * (1 - d[4]), h * (1 - d[5])),
               (w * d[6], h * (1 - d[7]))]
    coefficients = _perspective_coefficients([(0, 0), (w, 0), (w, h), (0, h)], corners)
    return image.transform((w, h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC,
                           fillcolor=(128, 128, 128))


def _perspective_coefficients(target: list[tuple[float, float]], source: list[tuple[float, float]]) -> list[float]:
    import numpy as np
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.array(rows, dtype=float), np.array(source, dtype=float).reshape(8))
    return [float(c) for c in solution]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", type=Path, default=Path("var/bench/flyers"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    with (args.out / "truth.tsv").open("w", encoding="utf-8") as truth:
        for index in range(args.count):
            made = flyer(rng)
            made.image.save(args.out / f"flyer-{index:04d}.jpg", quality=92)
            truth.write(f"flyer-{index:04d}.jpg\t{made.layout}\t{' '.join(made.numbers)}\t{','.join(made.hard)}\n")
    print(f"{args.count} flyers and truth.tsv in {args.out}")


if __name__ == "__main__":
    main()
