"""Turn a message into the sparse features the classifier's linear model reads (shared by training and serving)."""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Characters that carry no meaning for the category: spaces and punctuation (emoji are kept: 🤮 says a lot).
_NOISE = re.compile(r"[\s\u3000!！?？。，,、.~～…:：;；\"'“”‘’()（）\[\]【】<>《》#*\-_=+|/\\@&%^`]+")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_CJK = re.compile(r"[\u4e00-\u9fff]")
NGRAM_SIZES = (1, 2, 3)


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> dict[int, str]:
    """A character table from OpenCC's dictionary: 擺攤 → 摆摊, so traditional text meets the same features."""
    import opencc  # here, not at the top: only warm_up() and training need its dictionary

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            table[ord(source)] = targets.split()[0]
    return table


@lru_cache(maxsize=1)
def _pinyin() -> dict[str, str]:
    """Each common character's first toneless reading: 占到 and 占道 both read zhan dao."""
    from pypinyin.pinyin_dict import pinyin_dict  # a large table: read once, when first needed

    readings = {}
    for code, value in pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF:
            first = value.split(",")[0]
            readings[chr(code)] = "".join(c for c in unicodedata.normalize("NFKD", first)
                                          if not unicodedata.combining(c))
    return readings


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    return frozenset(_pinyin().values())


def _split_pinyin(word: str) -> list[str] | None:
    """Split a Latin word into pinyin syllables (longest first): zhandao → zhan dao; None if it is not pinyin."""
    syllables, known, position = [], _syllables(), 0
    while position < len(word):
        for size in range(min(6, len(word) - position), 0, -1):
            if word[position:position + size] in known:
                syllables.append(word[position:position + size])
                position += size
                break
        else:
            return None
    return syllables


def warm_up() -> None:
    """Load the character tables now rather than on the first message."""
    _traditional_to_simplified()
    _pinyin()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(_traditional_to_simplified())


def fold(text: str) -> str:
    """Fold width, case and traditional characters, keeping spaces and punctuation (place names need them)."""
    return _fold(text)


def normalise(text: str) -> str:
    """Fold width, case and traditional characters; drop spaces and punctuation."""
    return _NOISE.sub("", _fold(text))


def extract(text: str) -> dict[str, float]:
    """Character 1–3-grams, pinyin syllable 1–2-grams and Latin words, sublinear and L2-normalised."""
    lowered = _fold(text)
    folded = _NOISE.sub("", lowered)
    counts: dict[str, int] = {}
    padded = f"^{folded}$"
    for size in NGRAM_SIZES:
        for start in range(len(padded) - size + 1):
            gram = padded[start:start + size]
            if gram in ("^", "$"):
                continue
            key = "c:" + gram
            counts[key] = counts.get(key, 0) + 1
    readings = _pinyin()
    syllables = [readings[ch] for ch in folded if ch in readings]
    for index, syllable in enumerate(syllables):
        counts["p:" + syllable] = counts.get("p:" + syllable, 0) + 1
        if index:
            key = f"p:{syllables[index - 1]}_{syllable}"
            counts[key] = counts.get(key, 0) + 1
    for word in _LATIN_WORD.findall(lowered):
        counts["w:" + word] = counts.get("w:" + word, 0) + 1
        # Residents type pinyin when they cannot find the characters (baitan, zhandao jingying):
        # the same syllable features as the characters would give.
        spelled = _split_pinyin(word) if len(word) >= 4 else None
        if spelled and len(spelled) >= 2:
            for index, syllable in enumerate(spelled):
                counts["p:" + syllable] = counts.get("p:" + syllable, 0) + 1
                if index:
                    key = f"p:{spelled[index - 1]}_{syllable}"
                    counts[key] = counts.get(key, 0) + 1
    # A question or an exclamation says something about intent that the stripped text no longer shows.
    for mark, name in (("?", "question"), ("？", "question"), ("!", "exclaim"), ("！", "exclaim")):
        if mark in text:
            counts["m:" + name] = 1
    weighted = {key: 1.0 + math.log(count) for key, count in counts.items()}
    norm = math.sqrt(sum(value * value for value in weighted.values())) or 1.0
    return {key: value / norm for key, value in weighted.items()}
