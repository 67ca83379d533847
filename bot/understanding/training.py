"""Build the classifier's model file from the labelled corpus: fixed held-out split, model selection, calibration."""
from __future__ import annotations

import csv
import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.understanding.classifier import NOT_A_REPORT, ModelClassifier
from bot.understanding.features import extract, normalise

log = logging.getLogger(__name__)

# One message in five is held out for measuring, chosen by a hash of its folded text:
# the choice never changes as the corpus grows, and near-duplicates fall on the same side.
HELD_OUT_MODULUS = 5
MIN_DOCUMENT_FREQUENCY = 1  # cross-validated on the training split: keeping every feature seen (1) beat 2 and 3
CV_FOLDS = 5
# Of the non-report messages, the share the bot may take as reports without asking (target: ≤ 2 %).
NON_REPORTS_OPENED = 0.015
SEED = 20261128


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    town: str | None = None


def read_examples(path: str | Path) -> list[Example]:
    """Read a `text<TAB>label<TAB>town` file with a header line."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [Example(row["text"].strip(), row["label"].strip(), (row.get("town") or "").strip() or None)
                for row in reader if (row.get("text") or "").strip()]


def is_held_out(text: str) -> bool:
    digest = hashlib.sha1(normalise(text).encode("utf-8"), usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], "big") % HELD_OUT_MODULUS == 0


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held-out test): training never sees the second list."""
    train = [e for e in examples if not is_held_out(e.text)]
    test = [e for e in examples if is_held_out(e.text)]
    return train, test


@dataclass
class Candidate:
    name: str
    make: Callable[[], Any]  # a fresh scikit-learn classifier (scikit-learn has no type hints)


def candidates() -> list[Candidate]:
    # scikit-learn is imported only to train: the bot scores with numpy and starts without it.
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    found = [Candidate(f"logistic C={c}", functools.partial(LogisticRegression, C=c, max_iter=3000))
             for c in (4.0, 16.0, 64.0)]
    found += [Candidate(f"linear-svm C={c}", functools.partial(LinearSVC, C=c, max_iter=50000))
              for c in (0.5, 1.0, 2.0, 4.0)]
    return found


def _matrix(examples: list[Example], vectoriser=None):
    from sklearn.feature_extraction import DictVectorizer

    rows = [extract(e.text) for e in examples]
    if vectoriser is None:
        frequency: dict[str, int] = {}
        for row in rows:
            for key in row:
                frequency[key] = frequency.get(key, 0) + 1
        vectoriser = DictVectorizer()
        vectoriser.fit([{k: 1.0 for k in frequency if frequency[k] >= MIN_DOCUMENT_FREQUENCY}])
    matrix = vectoriser.transform(rows).tocsr()
    # liblinear (the SVM candidate) takes only 32-bit indices; DictVectorizer may hand out 64-bit ones.
    matrix.indices = matrix.indices.astype(np.int32)
    matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix, vectoriser


def _scores(model, matrix) -> np.ndarray:
    return model.decision_function(matrix)


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The softmax temperature that minimises the log-loss of out-of-fold scores."""
    best, best_loss = 1.0, float("inf")
    for temperature in np.exp(np.linspace(np.log(0.05), np.log(20), 200)):
        scaled = scores / temperature
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_probabilities = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        loss = -log_probabilities[np.arange(len(truth)), truth].mean()
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def _report_sure_above(scores: np.ndarray, truth: np.ndarray, classes: list[str]) -> float:
    """The lowest probability of being a report above which, out of fold, at most
    NON_REPORTS_OPENED of the non-report messages would still be taken as reports without asking."""
    if NOT_A_REPORT not in classes:
        return 0.0
    none = classes.index(NOT_A_REPORT)
    scaled = scores - scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scaled) / np.exp(scaled).sum(axis=1, keepdims=True)
    is_none = truth == none
    taken = is_none & (probabilities.argmax(axis=1) != none)
    report_probability = 1.0 - probabilities[:, none]
    for threshold in np.linspace(0.0, 0.99, 100):
        if (taken & (report_probability >= threshold)).sum() <= NON_REPORTS_OPENED * is_none.sum():
            return round(float(threshold), 2)
    return 0.99


def train_model(examples: list[Example], *, sources: dict | None = None, only: str | None = None,
                folds: int = CV_FOLDS) -> tuple[ModelClassifier, dict]:
    """Pick the best candidate by cross-validated macro-F1, calibrate it, refit on everything given.

    only names one candidate to skip the comparison (the tests train that way, to stay quick)."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    started = time.monotonic()
    classes = sorted({e.label for e in examples})
    truth = np.array([classes.index(e.label) for e in examples])
    folds = max(2, min(folds, int(np.bincount(truth).min())))  # a tiny corpus cannot have more folds than members
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=SEED).split(np.zeros(len(truth)), truth))
    fold_data = []
    for train_index, test_index in splits:
        train_matrix, vectoriser = _matrix([examples[i] for i in train_index])
        test_matrix, _ = _matrix([examples[i] for i in test_index], vectoriser)
        fold_data.append((train_index, test_index, train_matrix, test_matrix))
    results = []
    for candidate in [c for c in candidates() if only is None or c.name == only]:
        out_of_fold = np.zeros((len(examples), len(classes)))
        for train_index, test_index, train_matrix, test_matrix in fold_data:
            model = candidate.make().fit(train_matrix, truth[train_index])
            out_of_fold[test_index] = _scores(model, test_matrix)
        macro_f1 = f1_score(truth, out_of_fold.argmax(axis=1), average="macro")
        results.append((macro_f1, candidate.name, candidate, out_of_fold))
        log.info("candidate %s: cross-validated macro-F1 %.4f", candidate.name, macro_f1)
    results.sort(key=lambda r: r[0], reverse=True)
    macro_f1, name, chosen, out_of_fold = results[0]
    temperature = _fit_temperature(out_of_fold, truth)
    report_sure_above = _report_sure_above(out_of_fold / temperature, truth, classes)
    matrix, vectoriser = _matrix(examples)
    model = chosen.make().fit(matrix, truth)
    features = vectoriser.get_feature_names_out().tolist()
    report = {"chosen": name, "cv_macro_f1": round(macro_f1, 4), "temperature": round(temperature, 4),
              "report_sure_above": report_sure_above,
              "candidates": {r[1]: round(r[0], 4) for r in results}, "examples": len(examples),
              "features": len(features), "seconds": round(time.monotonic() - started, 1), **(sources or {})}
    classifier = ModelClassifier(classes, features, model.coef_.T.astype(np.float32),
                                 model.intercept_.astype(np.float32), temperature, report)
    return classifier, report


def corpus_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def ensure_labels(examples: list[Example], known: set[str]) -> None:
    unknown = sorted({e.label for e in examples} - known - {NOT_A_REPORT})
    if unknown:
        raise ValueError(f"labels not in the catalogue: {unknown}")
