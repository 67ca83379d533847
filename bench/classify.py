"""Measure the classifier and place resolver on the held-out split and the external set; print the figures.

Run as `make bench-classify` (it trains the model first when missing). Everything
printed is measured in this run; nothing is tuned to these sets.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    from bot.config import load_config

    settings = load_config(os.environ.get("CIVICBOT_CONFIG") or _default_config())
    model_path = settings.classifier.model
    started = time.perf_counter()
    from bot.understanding.classifier import ModelClassifier
    from bot.understanding.features import warm_up
    warm_up()
    model = ModelClassifier.load(model_path)
    load_seconds = time.perf_counter() - started

    from bot.catalogue.loading import read_catalogue
    from bot.understanding.classifier import CategoryTerms, KeywordClassifier
    from bot.understanding.places import PlaceResolver, TownArea
    from bot.understanding.training import read_examples, split

    catalogue = read_catalogue(settings)
    keywords = KeywordClassifier([CategoryTerms(c["code"], tuple(c.get("keywords", [])), tuple(c.get("hints", [])))
                                  for c in catalogue.categories], catalogue.non_report_phrases)
    places = PlaceResolver([TownArea(t["code"], t["name"], tuple(t.get("short_names", [])), t.get("boundary"))
                            for t in catalogue.towns],
                           [(row["name"], row.get("town") or None) for row in catalogue.gazetteer])
    threshold = settings.classifier.ask_below
    _, held_out = split(read_examples(settings.classifier.corpus))
    sets = [("held-out split", held_out)]
    if Path(settings.classifier.external).exists():
        sets.append(("external set (other author)", read_examples(settings.classifier.external)))

    print(f"model {model_path}: {model.metadata.get('chosen')}, {len(model.classes)} classes, "
          f"{model.metadata.get('features')} features, trained on {model.metadata.get('examples')} messages")
    print(f"asks before taking words as a report when P(report) < {model.report_sure_above} "
          f"(chosen on the training split's cross-validation)")
    print(f"load time (tables + model): {load_seconds * 1000:.0f} ms")
    for title, examples in sets:
        print(f"\n=== {title}: {len(examples)} messages ===")
        _quality("model", [model.classify(e.text) for e in examples], examples, threshold, detailed=True)
        _quality("keywords only (the first classifier)", [keywords.classify(e.text) for e in examples],
                 examples, threshold, detailed=False)
        _towns(places, examples)
    _speed(model, [e.text for sets_examples in sets for e in sets_examples[1]])


def _default_config() -> str:
    local = ROOT / "config.toml"
    return str(local if local.exists() else ROOT / "config.example.toml")


def _quality(name: str, results, examples, threshold: float, *, detailed: bool) -> None:
    from sklearn.metrics import accuracy_score, classification_report, f1_score

    truth = [e.label for e in examples]
    predicted = [r.category or "none" for r in results]
    print(f"-- {name}: accuracy {accuracy_score(truth, predicted):.3f}, "
          f"macro-F1 {f1_score(truth, predicted, average='macro'):.3f}")
    non_reports = [(e, r) for e, r in zip(examples, results, strict=True) if e.label == "none"]
    opened = sum(1 for _, r in non_reports if r.is_report)
    opened_sure = sum(1 for _, r in non_reports if r.is_report and r.confidence >= threshold and r.surely_a_report)
    if non_reports:
        print(f"   non-report messages taken as reports: {opened}/{len(non_reports)} "
              f"({100 * opened / len(non_reports):.1f} %); without asking (confidence ≥ {threshold} and "
              f"surely a report): "
              f"{opened_sure} ({100 * opened_sure / len(non_reports):.1f} %)")
    reports = [(e, r) for e, r in zip(examples, results, strict=True) if e.label != "none"]
    missed = sum(1 for _, r in reports if not r.is_report)
    asked = sum(1 for _, r in reports if r.is_report and (r.confidence < threshold or not r.surely_a_report))
    print(f"   reports taken as small talk: {missed}/{len(reports)}; reports that get the category menu: "
          f"{asked} ({100 * asked / max(1, len(reports)):.1f} %)")
    if not detailed:
        return
    sure = [(t, p) for t, p, r in zip(truth, predicted, results, strict=True) if r.confidence >= threshold]
    if sure:
        print(f"   accuracy when sure (confidence ≥ {threshold}, {len(sure)} messages): "
              f"{sum(t == p for t, p in sure) / len(sure):.3f}")
    _calibration(truth, predicted, results)
    print(classification_report(truth, predicted, digits=3, zero_division=0))
    confusions = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    print("   most frequent confusions (truth → predicted):")
    for (t, p), count in confusions.most_common(12):
        print(f"     {count:3d}  {t} → {p}")


def _calibration(truth, predicted, results) -> None:
    """Expected calibration error over 10 confidence bins: how far confidence is from accuracy."""
    bins: dict[int, list[tuple[float, bool]]] = {}
    for t, p, r in zip(truth, predicted, results, strict=True):
        bins.setdefault(min(9, int(r.confidence * 10)), []).append((r.confidence, t == p))
    total = len(truth)
    error = sum(len(items) / total * abs(statistics.mean(c for c, _ in items) - statistics.mean(ok for _, ok in items))
                for items in bins.values())
    print(f"   expected calibration error: {error:.3f}")


def _towns(places, examples) -> None:
    right = 0
    wrong_guess = 0
    for example in examples:
        place = places.from_text(example.text)
        town = place.town_code if place else None
        right += town == example.town
        wrong_guess += town is not None and town != example.town
    print(f"-- town from text: accuracy {right / len(examples):.3f} "
          f"({len(examples) - right} wrong, of which {wrong_guess} a wrong town rather than unknown)")


def _speed(model, texts: list[str]) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    latencies = []
    started = time.perf_counter()
    while time.perf_counter() - started < 3.0:
        for text in texts:
            begin = time.perf_counter()
            model.classify(text)
            latencies.append(time.perf_counter() - begin)
    elapsed = sum(latencies)
    latencies.sort()
    print(f"\n=== speed on one core: {len(latencies)} classifications ===")
    print(f"messages per second: {len(latencies) / elapsed:,.0f}")
    print(f"latency p50 {latencies[len(latencies) // 2] * 1000:.3f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.3f} ms, max {latencies[-1] * 1000:.3f} ms")


if __name__ == "__main__":
    main()
