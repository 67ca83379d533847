"""The moderation lists (data/moderation.toml): reports that look like spam or abuse wait for HQ's review."""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.features import normalise

LINK = re.compile(r"https?://|www\.|\.(?:com|cn|net|top|xyz)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Screen:
    """The moderation lists from data/moderation.toml."""

    abusive: tuple[str, ...] = ()
    spam: tuple[str, ...] = ()
    repeated_characters: int = 12

    @classmethod
    def from_setting(cls, value: dict) -> Screen:
        return cls(tuple(normalise(w) for w in value.get("abusive", []) if normalise(w)),
                   tuple(normalise(w) for w in value.get("spam", []) if normalise(w)),
                   int(value.get("repeated_characters", 12)))

    def reason_to_hold(self, text: str) -> str | None:
        """Why this report should wait for HQ instead of being routed, or None."""
        folded = normalise(text)
        if any(word in folded for word in self.abusive):
            return "疑似辱骂"
        if any(word in folded for word in self.spam) or LINK.search(text):
            return "疑似广告或垃圾信息"
        if re.search(rf"(.)\1{{{self.repeated_characters - 1},}}", folded):
            return "疑似刷屏"
        return None
