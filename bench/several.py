"""Measure how the bot finds several problems in one message (bot/understanding/several.py); print the figures.

Run as `make bench-several`. False splits: the corpus's and the external set's genuine single-problem reports
(every labelled message that is a report) that the bot would offer to file as several tickets — the aim is
near 0; the held-out fifth, which the model never saw, is counted apart. Found: of the multi-problem messages
in bench/several_samples.tsv (written by the engineer who wrote the splitter, so not an independent test), how
many are split into exactly their categories, and how many of its single-problem controls are left whole.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "bench" / "several_samples.tsv"


def load(model_path: str | None):
    """The settings, the classifier the bot would use, and a ProblemFinder over the catalogue's category words."""
    from bot.catalogue.loading import read_catalogue
    from bot.catalogue.snapshot import load_classifier
    from bot.config import load_config
    from bot.understanding.classifier import CategoryTerms
    from bot.understanding.several import ProblemFinder

    local = ROOT / "config.toml"
    settings = load_config(os.environ.get("CIVICBOT_CONFIG") or (local if local.exists() else
                                                                 ROOT / "config.example.toml"))
    if model_path:
        settings = settings.model_copy(update={"classifier": settings.classifier.model_copy(
            update={"model": Path(model_path)})})
    catalogue = read_catalogue(settings)
    terms = [CategoryTerms(c["code"], tuple(c.get("keywords", [])), tuple(c.get("hints", [])))
             for c in catalogue.categories]
    classifier = load_classifier(settings, [], catalogue.non_report_phrases) if Path(
        settings.classifier.model).exists() else None
    if classifier is None:
        from bot.understanding.classifier import KeywordClassifier
        classifier = KeywordClassifier(terms, catalogue.non_report_phrases)
    return settings, catalogue, classifier, ProblemFinder(classifier.classify, terms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="classifier file (default: the configured classifier.model)")
    parser.add_argument("--show", type=int, default=10, help="print this many false splits and misses")
    options = parser.parse_args()
    from bot.understanding.training import is_held_out, read_examples

    settings, _, classifier, finder = load(options.model)
    sure_above = settings.classifier.split_above
    print(f"classifier: {getattr(classifier, 'metadata', {}).get('chosen', type(classifier).__name__)} "
          f"({settings.classifier.model}); a clause counts from confidence {sure_above}")
    sets = [("corpus", read_examples(settings.classifier.corpus))]
    if Path(settings.classifier.external).exists():
        sets.append(("external set", read_examples(settings.classifier.external)))
    shown = 0
    for title, examples in sets:
        reports = [e for e in examples if e.label != "none"]
        split = [(e, finder.problems(e.text, sure_above=sure_above)) for e in reports]
        split = [(e, found) for e, found in split if found]
        held_out = [e for e in reports if is_held_out(e.text)]
        split_held_out = sum(is_held_out(e.text) for e, _ in split)
        print(f"{title}: {len(split)} of {len(reports)} single-problem reports would be offered as several "
              f"({100 * len(split) / max(1, len(reports)):.2f} %)"
              + (f"; held-out fifth: {split_held_out} of {len(held_out)}" if title == "corpus" else ""))
        for example, found in split[:max(0, options.show - shown)]:
            shown += 1
            print(f"    [{example.label}] {example.text[:70]} → "
                  + " | ".join(f"{p.category}: {p.words}" for p in found))
    with open(SAMPLES, newline="", encoding="utf-8") as fh:
        samples = [(row["text"], row["categories"].split(",")) for row in csv.DictReader(fh, delimiter="\t")]
    several = [(text, wanted) for text, wanted in samples if len(wanted) > 1]
    single = [(text, wanted) for text, wanted in samples if len(wanted) == 1]
    missed = [(text, wanted, finder.problems(text, sure_above=sure_above)) for text, wanted in several]
    missed = [(text, wanted, found) for text, wanted, found in missed
              if sorted(p.category for p in found) != sorted(wanted)]
    whole = sum(not finder.problems(text, sure_above=sure_above) for text, _ in single)
    print(f"samples: {len(several) - len(missed)} of {len(several)} multi-problem messages split into exactly their "
          f"categories; {whole} of {len(single)} single-problem controls left whole")
    for text, wanted, found in missed[:options.show]:
        print(f"    {text} (wanted {', '.join(wanted)}) → {', '.join(p.category for p in found) or 'not split'}")


if __name__ == "__main__":
    main()
