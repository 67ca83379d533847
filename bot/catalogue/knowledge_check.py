"""Check the knowledge file (data/knowledge.toml) before it is loaded: codes it names exist, patterns compile."""
from __future__ import annotations

import re

TOPICS_ANSWERED = {"emergency_numbers", "status", "contact", "hours", "how_it_works", "who_handles"}


def check_knowledge(knowledge: dict, department_codes: set[str], category_codes: set[str]) -> None:
    """Raise ValueError naming the first entry that refers to nothing or cannot be used."""
    if not knowledge:
        return
    for entry in knowledge.get("emergency", []):
        where = f"knowledge emergency {entry.get('code', '?')}"
        if not entry.get("code") or not entry.get("services") or not entry.get("answer"):
            raise ValueError(f"{where}: needs code, services and answer")
        _patterns(entry, where)
    for topic in knowledge.get("topic", []):
        where = f"knowledge topic {topic.get('code', '?')}"
        if topic.get("code") not in TOPICS_ANSWERED:
            raise ValueError(f"{where}: code must be one of {sorted(TOPICS_ANSWERED)}")
        if not any(not answer.get("about") for answer in topic.get("answer", [])):
            raise ValueError(f"{where}: needs one [[topic.answer]] without `about`, for when nothing more is known")
        _patterns(topic, where)
    for contact in knowledge.get("contact", []):
        if contact.get("department") not in department_codes:
            raise ValueError(f"knowledge contact {contact.get('names')}: "
                             f"unknown department {contact.get('department')!r}")
    for subject in knowledge.get("subject", []):
        if subject.get("category") and subject["category"] not in category_codes:
            raise ValueError(f"knowledge subject {subject.get('words')}: unknown category {subject['category']!r}")
    unknown = set(knowledge.get("covers", {})) - category_codes
    if unknown:
        raise ValueError(f"knowledge covers: unknown categories {sorted(unknown)}")


def _patterns(entry: dict, where: str) -> None:
    for pattern in entry.get("patterns", []):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{where}: pattern {pattern!r}: {exc}") from exc
