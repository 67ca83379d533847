"""What the bot reads in photos, measured on generated flyers and signs (bench/flyers.py): numbers found at the
exact-number level (recall, precision, per layout and per difficulty), the category proposed for a photo sent alone
(flyers should propose 违法小广告, shop signs and notices nothing), the time per photo and the memory OCR takes.

Each flyer goes the way a resident's photo goes: cleaned into the display copy (bot/photos/cleaning.py), read by
OCR with the configured threads (bot/photos/ocr.py), its numbers found (bot/understanding/phone_numbers.py).

    make bench-ocr                       # 200 flyers
    python bench/ocr.py --count 50 --threads 2
"""
from __future__ import annotations

import argparse
import io
import random
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.flyers import flyer, sign
from bot.config import OcrSettings
from bot.photos.cleaning import clean_image
from bot.photos.ocr import ocr_available, read_text
from bot.understanding.phone_numbers import find_numbers
from bot.understanding.photo_category import propose


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--signs", type=int, default=None,
                        help="shop signs and notices (default: a quarter of --count)")
    parser.add_argument("--threads", type=int, default=OcrSettings().threads)
    parser.add_argument("--misses", type=Path, default=Path("var/bench/ocr-misses"),
                        help="where the flyers with a missed or wrong number are saved, to look at")
    args = parser.parse_args()
    settings = OcrSettings(threads=args.threads)
    before = rss_mb()
    if not ocr_available(settings):
        sys.exit("OCR is not installed: pip install -e '.[ocr]'")
    loaded = rss_mb()
    rng = random.Random(args.seed)
    args.misses.mkdir(parents=True, exist_ok=True)
    found_right = wrong = missed = 0
    by_layout: Counter[str] = Counter()
    by_layout_found: Counter[str] = Counter()
    by_hard: Counter[str] = Counter()
    by_hard_found: Counter[str] = Counter()
    seconds = []
    wrong_examples = []
    proposals: Counter[tuple[str, str]] = Counter()   # (label, proposed)
    signs = args.count // 4 if args.signs is None else args.signs
    started = time.perf_counter()
    for index in range(args.count + signs):
        made = flyer(rng) if index < args.count else sign(rng)
        out = io.BytesIO()
        made.image.save(out, "JPEG", quality=95)
        clean = clean_image(out.getvalue(), max_bytes=10 * 1024 * 1024, max_pixels=40_000_000)
        reading = read_text(clean.display, settings)
        assert reading is not None
        seconds.append(reading.seconds)
        numbers = find_numbers([line.text for line in reading.lines])
        read = {found.value for found in numbers}
        proposal = propose(reading.text, numbers)
        proposals["illegal_ads" if made.layout != "sign" else "none", proposal.category if proposal else "none"] += 1
        truth = set(made.numbers)
        right = read & truth
        found_right += len(right)
        wrong += len(read - truth)
        missed += len(truth - read)
        for number in truth:
            by_layout[made.layout] += 1
            by_layout_found[made.layout] += number in read
            for hard in made.hard or ["plain"]:
                by_hard[hard] += 1
                by_hard_found[hard] += number in read
        if read != truth:
            made.image.save(args.misses / f"flyer-{index:04d}.jpg")
            wrong_examples.append(f"  flyer-{index:04d} {made.layout:<12} truth {sorted(truth)} read {sorted(read)}"
                                  f"  ({'; '.join(reading.text.splitlines())[:90]})")
    elapsed = time.perf_counter() - started
    printed = found_right + missed
    print(f"{args.count} generated flyers and {signs} signs ({printed} numbers printed), "
          f"OCR with {args.threads} thread(s), {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"numbers, exact: recall {found_right}/{printed} = {found_right / max(printed, 1):.1%}, "
          f"precision {found_right}/{found_right + wrong} = {found_right / max(found_right + wrong, 1):.1%}")
    print("recall by layout:")
    for layout in sorted(by_layout):
        print(f"  {layout:<14} {by_layout_found[layout]:>4}/{by_layout[layout]:<4} "
              f"{by_layout_found[layout] / by_layout[layout]:.0%}")
    print("recall by difficulty (a flyer may have several):")
    for hard in sorted(by_hard):
        print(f"  {hard:<14} {by_hard_found[hard]:>4}/{by_hard[hard]:<4} {by_hard_found[hard] / by_hard[hard]:.0%}")
    right = sum(n for (label, proposed), n in proposals.items() if label == proposed)
    print(f"category proposed for a photo alone: right {right}/{sum(proposals.values())} = "
          f"{right / sum(proposals.values()):.1%}")
    for (label, proposed), n in sorted(proposals.items()):
        shown = "违法小广告" if proposed != "none" else "nothing"
        print(f"  {'flyer' if label != 'none' else 'sign':<6} → {shown:<6} {n}")
    ordered = sorted(seconds)
    print(f"time per photo (800×600, OCR only, on this machine as busy as it was): "
          f"median {statistics.median(seconds):.2f} s, "
          f"p90 {ordered[int(len(ordered) * 0.9) - 1]:.2f} s, max {ordered[-1]:.2f} s; "
          f"whole loop {elapsed / (args.count + signs):.2f} s per image (drawing and cleaning included)")
    print(f"memory: {before:.0f} MB before OCR, {loaded:.0f} MB with the models loaded, {rss_mb():.0f} MB now, "
          f"peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"misses and wrong reads ({len(wrong_examples)}, saved in {args.misses}):")
    print("\n".join(wrong_examples[:25]))


if __name__ == "__main__":
    main()
