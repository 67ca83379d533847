"""Measure the moderation screen (data/moderation.toml, bot/catalogue/moderation.py); print the figures.

Run as `make bench-moderation`. Genuine reports held: every labelled report of the corpus and of the external set,
screened as the bot screens it at 提交 (with the category the bot's classifier gives it, and again with no
category, where no quoting is allowed) — the aim is 0. Spam and abuse caught: the messages of
bench/moderation_samples.tsv (written for this bench: advertising, advertising aimed at the account itself, links,
insults), screened the same way. Floods: for 40 corpus reports, one resident sending five near-identical copies
within minutes (how many of the copies from the third on are held), against 40 residents each sending five
different reports, and single excited messages (a character repeated twelve times, ！×12) that must not be held.
"""
from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "bench" / "moderation_samples.tsv"
FLOOD_COPIES = 5
EXCITED = ("啊" * 12 + "，", "！" * 12, "", "？？？？？？？？？？？？", "快来人管管啊啊啊啊啊啊啊啊啊啊啊啊")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="classifier file (default: the configured classifier.model)")
    parser.add_argument("--show", type=int, default=10, help="print this many held reports and missed samples")
    options = parser.parse_args()
    from bench.several import load
    from bot.catalogue.moderation import Screen
    from bot.understanding.training import read_examples

    settings, catalogue, classifier, _ = load(options.model)
    screen = Screen.from_setting(catalogue.moderation)

    def category(text: str) -> str | None:
        return classifier.classify(text).category

    sets = [("corpus", read_examples(settings.classifier.corpus))]
    if Path(settings.classifier.external).exists():
        sets.append(("external set", read_examples(settings.classifier.external)))
    reports = [e for _, examples in sets for e in examples if e.label != "none"]
    for title, examples in sets:
        genuine = [e for e in examples if e.label != "none"]
        held = [(e, screen.reason_to_hold(e.text, category(e.text))) for e in genuine]
        held = [(e, why) for e, why in held if why]
        strict = sum(bool(screen.reason_to_hold(e.text)) for e in genuine)
        print(f"{title}: genuine reports held {len(held)} of {len(genuine)} "
              f"(with no category, so nothing counts as quoted: {strict})")
        for example, why in held[:options.show]:
            print(f"    [{example.label}] {example.text[:70]} → {why}")

    with open(SAMPLES, newline="", encoding="utf-8") as fh:
        samples = [(row["kind"], row["text"]) for row in csv.DictReader(fh, delimiter="\t")]
    caught = Counter(kind for kind, text in samples if screen.reason_to_hold(text, category(text)))
    total = Counter(kind for kind, _ in samples)
    drafts = sum(bool(classifier.classify(text).is_report) for _, text in samples)
    print(f"spam and abuse caught: {sum(caught.values())} of {len(samples)} "
          f"({', '.join(f'{kind} {caught[kind]}/{count}' for kind, count in total.items())}); "
          f"{drafts} of them would open a draft at all")
    for kind, text in [(k, t) for k, t in samples if not screen.reason_to_hold(t, category(t))][:options.show]:
        print(f"    missed [{kind}] {text}")

    picked = reports[::max(1, len(reports) // 40)][:40]
    flooded = 0
    for example in picked:
        copies = [example.text + "！" * n + (f" 第{n}次" if n % 2 else "") for n in range(FLOOD_COPIES)]
        flooded += sum(screen.floods(copy, copies[:n]) for n, copy in enumerate(copies) if n >= 2)
    varied = sum(screen.floods(reports[i + n].text, [reports[i + k].text for k in range(n)])
                 for i in range(0, 40 * FLOOD_COPIES * 7, FLOOD_COPIES * 7) for n in range(1, FLOOD_COPIES))
    excited = [f"{noise}{e.text}" if noise else e.text + "！" * 12 for e in picked for noise in EXCITED]
    excited_held = sum(bool(screen.reason_to_hold(text, category(text))) for text in excited)
    print(f"floods: {flooded} of {len(picked) * (FLOOD_COPIES - 2)} near-identical copies (the third on) held; "
          f"{varied} of {40 * (FLOOD_COPIES - 1)} different reports in a row held; "
          f"{excited_held} of {len(excited)} single excited messages held")


if __name__ == "__main__":
    main()
