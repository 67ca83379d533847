"""What the tests share besides fixtures: the classifier the tests' bot uses."""
from __future__ import annotations

import hashlib
import os
import time
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "civicbot-dev-token"

CORPUS = ROOT / "data" / "corpus" / "messages.tsv"
# Every third message of the corpus's training split, in file order: every label and every author's part of the
# corpus in proportion. (From every fifth message, whether a plain report such as a missing manhole cover came
# out "surely a report" depended on which fifth was taken.)
TRAINING_SHARE = 3
# The candidate `civicbot train` picks on this corpus: the linear SVM, whose C=2 cross-validates best (macro-F1
# 0.942 on the training split, 5 folds; logistic regression C=16: 0.926). It also trains in a tenth of the time.
CANDIDATE = "linear-svm C=2.0"
FOLDS = 3
BUILT: dict = {}   # how the model at classifier_for_tests() came about in this run, for the report header


def training_set() -> list:
    """The fixed examples the test classifier learns from: a deterministic part of the training split."""
    from bot.understanding.training import read_examples, split
    return split(read_examples(CORPUS))[0][::TRAINING_SHARE]


def _fingerprint(examples: list) -> str:
    """Names the model: the examples, how it is trained, and the code that turns text into features."""
    from bot.understanding import features, training
    digest = hashlib.sha256(f"{CANDIDATE} folds={FOLDS}\n".encode())
    for example in examples:
        digest.update(f"{example.text}\t{example.label}\n".encode())
    for module in (features, training):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


@cache
def classifier_for_tests() -> Path | None:
    """The model file the tests' bot classifies with, trained on training_set() once and kept in var/ under a name
    that changes with the training set (or the feature and training code), so a change there rebuilds it.

    tests/conftest.py calls it at session start, outside pytest-timeout's per-test limit. None without the corpus."""
    if not CORPUS.exists():
        return None
    started = time.monotonic()
    examples = training_set()
    model_path = ROOT / "var" / f"test-classifier-{_fingerprint(examples)}.npz"
    if model_path.exists():
        BUILT.update(path=model_path, examples=len(examples), seconds=None)
        return model_path
    from bot.understanding.training import train_model
    model, _ = train_model(examples, only=CANDIDATE, folds=FOLDS)
    for stale in model_path.parent.glob("test-classifier*.npz"):
        stale.unlink(missing_ok=True)
    partial = model_path.with_name(f"{model_path.name}.{os.getpid()}.part")
    model.save(partial)
    partial.replace(model_path)   # whole or not at all, should two runs build it at once
    BUILT.update(path=model_path, examples=len(examples), seconds=time.monotonic() - started)
    return model_path
