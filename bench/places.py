"""Measure place resolution on a labelled set (tests/places/labelled.tsv): for each sentence, does the resolver
find the expected town, know that the place settles no single town ("spans"), or find no real place ("vague")?

Run as `make bench-places` (a second). Prints the accuracy, precision and recall of each answer, and every miss.
"""
from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LABELLED = ROOT / "tests" / "places" / "labelled.tsv"


def resolver():
    """The place resolver built from the district's data files, as `civicbot load-defaults` would load them."""
    from bot.catalogue.loading import gazetteer_point, read_catalogue
    from bot.config import load_config
    from bot.understanding.places import PlaceResolver, TownArea

    settings = load_config(ROOT / "config.example.toml", environ={}, overrides={
        "data": {key: str(ROOT / "data" / Path(value).name)
                 for key, value in dict(load_config(ROOT / "config.example.toml", environ={}).data).items()}})
    catalogue = read_catalogue(settings)
    return PlaceResolver(
        [TownArea(t["code"], t["name"], tuple(t.get("short_names", [])), t.get("boundary")) for t in catalogue.towns],
        [(row["name"], row.get("town") or None) for row in catalogue.gazetteer],
        {row["name"]: (point[0], point[1]) for row in catalogue.gazetteer if (point := gazetteer_point(row))})


def labelled() -> list[tuple[str, str]]:
    lines = [line for line in LABELLED.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return [(row["text"], row["expected"]) for row in csv.DictReader(lines, delimiter="\t")]


def answer(places, text: str) -> str:
    """What the resolver makes of the sentence: a town code, "spans" or "vague"."""
    place = places.from_text(text)
    return "vague" if place is None else place.town_code or "spans"


def evaluate(places, rows: list[tuple[str, str]]) -> dict:
    """Each row's answer; per answer, how often it was given right (precision) and found (recall)."""
    answers = [(text, expected, answer(places, text)) for text, expected in rows]
    given, wanted, right = Counter(), Counter(), Counter()
    for _, expected, got in answers:
        given[got] += 1
        wanted[expected] += 1
        right[got] += got == expected
    return {"answers": answers, "given": given, "wanted": wanted, "right": right,
            "correct": sum(right.values()), "vague_placed": sum(e == "vague" and g != "vague" for _, e, g in answers)}


def main() -> None:
    result = evaluate(resolver(), labelled())
    answers, given, wanted, right = result["answers"], result["given"], result["wanted"], result["right"]
    print(f"sentences: {len(answers)}; resolved as labelled: {result['correct']}/{len(answers)} "
          f"({100 * result['correct'] / len(answers):.1f} %)")
    print(f"vague sentences given a place: {result['vague_placed']} (target 0)")
    towns = [label for label in wanted if label not in ("spans", "vague")]
    town_given = sum(given[label] for label in towns)
    town_right = sum(right[label] for label in towns)
    town_wanted = sum(wanted[label] for label in towns)
    print(f"a town named: precision {town_right}/{town_given}, recall {town_right}/{town_wanted}")
    for label in sorted(wanted, key=lambda label: (label in ("spans", "vague"), label)):
        print(f"  {label:8} precision {right[label]}/{given[label]}  recall {right[label]}/{wanted[label]}")
    for text, expected, got in answers:
        if expected != got:
            print(f"  miss: {text} → {got} (labelled {expected})")


if __name__ == "__main__":
    main()
