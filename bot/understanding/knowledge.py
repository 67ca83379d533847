"""Read the knowledge file (data/knowledge.toml): find emergencies and residents' questions in their words."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.understanding.features import normalise

# Sentences end at these (emergency words are judged with the sentence around them); clauses also at commas
# and spaces, which voice and terse messages use between the problem and the question.
_SENTENCE_END = re.compile(r"[。！？!?\n]+")
_CLAUSE_END = re.compile(r"[。！？!?\n，,；;、\s]+")
# Words that make a clause ask something (after folding; 么 and 吗 at the clause's end).
_QUESTION_WORD = re.compile(r"[吗嘛么呢]$|能不能|是不是|有没有|可不可以|会不会|要不要|需不需要|多少|多久|几[点天时个]|"
                            r"什么|啥|怎么|怎样|咋|如何|哪|是否|能否|请问|想问|问一下|问下")
_QUESTION_MARK = re.compile(r"[?？]")


def _words(values: list[str] | None) -> tuple[str, ...]:
    """Folded, longest first, so a longer phrase is found before a shorter one inside it."""
    return tuple(sorted({normalise(v) for v in values or [] if normalise(v)}, key=len, reverse=True))


def _first(words: tuple[str, ...], folded: str) -> str | None:
    return next((word for word in words if word in folded), None)


def _mask(folded: str, words: tuple[str, ...]) -> str:
    for word in words:
        folded = folded.replace(word, "\0")
    return folded


@dataclass(frozen=True)
class Emergency:
    """One kind of emergency: the numbers to call and what to say."""

    code: str
    services: tuple[str, ...]
    answer: str
    words: tuple[str, ...] = ()
    maybe: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    not_when: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    @classmethod
    def from_entry(cls, entry: dict) -> Emergency:
        return cls(entry["code"], tuple(entry.get("services", [])), entry.get("answer", ""),
                   _words(entry.get("words")), _words(entry.get("maybe")),
                   tuple(re.compile(p) for p in entry.get("patterns", [])),
                   _words(entry.get("not_when")), _words(entry.get("unless")))

    def in_sentence(self, folded: str) -> bool:
        folded = _mask(folded, self.not_when)
        if _first(self.words, folded):
            return True
        if _first(self.unless, folded):
            return False
        return bool(_first(self.maybe, folded)) or any(p.search(folded) for p in self.patterns)


@dataclass(frozen=True)
class Answer:
    text: str
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    """A kind of question (who handles what, contact, hours, how it works, status) and its answers."""

    code: str
    asks: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    about: tuple[str, ...]
    answers: tuple[Answer, ...]

    @classmethod
    def from_entry(cls, entry: dict) -> Topic:
        return cls(entry["code"], _words(entry.get("asks")), tuple(re.compile(p) for p in entry.get("patterns", [])),
                   _words(entry.get("about")),
                   tuple(Answer(a["text"], _words(a.get("about"))) for a in entry.get("answer", [])))

    def answer_for(self, text: str) -> str:
        """The first answer whose `about` word is in the text, else the first without `about`."""
        folded = normalise(text)
        chosen = next((a for a in self.answers if a.about and _first(a.about, folded)), None) \
            or next((a for a in self.answers if not a.about), None)
        return chosen.text if chosen else ""


@dataclass(frozen=True)
class Asked:
    """A question found in a message: its topic and the phrase that made it one."""

    topic: Topic
    phrase: str
    strong: bool  # an `asks` phrase or pattern; else an `about` word with a question word


@dataclass(frozen=True)
class Subject:
    """Something residents ask about that is answered before our categories (物业, 供暖, 违章停车 …)."""

    words: tuple[str, ...]
    text: str
    category: str | None
    offer: bool


@dataclass(frozen=True)
class Contact:
    names: tuple[str, ...]
    department: str
    phone: str = ""
    phone_name: str = ""


@dataclass(frozen=True)
class Knowledge:
    """The knowledge file as the bot reads it; empty (nothing found, nothing answered) until loaded."""

    hotline: str = "12345"
    not_now: tuple[str, ...] = ()
    emergencies: tuple[Emergency, ...] = ()
    rhetorical: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()
    refers_back: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()
    subjects: tuple[Subject, ...] = ()
    contacts: tuple[Contact, ...] = ()
    contact_answer: dict[str, str] = field(default_factory=dict)
    category_answer: str = ""
    covers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, value: dict) -> Knowledge:
        words = value.get("question_words", {})
        return cls(
            hotline=str(value.get("hotline", "12345")), not_now=_words(value.get("not_now")),
            emergencies=tuple(Emergency.from_entry(e) for e in value.get("emergency", [])),
            rhetorical=_words(words.get("rhetorical")), generic=_words(words.get("generic")),
            refers_back=_words(words.get("refers_back")),
            topics=tuple(Topic.from_entry(t) for t in value.get("topic", [])),
            subjects=tuple(Subject(_words(s.get("words")), s.get("text", ""), s.get("category"),
                                   bool(s.get("offer", True))) for s in value.get("subject", [])),
            contacts=tuple(Contact(_words(c.get("names")), c["department"], str(c.get("phone", "")),
                                   c.get("phone_name", "")) for c in value.get("contact", [])),
            contact_answer=dict(value.get("contact_answer", {})),
            category_answer=value.get("category_answer", {}).get("text", ""),
            covers=dict(value.get("covers", {})))

    def emergencies_in(self, text: str) -> tuple[Emergency, ...]:
        """Every kind of emergency the message describes as happening now, in the file's order."""
        found: set[str] = set()
        for sentence in _SENTENCE_END.split(text):
            folded = normalise(sentence)
            if not folded or _first(self.not_now, folded):
                continue
            found.update(e.code for e in self.emergencies if e.in_sentence(folded))
        return tuple(e for e in self.emergencies if e.code in found)

    def question_in(self, text: str, *, is_report: bool) -> Asked | None:
        """The question the message asks, if any. An `about` word counts only in a message that asks something
        and is not itself a report; a rhetorical "有没有人管" is a complaint, never a question."""
        folded = normalise(text)
        if not folded or _first(self.rhetorical, folded):
            return None
        for topic in self.topics:
            phrase = _first(topic.asks, folded) or next((m.group(0) for p in topic.patterns
                                                         if (m := p.search(folded))), None)
            if phrase:
                return Asked(topic, phrase, strong=True)
        if is_report or not asks_something(text):
            return None
        for topic in self.topics:
            word = _first(topic.about, folded)
            if word:
                return Asked(topic, word, strong=False)
        return None

    def is_generic(self, text: str) -> bool:
        """The question is about a kind of problem ("这种事归谁管"), not one the resident saw."""
        return bool(_first(self.generic, normalise(text)))

    def statement_of(self, text: str, phrase: str) -> str:
        """The words that describe rather than ask: clauses that ask nothing, and what comes before the
        question (or before a word pointing back at it, "这个") in the clause that asks."""
        kept = []
        for clause in _CLAUSE_END.split(text):
            folded = normalise(clause)
            if not folded:
                continue
            asking = [word for word in (phrase, *self.refers_back) if word and word in folded]
            if asking:
                # In the resident's own characters where they match (not in traditional ones or full width).
                cuts = [clause.find(word) for word in asking if word in clause]
                kept.append(clause[:min(cuts)] if cuts else folded[:min(folded.find(word) for word in asking)])
            elif not _QUESTION_WORD.search(folded):
                kept.append(clause)
        return "，".join(part.strip() for part in kept if normalise(part))

    def subject_in(self, text: str) -> Subject | None:
        folded = normalise(text)
        return next((s for s in self.subjects if _first(s.words, folded)), None)

    def contact_in(self, text: str) -> Contact | None:
        folded = normalise(text)
        return next((c for c in self.contacts if _first(c.names, folded)), None)


def asks_something(text: str) -> bool:
    """A question mark, or a question word in one of the message's clauses."""
    return bool(_QUESTION_MARK.search(text)) or any(
        _QUESTION_WORD.search(normalise(clause)) for clause in _CLAUSE_END.split(text) if clause)
