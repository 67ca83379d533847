"""Find several problems of different categories in one description: classify each clause, keep the sure ones.

A resident often lists what is wrong in one go: "路口摆摊、垃圾没人清、电线杆上全是小广告". Each clause is classified
on its own by the same classifier as the whole message; a clause counts as a problem of its own only when

- the classifier is sure of it (a category other than 其他, at least `sure_above`, surely a report),
- the category's own words back it (one of its keywords, or a topic hint in a clause of six characters or more)
  and no other category's keywords outweigh them, and
- after the first problem, the clause is marked as another one: listed (、；： or 1. 2.), opened by 还有 / 另外 /
  而且 …, or by 旁边 / 对面 / 隔壁, or it names its own subject before 也 / 还 / 又 ("旁边垃圾桶也满了").

The last rule keeps the clauses that only say more about the same problem ("工地晚上施工，声音特别大", "垃圾没人清，
臭得要命") with it. Only problems of two or more different categories are returned; clauses of the same
category are one problem. `make bench-several` counts the corpus's single-problem reports this would split.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.understanding.classifier import CategoryTerms, Classification, KeywordClassifier
from bot.understanding.features import normalise

# Breaks between clauses. Listing marks (、；： and numbered items) say by themselves that a new item begins.
_BREAK = re.compile(r"([、；;：:]|(?<![\d.])\d{1,2}[.、)）](?!\d)|[一二三四五][是、]|[，,。！!？?.\n]|\s+)")
_LISTING = set("、；;：:一二三四五0123456789")
# Words that open another problem, and places next to the first one.
_ANOTHER = ("还有", "另外", "而且", "此外", "同时", "再就是", "再有", "以及", "并且", "再加上", "加上")
_NEXT_TO = ("旁边", "对面", "隔壁", "另一边")
# A subject of its own (two characters or more) before 也 / 还 / 又: "河沟里还全是垃圾".
_OWN_SUBJECT_ALSO = re.compile(r"^[^也还又]{2,}?[也还又]")
# Clauses that deny or concede ("不是工地里面", "但是…") describe nothing new.
_NOT_A_PROBLEM = ("不是", "这不是", "并不是", "也不是", "但是", "可是")
# Speech recognition leaves no punctuation inside: a clause ending in 了 is the usual seam ("公厕没水了河沟里…").
_VOICE_SEAM = re.compile(r"(?<=了)(?=\S{4,})")
MIN_CLAUSE_CHARS = 4
MIN_HINTED_CHARS = 6


@dataclass(frozen=True)
class Problem:
    """One problem found in a description: its category and the words that describe it."""

    category: str
    words: str
    confidence: float     # the classifier's, for the surest of its clauses


@dataclass(frozen=True)
class Clause:
    text: str
    listed: bool          # a listing mark stands before it


def clauses(text: str) -> list[Clause]:
    """Split a description (one message a line) into clauses, remembering which were listed."""
    return [clause for line in text.splitlines() for clause in _line_clauses(line)]


def _line_clauses(text: str) -> list[Clause]:
    found: list[Clause] = []
    listed, words = False, ""
    for piece in _BREAK.split(text):
        if not piece:
            continue
        if _BREAK.fullmatch(piece):
            if words.strip():
                found.append(Clause(words.strip(), listed))
                words, listed = "", False
            listed = listed or piece[0] in _LISTING
            continue
        words += piece
    if words.strip():
        found.append(Clause(words.strip(), listed))
    if len(found) == 1:
        first, *rest = [part for part in _VOICE_SEAM.split(found[0].text) if part]
        found = [Clause(first, found[0].listed), *(Clause(part, False) for part in rest)]
    return found


class ProblemFinder:
    """Several problems in one description, from the classifier and the catalogue's category words."""

    def __init__(self, classify: Callable[[str], Classification], categories: list[CategoryTerms]):
        self._classify = classify
        self._keywords = KeywordClassifier(categories, [])
        self._own_words = {c.code: tuple(w for w in map(normalise, c.keywords) if w) for c in categories}
        self._hints = {c.code: tuple(w for w in map(normalise, c.hints) if w) for c in categories}

    def problems(self, text: str, *, sure_above: float) -> tuple[Problem, ...]:
        """The problems of different categories in the text, in the order first named; () unless two or more."""
        words: dict[str, list[str]] = {}
        confidence: dict[str, float] = {}
        for clause in clauses(text):
            folded = normalise(clause.text)
            if len(folded) < MIN_CLAUSE_CHARS or clause.text.startswith(_NOT_A_PROBLEM):
                continue
            if words and not self._marked_as_another(clause):
                continue
            sure = self._sure_category(clause.text, folded, sure_above)
            if sure:
                category, score = sure
                words.setdefault(category, []).append(clause.text)
                confidence[category] = max(score, confidence.get(category, 0.0))
        if len(words) < 2:
            return ()
        return tuple(Problem(category, "，".join(parts), confidence[category]) for category, parts in words.items())

    @staticmethod
    def _marked_as_another(clause: Clause) -> bool:
        text = clause.text
        return (clause.listed or text.startswith(_ANOTHER) or text.startswith(_NEXT_TO)
                or bool(_OWN_SUBJECT_ALSO.match(text)))

    def _sure_category(self, text: str, folded: str, sure_above: float) -> tuple[str, float] | None:
        result = self._classify(text)
        category = result.category
        if not category or category == "other" or result.confidence < sure_above or not result.surely_a_report:
            return None
        if self._keywords.classify(text).category not in (None, "other", category):
            return None   # the words of another category outweigh: the classifier's guess is not backed
        if any(word in folded for word in self._own_words.get(category, ())) or (
                len(folded) >= MIN_HINTED_CHARS and any(word in folded for word in self._hints.get(category, ()))):
            return category, result.confidence
        return None
