"""Classify a resident's words into a report category, or recognise that they are not a report."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.understanding.features import extract, normalise

# Problem words are specific to a category; hints only suggest the topic.
KEYWORD_WEIGHT = 2.0
HINT_WEIGHT = 1.0
# Text shorter than this with no category word is small talk, not a report.
MIN_REPORT_CHARS = 5
# A score this high (e.g. two specific words) counts as fully sure of itself.
FULL_STRENGTH_SCORE = 8.0

NOT_A_REPORT = "none"


@dataclass(frozen=True)
class CategoryTerms:
    code: str
    keywords: tuple[str, ...]
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Classification:
    """A category code ("other" for an unrecognised complaint) or None when the text is not a report."""

    category: str | None
    confidence: float
    reason: str
    ranking: tuple[tuple[str, float], ...] = field(default=())
    # False when the words might well be small talk: the bot then asks before taking them as a report.
    surely_a_report: bool = True

    @property
    def is_report(self) -> bool:
        return self.category is not None


class KeywordClassifier:
    """Score categories by the configured words found in the text.

    Honest about what it is: a transparent keyword scorer whose confidence is
    the top category's share of all evidence, damped when the evidence is thin.
    It is not calibrated; the measured classifier replaces it.
    """

    def __init__(self, categories: list[CategoryTerms], non_report_phrases: list[str]):
        self._terms = [
            (category.code,
             tuple(sorted({normalise(k) for k in category.keywords if normalise(k)}, key=len, reverse=True)),
             tuple(sorted({normalise(h) for h in category.hints if normalise(h)}, key=len, reverse=True)))
            for category in categories if category.code != "other"
        ]
        self._non_report = tuple(sorted({normalise(p) for p in non_report_phrases if normalise(p)},
                                        key=len, reverse=True))

    def classify(self, text: str) -> Classification:
        folded = normalise(text)
        scores: dict[str, float] = {}
        matched: dict[str, list[str]] = {}
        any_keyword = False
        for code, keywords, hints in self._terms:
            score = 0.0
            for word in keywords:
                if word in folded:
                    score += KEYWORD_WEIGHT * len(word)
                    matched.setdefault(code, []).append(word)
                    any_keyword = True
            for word in hints:
                if word in folded:
                    score += HINT_WEIGHT * len(word)
                    matched.setdefault(code, []).append(word)
            if score:
                scores[code] = score
        # Topic words alone ("门口", "小区") say where, not what is wrong: they only weigh in
        # once some category's problem word is present.
        if not any_keyword:
            return self._without_category_words(folded)
        ranking = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        total = sum(scores.values())
        best, best_score = ranking[0]
        strength = min(1.0, best_score / FULL_STRENGTH_SCORE)
        confidence = round((best_score / total) * (0.5 + 0.5 * strength), 2)
        return Classification(
            category=best, confidence=confidence,
            reason="关键词：" + "、".join(matched[best][:5]),
            ranking=tuple((code, round(score / total, 2)) for code, score in ranking[:3]))

    def _without_category_words(self, folded: str) -> Classification:
        phrase = next((p for p in self._non_report if p in folded), None)
        if phrase and len(folded) <= len(phrase) + 6:
            return Classification(None, 0.9, f"非反映：{phrase}")
        if len(folded) < MIN_REPORT_CHARS:
            return Classification(None, 0.6, "过短且无问题描述")
        return Classification("other", 0.3, "未匹配到类别关键词")


class ModelClassifier:
    """A linear model over bot.understanding.features, trained by `civicbot train`, with a fitted softmax temperature.

    Scoring is a sparse dot product done here with numpy rather than through
    scikit-learn, whose import alone takes about a second: the bot starts in
    well under that and classifies a message in a fraction of a millisecond.
    """

    def __init__(self, classes: list[str], features: list[str], weights: np.ndarray, bias: np.ndarray,
                 temperature: float, metadata: dict):
        self.classes = classes
        self._index = {name: i for i, name in enumerate(features)}
        self._weights = weights
        self._bias = bias
        self.temperature = temperature
        self.metadata = metadata
        # Chosen by `civicbot train` on cross-validation: below this probability of being a report at all,
        # a message that looks like a report is asked about, so that thanks and questions open nothing unasked.
        self.report_sure_above = float(metadata.get("report_sure_above", 0.0))
        self._none_index = classes.index(NOT_A_REPORT) if NOT_A_REPORT in classes else None

    @classmethod
    def load(cls, path: str | Path) -> ModelClassifier:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["classes"].tolist(), data["features"].tolist(), data["weights"], data["bias"],
                       float(data["temperature"]), json.loads(str(data["metadata"])))

    def save(self, path: str | Path) -> None:
        features = sorted(self._index, key=self._index.__getitem__)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, classes=np.array(self.classes), features=np.array(features),
                                weights=self._weights.astype(np.float32), bias=self._bias.astype(np.float32),
                                temperature=np.array(self.temperature),
                                metadata=np.array(json.dumps(self.metadata, ensure_ascii=False)))

    def probabilities(self, text: str) -> np.ndarray:
        """Calibrated probability of each class, in self.classes order."""
        rows, values = [], []
        for name, value in extract(text).items():
            index = self._index.get(name)
            if index is not None:
                rows.append(index)
                values.append(value)
        scores = self._bias.astype(np.float64)
        if rows:
            scores = scores + np.asarray(values) @ self._weights[rows]
        scores = scores / self.temperature
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()

    def classify(self, text: str) -> Classification:
        if not normalise(text):
            return Classification(None, 1.0, "空消息")
        probabilities = self.probabilities(text)
        order = np.argsort(probabilities)[::-1]
        best = self.classes[order[0]]
        confidence = round(float(probabilities[order[0]]), 3)
        ranking = tuple((self.classes[i], round(float(probabilities[i]), 3)) for i in order[:4]
                        if self.classes[i] != NOT_A_REPORT)
        if best == NOT_A_REPORT:
            return Classification(None, confidence, "模型：非反映", ranking)
        report_probability = 1.0 - float(probabilities[self._none_index]) if self._none_index is not None else 1.0
        return Classification(best, confidence, f"模型：{confidence:.2f}", ranking,
                              surely_a_report=report_probability >= self.report_sure_above)
